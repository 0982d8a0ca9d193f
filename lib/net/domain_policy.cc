#include "lib/net/domain_policy.h"

#include <vector>

#include "lib/base/utf8.h"
#include "lib/http/query.h"

namespace cdn::net {

namespace {

// A refusal from the domain table: unknown domains are 404 and "unknown_domain", the rest 403.
Admission TableRefusal(const base::Status& st, const char* denied_reason) {
  return Admission::Refuse(st.code() == base::Status::Code::kNotFound ? "unknown_domain" : denied_reason, st);
}

Admission AuthRefusal(const auth::AuthStatus& st, std::string_view path) {
  return Admission::Refuse(std::string(st.label()), base::Status::Denied("auth failed (" + std::string(st.label()) + ") for " +
                                                                         std::string(path) + ": " + st.message()));
}

// RTMP: the stream name's query first, then the tcUrl/app query (the first auth_key wins).
std::string RequestQuery(const PlayRequest& req) {
  if (req.connect_query.empty() || req.connect_query == req.query) return req.query;
  if (req.query.empty()) return req.connect_query;
  return req.query + "&" + req.connect_query;
}

// "/<app>/<stream><suffix>" -> app, stream. RTMP splits at the first '/' (as ffmpeg and the RTMP
// connect do; no percent-decoding); HTTP at the last '/' and percent-decodes (as FlvServer does).
bool SplitPath(PlayProtocol protocol, std::string_view path, std::string* app, std::string* name) {
  if (path.size() < 4 || path.front() != '/') return false;
  if (protocol == PlayProtocol::kRtmp) {
    size_t slash = path.find('/', 1);
    if (slash == std::string_view::npos || slash == 1 || slash + 1 >= path.size()) return false;
    *app = std::string(path.substr(1, slash - 1));
    *name = std::string(path.substr(slash + 1));
    return true;
  }
  std::string_view suffix = protocol == PlayProtocol::kFlv ? ".flv" : ".m3u8";
  if (path.size() <= suffix.size() + 3 || path.substr(path.size() - suffix.size()) != suffix) return false;
  std::string_view p = path.substr(1, path.size() - 1 - suffix.size());
  size_t slash = p.rfind('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= p.size()) return false;
  auto a = http::PercentDecode(p.substr(0, slash));
  auto s = http::PercentDecode(p.substr(slash + 1));
  if (!a || !s) return false;
  *app = std::move(*a);
  *name = std::move(*s);
  return true;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The playlist paths an HLS request's token may have been signed for (see the header).
std::vector<std::string> HlsSignedPaths(const PlayRequest& req, const std::string& path, const std::string& app,
                                        const std::string& name, const auth::Domain* push) {
  std::vector<std::string> out;
  auto add = [&out](std::string p) {
    for (const auto& q : out) {
      if (q == p) return;
    }
    out.push_back(std::move(p));
  };
  if (req.protocol == PlayProtocol::kHls) add(path);
  add("/" + app + "/" + name + ".m3u8");
  std::string base = name;
  if (EndsWith(name, "_abr")) base = name.substr(0, name.size() - 4);
  for (const auto& tpl : push ? push->transcode : std::vector<std::string>{}) {
    if (EndsWith(name, "_" + tpl)) base = name.substr(0, name.size() - tpl.size() - 1);
  }
  add("/" + app + "/" + base + ".m3u8");
  add("/" + app + "/" + base + "_abr.m3u8");
  return out;
}

}  // namespace

base::Status DomainPolicy::AdmitConnect(const rtmp::ConnectInfo& info) {
  if (table_->open()) return base::Status::Ok();
  // Connecting by IP: the vhost may still come with the stream name (`room?vhost=...`, as
  // ffmpeg puts the URL query on the play path), so it is checked at publish/play time.
  if (info.vhost == info.host && http::IsIpLiteral(info.host)) return base::Status::Ok();
  if (!table_->Find(info.vhost)) return base::Status::NotFound("unknown domain '" + info.vhost + "'");
  return base::Status::Ok();
}

Admission DomainPolicy::AdmitPublish(const rtmp::ConnectInfo& info, const rtmp::StreamRequest& req) {
  auto d = table_->PublishDomain(info.vhost);
  if (!d.ok()) return TableRefusal(d.status(), "publish_denied");
  std::string app = info.app, name = req.name;
  const auth::Domain* domain = table_->Find(info.vhost);
  if (domain && domain->auth.required) {
    PlayRequest r;
    r.vhost = info.vhost;
    r.path = "/" + app + "/" + name;
    r.query = req.query;
    r.connect_query = info.query;
    auth::Token token;
    auth::AuthStatus st = ParseSignature(*domain, r, &token);
    if (st.ok()) st = CheckSignature(*domain, token, {token.path});
    if (!st.ok()) return AuthRefusal(st, r.path);
    if (token.path != r.path && !SplitPath(PlayProtocol::kRtmp, token.path, &app, &name))
      return Admission::Refuse("publish_denied", base::Status::Denied("no app/stream in " + token.path));
  }
  base::Status st = CheckNames(app, name);
  if (!st.ok()) return Admission::Refuse("publish_denied", st);
  Admission a;
  a.key = live::StreamKey{*d, app, name};
  return a;
}

Admission DomainPolicy::AdmitPlay(const PlayRequest& req) {
  auto d = table_->PlayDomain(req.vhost);
  if (!d.ok()) return TableRefusal(d.status(), "play_denied");
  const auth::Domain* domain = table_->Find(req.vhost);
  const bool signed_play = domain && domain->auth.required;
  auth::Token token;
  std::string path = req.path;
  if (signed_play) {
    // Parse first: B and C tokens sit in the path and hide the stream's name.
    auth::AuthStatus st = ParseSignature(*domain, req, &token);
    if (!st.ok()) return AuthRefusal(st, req.path);
    path = token.path;
  }
  std::string app, name;
  const bool split = req.protocol == PlayProtocol::kHlsSegment ? req.segment_of && req.segment_of(path, &app, &name)
                                                                : SplitPath(req.protocol, path, &app, &name);
  if (!split) return Admission::Refuse("play_denied", base::Status::NotFound("no stream at " + path));
  if (signed_play) {
    std::vector<std::string> signed_paths{path};
    if (req.protocol == PlayProtocol::kHls || req.protocol == PlayProtocol::kHlsSegment)
      signed_paths = HlsSignedPaths(req, path, app, name, table_->Find(*d));
    auth::AuthStatus st = CheckSignature(*domain, token, signed_paths);
    if (!st.ok()) return AuthRefusal(st, req.path);
  }
  base::Status st = CheckNames(app, name);
  if (!st.ok()) return Admission::Refuse("play_denied", st);
  Admission a;
  a.key = live::StreamKey{*d, app, name};
  a.path = std::move(path);
  if (signed_play) a.token = std::move(token);
  return a;
}

auth::AuthStatus DomainPolicy::ParseSignature(const auth::Domain& domain, const PlayRequest& req, auth::Token* token) const {
  auto type = auth::ParseSignType(domain.auth.type).value_or(auth::SignType::kA);
  const std::string query = RequestQuery(req);
  auth::AuthStatus st = auth::ParseToken(type, req.path, query, token);
  if (!st.ok() && st.error() == auth::AuthError::kWrongType && domain.type == auth::Domain::Type::kPush &&
      auth::ParseToken(auth::SignType::kA, req.path, query, token).ok()) {
    return auth::AuthStatus::Ok();  // a type A upstream token on a B/C push domain (UpstreamAuthQuery)
  }
  return st;
}

auth::AuthStatus DomainPolicy::CheckSignature(const auth::Domain& domain, const auth::Token& token,
                                              const std::vector<std::string>& signed_paths) const {
  const auth::VerifyKeys keys{domain.auth.key, domain.auth.key2};
  const int64_t now = now_();
  auth::AuthStatus first = auth::AuthStatus::Fail(auth::AuthError::kBadHash, "no path to check the signature against");
  for (size_t i = 0; i < signed_paths.size(); ++i) {
    auth::AuthStatus st = auth::CheckToken(token, signed_paths[i], keys, now);
    if (st.ok()) return st;
    if (i == 0) first = std::move(st);
  }
  return first;  // the refusal for the request's own path
}

std::string DomainPolicy::UpstreamAuthQuery(const live::StreamKey& key, std::string_view uri) const {
  const auth::Domain* domain = table_->Find(key.vhost);
  if (!domain || domain->auth.key.empty()) return "";
  return auth::Sign(auth::SignType::kA, domain->auth.key, uri, now_() + kUpstreamTokenSeconds).query;
}

base::Status DomainPolicy::CheckNames(const std::string& app, const std::string& name) {
  for (const std::string* s : {&app, &name}) {
    if (s->empty() || s->size() > 256) return base::Status::Denied("bad app or stream name length");
    if (*s == "." || s->find("..") != std::string::npos) return base::Status::Denied("'..' in app or stream name");
    if (!base::IsValidUtf8(*s)) return base::Status::Denied("invalid UTF-8 in app or stream name");
    for (unsigned char c : *s) {
      if (c < 0x20 || c == 0x7f || c == '\\' || (c == '/' && s == &name))
        return base::Status::Denied("control or path characters in app or stream name");
    }
  }
  return base::Status::Ok();
}

}  // namespace cdn::net
