// How an HLS request names its stream, shared by central's packager server and the edge's
// cache: playlists are /<app>/<stream>.m3u8, segments /<app>/<stream>/<file>.ts (DESIGN.md:
// "segments under the same path"); the vhost comes from Host or ?vhost=. Pure; any thread.
#pragma once

#include <string>
#include <string_view>

#include "lib/net/http_server.h"
#include "lib/net/live_server.h"

namespace cdn::net {

// "/live/room/12.ts" -> app "live", stream "room", file "12.ts". False when not a segment path.
bool SplitSegmentPath(const std::string& path, std::string* app, std::string* stream, std::string* file);

// True for .m3u8 (playlist) and .ts (segment) paths; *playlist says which.
bool IsHlsPath(const std::string& path, bool* playlist);

// The PlayRequest for an HLS exchange (protocol, vhost, path, query, segment_of).
PlayRequest MakeHlsPlayRequest(const HttpExchange& ex, bool playlist);

}  // namespace cdn::net
