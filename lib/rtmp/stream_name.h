// How an RTMP connection names a stream: app and vhost from connect's tcUrl (host, or the
// SRS-style `?vhost=` on the tcUrl, app or stream name), stream name and its query from
// publish/play. Pure; any thread.
#pragma once

#include <string>
#include <string_view>

namespace cdn::rtmp {

struct ConnectInfo {
  std::string app;        // without any query
  std::string tc_url;
  std::string host;       // host from tcUrl (lower case), empty if absent
  std::string vhost;      // ?vhost= if given, else host
  std::string query;      // query from tcUrl or app ("auth_key=...&vhost=...")
  std::string flash_ver;
  std::string swf_url;
  std::string page_url;
  double object_encoding = 0;
};

struct StreamRequest {
  std::string name;      // stream name without query
  std::string query;     // after '?'
  std::string raw;       // as the client sent it
  double start = -2;     // play: -2 live or recorded, -1 live only, >= 0 recorded from
  double duration = -1;  // play
  bool reset = true;     // play
  std::string publish_type;  // publish: "live", "record", "append"
};

// Fills app/host/vhost/query from a connect command's tcUrl and app.
void ResolveConnect(ConnectInfo* info);
// Splits "room?auth_key=..&vhost=x"; a vhost in the stream query overrides the connect one.
void ResolveStreamName(std::string_view raw, StreamRequest* req, ConnectInfo* conn);

}  // namespace cdn::rtmp
