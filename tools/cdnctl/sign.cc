// cdnctl sign push|pull and verify: URL signing with the domain's keys from central's API
// (lib/auth/url_signer.h does the signing; this file only builds the URLs around it).
#include <cstdio>
#include <ctime>

#include "lib/auth/domain_json.h"
#include "lib/auth/url_signer.h"
#include "lib/base/clock.h"
#include "lib/base/crypto.h"
#include "lib/http/query.h"
#include "tools/cdnctl/commands.h"

namespace cdn::cdnctl {

int64_t ParseTtl(const std::string& s) {
  if (s.empty()) return -1;
  int64_t n = 0;
  size_t i = 0;
  while (i < s.size() && isdigit(static_cast<unsigned char>(s[i]))) n = n * 10 + (s[i++] - '0');
  if (i == 0) return -1;
  std::string u = s.substr(i);
  if (u.empty() || u == "s") return n;
  if (u == "m") return n * 60;
  if (u == "h") return n * 3600;
  if (u == "d") return n * 86400;
  return -1;
}

namespace {

base::Result<auth::Domain> FetchDomain(const Api& api, const std::string& name) {
  auto j = api.Json("GET", "/api/v1/domains/" + name);
  if (!j.ok()) return j.status().WithContext("domain " + name);
  auto r = api.Call("GET", "/api/v1/domains/" + name);
  // Re-parse the one domain object through the shared codec.
  const std::string body = r.ok() ? r->body : "";
  size_t start = body.find("{\"name\"");
  size_t end = body.rfind(", \"cname\"");
  if (start == std::string::npos || end == std::string::npos || end < start) return base::Status::Invalid("unexpected API answer");
  auto d = auth::DomainFromJson(body.substr(start, end - start));
  if (!d.ok()) return d.status();
  if (d->auth.key.empty()) return base::Status::Denied("no key for " + name + " (the API shows keys only with --token)");
  return d;
}

std::string RandHex() {
  char b[8];
  base::RandomBytes(b, sizeof b);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : std::string_view(b, sizeof b)) out += {kHex[c >> 4], kHex[c & 15]};
  return out;
}

// scheme://host/<signed path>?<query with vhost when host is an address>
std::string Url(const std::string& scheme, const std::string& host, const std::string& domain, const auth::SignedUri& s) {
  std::string q = s.query;
  if (host != domain) q = "vhost=" + domain + (q.empty() ? "" : "&" + q);
  return scheme + "://" + host + s.path + (q.empty() ? "" : "?" + q);
}

}  // namespace

