#include "lib/net/domain_policy.h"

#include "lib/http/query.h"

namespace cdn::net {

base::Status DomainPolicy::AdmitConnect(const rtmp::ConnectInfo& info) {
  if (table_->open()) return base::Status::Ok();
  // Connecting by IP: the vhost may still come with the stream name (`room?vhost=...`, as
  // ffmpeg puts the URL query on the play path), so it is checked at publish/play time.
  if (info.vhost == info.host && http::IsIpLiteral(info.host)) return base::Status::Ok();
  if (!table_->Find(info.vhost)) return base::Status::NotFound("unknown domain '" + info.vhost + "'");
  return base::Status::Ok();
}

base::Result<live::StreamKey> DomainPolicy::AdmitPublish(const rtmp::ConnectInfo& info, const rtmp::StreamRequest& req) {
  auto d = table_->PublishDomain(info.vhost);
  if (!d.ok()) return d.status();
  CDN_RETURN_IF_ERROR(CheckNames(info.app, req.name));
  return live::StreamKey{*d, info.app, req.name};
}

base::Result<live::StreamKey> DomainPolicy::AdmitPlay(const std::string& vhost, const std::string& app,
                                                      const std::string& name, const std::string& query) {
  auto d = table_->PlayDomain(vhost);
  if (!d.ok()) return d.status();
  CDN_RETURN_IF_ERROR(CheckNames(app, name));
  return live::StreamKey{*d, app, name};
}

base::Status DomainPolicy::CheckNames(const std::string& app, const std::string& name) {
  for (const std::string* s : {&app, &name}) {
    if (s->empty() || s->size() > 256) return base::Status::Denied("bad app or stream name length");
    if (*s == "." || s->find("..") != std::string::npos) return base::Status::Denied("'..' in app or stream name");
    for (unsigned char c : *s) {
      if (c < 0x20 || c == 0x7f || c == '\\' || (c == '/' && s == &name))
        return base::Status::Denied("control or path characters in app or stream name");
    }
  }
  return base::Status::Ok();
}

}  // namespace cdn::net
