#include "lib/net/hls_request.h"

#include "lib/http/query.h"
#include "lib/net/flv_server.h"

namespace cdn::net {

bool SplitSegmentPath(const std::string& path, std::string* app, std::string* stream, std::string* file) {
  if (path.size() < 8 || path.front() != '/' || path.compare(path.size() - 3, 3, ".ts") != 0) return false;
  const size_t file_slash = path.rfind('/');
  if (file_slash == 0 || file_slash + 4 >= path.size()) return false;  // a name before ".ts"
  const size_t stream_slash = path.rfind('/', file_slash - 1);
  if (stream_slash == 0 || stream_slash == std::string::npos || stream_slash + 1 >= file_slash) return false;
  auto a = http::PercentDecode(std::string_view(path).substr(1, stream_slash - 1));
  auto s = http::PercentDecode(std::string_view(path).substr(stream_slash + 1, file_slash - stream_slash - 1));
  if (!a || !s || a->empty() || s->empty()) return false;
  *app = *a;
  *stream = *s;
  *file = path.substr(file_slash + 1);
  return true;
}

bool IsHlsPath(const std::string& path, bool* playlist) {
  auto ends_with = [&path](std::string_view suffix) {
    return path.size() > suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  *playlist = ends_with(".m3u8");
  return *playlist || ends_with(".ts");
}

PlayRequest MakeHlsPlayRequest(const HttpExchange& ex, bool playlist) {
  PlayRequest req;
  req.protocol = playlist ? PlayProtocol::kHls : PlayProtocol::kHlsSegment;
  req.vhost = FlvServer::HostOf(ex);
  auto params = http::ParseQuery(ex.query());
  if (auto v = http::QueryGet(params, "vhost")) req.vhost = http::ToLower(*v);
  req.path = ex.path();
  req.query = ex.query();
  if (!playlist) {
    req.segment_of = [](std::string_view p, std::string* app, std::string* stream) {
      std::string file;
      return SplitSegmentPath(std::string(p), app, stream, &file);
    };
  }
  return req;
}

}  // namespace cdn::net