int SignCommand(const Args& a) {
  const std::string kind = a.positional.size() > 1 ? a.positional[1] : "";
  const std::string domain = a.Get("domain"), app = a.Get("app", "live"), stream = a.Get("stream");
  if ((kind != "push" && kind != "pull") || domain.empty() || stream.empty()) {
    fprintf(stderr, "usage: cdnctl sign push|pull --domain D --app A --stream S [--ttl 1h] [--type A|B|C]\n"
                    "                 [--rtmp-host H:P] [--http-host H:P] [--json]\n");
    return 2;
  }
  const int64_t ttl = ParseTtl(a.Get("ttl", "1h"));
  if (ttl <= 0) return fprintf(stderr, "cdnctl: bad --ttl '%s'\n", a.Get("ttl").c_str()), 2;
  const Api api = Api::FromArgs(a);
  auto d = FetchDomain(api, domain);
  if (!d.ok()) return fprintf(stderr, "cdnctl: %s\n", d.status().message().c_str()), 1;
  if ((kind == "push") != (d->type == auth::Domain::Type::kPush))
    return fprintf(stderr, "cdnctl: %s is a %s domain\n", domain.c_str(), d->type == auth::Domain::Type::kPush ? "push" : "pull"), 1;
  auto type = auth::ParseSignType(a.Get("type", d->auth.type));
  if (!type) return fprintf(stderr, "cdnctl: --type must be A, B or C\n"), 2;
  const int64_t now = base::WallSeconds();
  // A carries the expiry; B and C carry the signing time and are valid for the TTL after it.
  const int64_t t = *type == auth::SignType::kA ? now + ttl : now;
  const std::string rand = RandHex();
  const std::string rtmp_host = a.Get("rtmp-host", domain), http_host = a.Get("http-host", domain);
  const std::string base_uri = "/" + app + "/" + stream;
  struct Line { std::string label, url; };
  std::vector<Line> lines;
  if (kind == "push") {
    lines.push_back({"rtmp", Url("rtmp", rtmp_host, domain, auth::Sign(*type, d->auth.key, base_uri, t, rand))});
  } else {
    lines.push_back({"rtmp", Url("rtmp", rtmp_host, domain, auth::Sign(*type, d->auth.key, base_uri, t, rand))});
    lines.push_back({"flv", Url("http", http_host, domain, auth::Sign(*type, d->auth.key, base_uri + ".flv", t, rand))});
    lines.push_back({"hls", Url("http", http_host, domain, auth::Sign(*type, d->auth.key, base_uri + ".m3u8", t, rand))});
    // Renditions are the source push domain's templates; the ABR master lists them with the source.
    std::vector<std::string> templates = d->transcode;
    if (!d->source.empty()) {
      if (auto src = FetchDomain(api, d->source); src.ok()) templates = src->transcode;
    }
    for (const auto& tpl : templates) {
      lines.push_back({"hls_" + tpl, Url("http", http_host, domain, auth::Sign(*type, d->auth.key, base_uri + "_" + tpl + ".m3u8", t, rand))});
    }
    if (!templates.empty())
      lines.push_back({"abr", Url("http", http_host, domain, auth::Sign(*type, d->auth.key, base_uri + "_abr.m3u8", t, rand))});
  }
  const int64_t expires = *type == auth::SignType::kA ? t : t + auth::kDefaultTtlSeconds;
  if (a.Has("json")) {
    printf("{\"expires\": %lld", static_cast<long long>(expires));
    for (const auto& l : lines) printf(", \"%s\": %s", l.label.c_str(), base::JsonQuote(l.url).c_str());
    printf("}\n");
    return 0;
  }
  printf("%s URLs for %s/%s on %s (type %s, valid until %s):\n", kind.c_str(), app.c_str(), stream.c_str(), domain.c_str(),
         std::string(auth::SignTypeName(*type)).c_str(), auth::FormatUnixTime(expires).c_str());
  for (const auto& l : lines) printf("  %-5s %s\n", l.label.c_str(), l.url.c_str());
  return 0;
}

int VerifyCommand(const Args& a) {
  if (a.positional.size() < 2) return fprintf(stderr, "usage: cdnctl verify <url>\n"), 2;
  auto u = http::ParseUrl(a.positional[1]);
  if (!u) return fprintf(stderr, "invalid: not a URL\n"), 1;
  std::string domain = u->host;
  auto params = http::ParseQuery(u->query);
  if (auto v = http::QueryGet(params, "vhost")) domain = *v;
  const Api api = Api::FromArgs(a);
  auto d = FetchDomain(api, domain);
  if (!d.ok()) {
    printf("invalid: unknown domain %s (%s)\n", domain.c_str(), d.status().message().c_str());
    return 1;
  }
  auth::Token token;
  auth::AuthStatus st = auth::Verify(d->auth, u->path, u->query, base::WallSeconds(), &token);
  if (!st.ok()) {
    printf("invalid: %s (%s)\n", std::string(st.label()).c_str(), st.message().c_str());
    return 1;
  }
  bool secondary = false;
  auth::VerifyKeys keys{d->auth.key, d->auth.key2};
  (void)auth::CheckToken(token, token.path, keys, base::WallSeconds(), &secondary);
  const int64_t expires = token.type == auth::SignType::kA ? token.time : token.time + auth::kDefaultTtlSeconds;
  printf("valid: %s on %s, signed with the %s key, expires %s\n", token.path.c_str(), domain.c_str(),
         secondary ? "secondary" : "primary", auth::FormatUnixTime(expires).c_str());
  return 0;
}

}  // namespace cdn::cdnctl
