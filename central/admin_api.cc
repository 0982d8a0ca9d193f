#include "central/admin_api.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/auth/domain_json.h"
#include "lib/base/clock.h"
#include "lib/base/crypto.h"
#include "lib/base/json.h"
#include "lib/base/log.h"
#include "lib/http/query.h"

namespace cdn::central {

namespace {
const net::Headers kJson = {{"Cache-Control", "no-cache"}};

void Error(net::HttpExchange* ex, int status, const std::string& why) {
  ex->Reply(status, "application/json", "{\"error\": " + base::JsonQuote(why) + "}\n", kJson);
}

int StatusFor(const base::Status& st) {
  switch (st.code()) {
    case base::Status::Code::kNotFound: return 404;
    case base::Status::Code::kDenied: return 403;
    case base::Status::Code::kBusy: return 409;
    case base::Status::Code::kInvalid: return 400;
    default: return 500;
  }
}
}  // namespace

bool AdminApi::Authorized(const net::HttpExchange& ex) const {
  if (token_.empty()) return false;
  return base::ConstantTimeEquals(ex.header("Authorization"), "Bearer " + token_);
}

void AdminApi::Handle(std::unique_ptr<net::HttpExchange> ex) {
  const std::string p = ex->path();
  if (p == "/healthz") {
    ex->Reply(hooks_.draining() ? 503 : 200, "application/json", hooks_.health(), kJson);
  } else if (p == "/metrics") {
    ex->Reply(200, "text/plain; version=0.0.4", hooks_.metrics());
  } else if (p == "/api/v1/streams") {
    ex->Reply(200, "application/json", hooks_.streams(), kJson);
  } else if (p == "/api/v1/domains" || p.rfind("/api/v1/domains/", 0) == 0) {
    Domains(std::move(ex), p.size() > 16 ? p.substr(16) : "");
  } else if (p == "/api/v1/records" || p.rfind("/api/v1/records/", 0) == 0) {
    Records(std::move(ex), p.size() > 16 ? p.substr(16) : "");
  } else if (p == "/api/v1/kick") {
    Kick(std::move(ex));
  } else if ((p == "/dashboard" || p.rfind("/dashboard/", 0) == 0) && hooks_.dashboard) {
    hooks_.dashboard(std::move(ex));
  } else {
    Error(ex.get(), 404, "no such endpoint: " + p);
  }
}

void AdminApi::Domains(std::unique_ptr<net::HttpExchange> ex, const std::string& rest) {
  const std::string& m = ex->method();
  const bool authorized = Authorized(*ex);
  const int64_t now = base::WallSeconds();
  if (rest.empty() && (m == "GET" || m == "HEAD")) {
    // ETag: the table version; keys only for token holders (edges verify signatures).
    const std::string etag = "\"" + std::to_string(domains_->version()) + (authorized ? "k" : "") + "\"";
    if (ex->header("If-None-Match") == etag) {
      ex->Reply(304, "", "", {{"ETag", etag}});
      return;
    }
    ex->Reply(200, "application/json", domains_->ToJson(authorized, now), {{"ETag", etag}, {"Cache-Control", "no-cache"}});
    return;
  }
  if (m != "GET" && !authorized) {
    LOG(WARN) << "admin " << ex->peer() << ": " << m << " " << ex->path() << " refused: bad or missing token";
    Error(ex.get(), 401, "missing or wrong bearer token");
    return;
  }
  if (rest.empty() && m == "POST") {
    auto d = auth::DomainFromJson(ex->body());
    if (!d.ok()) return Error(ex.get(), 400, d.status().message());
    if (hooks_.check_domain) {
      if (base::Status st = hooks_.check_domain(*d); !st.ok()) return Error(ex.get(), 400, st.message());
    }
    auto added = domains_->Add(std::move(*d));
    if (!added.ok()) return Error(ex.get(), StatusFor(added.status()), added.status().message());
    ex->Reply(201, "application/json",
              "{\"domain\": " + auth::DomainToJson(*added, true) + ", \"cname\": " +
                  base::JsonQuote(added->name + "." + zone_ + ".") + "}\n",
              kJson);
    return;
  }
  std::string name = rest;
  std::string action;
  if (size_t slash = rest.find('/'); slash != std::string::npos) {
    name = rest.substr(0, slash);
    action = rest.substr(slash + 1);
  }
  if (action.empty() && m == "GET") {
    const auth::Domain* d = domains_->Find(name);
    if (!d) return Error(ex.get(), 404, "no domain " + name);
    ex->Reply(200, "application/json",
              "{\"domain\": " + auth::DomainToJson(*d, authorized) + ", \"cname\": " +
                  base::JsonQuote(d->name + "." + zone_ + ".") + "}\n",
              kJson);
    return;
  }
  if (action.empty() && m == "DELETE") {
    base::Status st = domains_->Remove(name);
    if (!st.ok()) return Error(ex.get(), StatusFor(st), st.message());
    ex->Reply(204, "", "");
    return;
  }
  if (action == "key" && (m == "POST" || m == "PUT")) {
    std::string key;
    if (auto body = ex->body(); !body.empty()) {
      auto j = base::JsonValue::Parse(body);
      if (!j.ok()) return Error(ex.get(), 400, j.status().message());
      if ((*j)["key"].is_string()) key = (*j)["key"].str();
    }
    auto d = domains_->RotateKey(name, key);
    if (!d.ok()) return Error(ex.get(), StatusFor(d.status()), d.status().message());
    ex->Reply(200, "application/json", "{\"domain\": " + auth::DomainToJson(*d, true) + "}\n", kJson);
    return;
  }
  Error(ex.get(), 405, m + " " + ex->path() + " is not supported");
}

void AdminApi::Kick(std::unique_ptr<net::HttpExchange> ex) {
  if (ex->method() != "POST") return Error(ex.get(), 405, "use POST");
  if (!Authorized(*ex)) return Error(ex.get(), 401, "missing or wrong bearer token");
  auto j = base::JsonValue::Parse(ex->body());
  if (!j.ok()) return Error(ex.get(), 400, j.status().message());
  std::string vhost = (*j)["domain"].is_string() ? (*j)["domain"].str() : "";
  if ((*j)["vhost"].is_string()) vhost = (*j)["vhost"].str();
  const std::string app = (*j)["app"].is_string() ? (*j)["app"].str() : "";
  const std::string stream = (*j)["stream"].is_string() ? (*j)["stream"].str() : "";
  if (vhost.empty() || app.empty() || stream.empty()) return Error(ex.get(), 400, "domain, app and stream are required");
  // A pull domain names its source's streams.
  if (const auth::Domain* d = domains_->Find(vhost); d && d->type == auth::Domain::Type::kPull) vhost = d->source;
  KickRequest k = domains_->Kick(vhost, app, stream, base::WallSeconds());
  if (hooks_.kick) hooks_.kick(k);
  LOG(INFO) << "kick " << vhost << "/" << app << "/" << stream << " (id " << k.id << ")";
  ex->Reply(200, "application/json", "{\"kick\": " + std::to_string(k.id) + "}\n", kJson);
}

// GET /api/v1/records[?domain=&app=&stream=], /api/v1/records/<id>, /api/v1/records/<id>/download.
// Recordings are customer content: every call needs the token.
void AdminApi::Records(std::unique_ptr<net::HttpExchange> ex, const std::string& rest) {
  if (ex->method() != "GET" && ex->method() != "HEAD") return Error(ex.get(), 405, "use GET");
  if (!Authorized(*ex)) return Error(ex.get(), 401, "missing or wrong bearer token");
  if (!records_) return Error(ex.get(), 503, "recording catalog not open");
  if (rest.empty()) {
    const http::QueryParams q = http::ParseQuery(ex->query());
    std::string body = "{\"records\": [";
    bool first = true;
    for (const RecordEntry& e : records_->List(http::QueryGet(q, "domain").value_or(""), http::QueryGet(q, "app").value_or(""),
                                               http::QueryGet(q, "stream").value_or(""))) {
      body += (first ? "\n  " : ",\n  ") + e.ToJson();
      first = false;
    }
    ex->Reply(200, "application/json", body + "\n]}\n", kJson);
    return;
  }
  std::string id = rest, action;
  if (size_t slash = rest.find('/'); slash != std::string::npos) {
    id = rest.substr(0, slash);
    action = rest.substr(slash + 1);
  }
  auto e = records_->Find(id);
  if (!e.ok()) return Error(ex.get(), 404, e.status().message());
  if (action.empty()) {
    ex->Reply(200, "application/json", "{\"record\": " + e->ToJson() + "}\n", kJson);
    return;
  }
  if (action != "download") return Error(ex.get(), 404, "no such endpoint: " + ex->path());
  if (e->state == "recording") return Error(ex.get(), 409, "recording " + id + " is still being written");
  int fd = open(e->path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    if (fd >= 0) close(fd);
    return Error(ex.get(), 404, "recording file " + e->path + " is gone");
  }
  const std::string file = e->path.substr(e->path.rfind('/') + 1);
  LOG(INFO) << "admin " << ex->peer() << ": download of recording " << id << " (" << st.st_size << " bytes)";
  ex->ReplyFile(200, e->format == "mp4" ? "video/mp4" : "video/x-flv", fd, 0, static_cast<uint64_t>(st.st_size),
                {{"Content-Disposition", "attachment; filename=\"" + file + "\""}});
}

}  // namespace cdn::central
