// cdnctl: the operator's CLI (DESIGN.md "CLI: cdnctl"). Talks to central's admin API
// (--api URL, --token T, or LIVECDN_API / LIVECDN_TOKEN) and to the DNS scheduler.
#include <cstdio>
#include <string>

#include "lib/base/json.h"
#include "lib/http/query.h"
#include "tools/cdnctl/commands.h"

namespace cdn::cdnctl {

int StreamsCommand(const Args& a) {
  const Api api = Api::FromArgs(a);
  auto r = api.Call("GET", "/api/v1/streams");
  if (!r.ok()) return fprintf(stderr, "cdnctl: %s\n", r.status().message().c_str()), 1;
  if (a.Has("json")) return printf("%s", r->body.c_str()), 0;
  auto j = base::JsonValue::Parse(r->body);
  if (!j.ok()) return fprintf(stderr, "cdnctl: %s\n", j.status().message().c_str()), 1;
  printf("%-28s %-10s %-20s %-10s %s\n", "DOMAIN", "APP", "STREAM", "STATE", "VIEWERS");
  for (const auto& s : (*j)["streams"].items()) {
    printf("%-28s %-10s %-20s %-10s %d\n", s["vhost"].str().c_str(), s["app"].str().c_str(), s["stream"].str().c_str(),
           s["publishing"].boolean() ? "live" : "waiting", static_cast<int>(s["viewers"].number()));
  }
  return 0;
}

int KickCommand(const Args& a) {
  if (!a.Has("domain") || !a.Has("stream")) return fprintf(stderr, "usage: cdnctl kick --domain D --app A --stream S\n"), 2;
  const Api api = Api::FromArgs(a);
  std::string body = "{\"domain\": " + base::JsonQuote(a.Get("domain")) + ", \"app\": " + base::JsonQuote(a.Get("app", "live")) +
                     ", \"stream\": " + base::JsonQuote(a.Get("stream")) + "}";
  auto j = api.Json("POST", "/api/v1/kick", body);
  if (!j.ok()) return fprintf(stderr, "cdnctl: kick: %s\n", j.status().message().c_str()), 1;
  printf("kicked %s/%s/%s on central; edges apply it at their next domain sync (about a second)\n",
         a.Get("domain").c_str(), a.Get("app", "live").c_str(), a.Get("stream").c_str());
  return 0;
}

// records [--domain D] [--app A] [--stream S] [--json] | records show <id> | records download <id> [--out F]
int RecordsCommand(const Args& a) {
  const Api api = Api::FromArgs(a);
  const std::string sub = a.positional.size() > 1 ? a.positional[1] : "list";
  if (sub == "download") {
    if (a.positional.size() < 3) return fprintf(stderr, "usage: cdnctl records download <id> [--out FILE]\n"), 2;
    Api slow = api;
    slow.timeout_ms = 600000;
    auto r = slow.Call("GET", "/api/v1/records/" + a.positional[2] + "/download");
    if (!r.ok()) return fprintf(stderr, "cdnctl: %s\n", r.status().message().c_str()), 1;
    if (r->status != 200) return fprintf(stderr, "cdnctl: download: HTTP %d: %s\n", r->status, r->body.c_str()), 1;
    const std::string out = a.Get("out", a.positional[2] + ".flv");
    FILE* f = fopen(out.c_str(), "wb");
    if (!f || fwrite(r->body.data(), 1, r->body.size(), f) != r->body.size()) {
      if (f) fclose(f);
      return fprintf(stderr, "cdnctl: cannot write %s\n", out.c_str()), 1;
    }
    fclose(f);
    printf("%s (%zu bytes)\n", out.c_str(), r->body.size());
    return 0;
  }
  if (sub == "show") {
    if (a.positional.size() < 3) return fprintf(stderr, "usage: cdnctl records show <id>\n"), 2;
    auto j = api.Json("GET", "/api/v1/records/" + a.positional[2]);
    if (!j.ok()) return fprintf(stderr, "cdnctl: %s\n", j.status().message().c_str()), 1;
    const auto& e = (*j)["record"];
    for (const char* k : {"id", "domain", "app", "stream", "state", "format", "path", "error"})
      if (e[k].is_string()) printf("%-9s %s\n", k, e[k].str().c_str());
    for (const char* k : {"start_ms", "end_ms", "duration_ms", "bytes"})
      printf("%-9s %.0f\n", k, e[k].number());
    return 0;
  }
  if (sub != "list") return fprintf(stderr, "usage: cdnctl records [list|show <id>|download <id>]\n"), 2;
  std::string q;
  for (const char* k : {"domain", "app", "stream"})
    if (a.Has(k)) q += std::string(q.empty() ? "?" : "&") + k + "=" + http::PercentEncode(a.Get(k));
  auto r = api.Call("GET", "/api/v1/records" + q);
  if (!r.ok()) return fprintf(stderr, "cdnctl: %s\n", r.status().message().c_str()), 1;
  if (r->status != 200) return fprintf(stderr, "cdnctl: records: HTTP %d: %s\n", r->status, r->body.c_str()), 1;
  if (a.Has("json")) return printf("%s", r->body.c_str()), 0;
  auto j = base::JsonValue::Parse(r->body);
  if (!j.ok()) return fprintf(stderr, "cdnctl: %s\n", j.status().message().c_str()), 1;
  printf("%-22s %-24s %-16s %-8s %9s %11s %s\n", "ID", "DOMAIN/APP", "STREAM", "STATE", "DURATION", "BYTES", "PATH");
  for (const auto& e : (*j)["records"].items()) {
    printf("%-22s %-24s %-16s %-8s %8.1fs %11.0f %s\n", e["id"].str().c_str(),
           (e["domain"].str() + "/" + e["app"].str()).c_str(), e["stream"].str().c_str(), e["state"].str().c_str(),
           e["duration_ms"].number() / 1000.0, e["bytes"].number(), e["path"].str().c_str());
  }
  return 0;
}

}  // namespace cdn::cdnctl

int main(int argc, char** argv) {
  using namespace cdn::cdnctl;
  Args a = ParseArgs(argc, argv, 1);  // global options may come before the command
  const std::string cmd = a.positional.empty() ? (a.Has("help") ? "help" : "") : a.positional[0];
  if (cmd == "domain") return DomainCommand(a);
  if (cmd == "sign") return SignCommand(a);
  if (cmd == "verify") return VerifyCommand(a);
  if (cmd == "resolve") return ResolveCommand(a);
  if (cmd == "streams") return StreamsCommand(a);
  if (cmd == "kick") return KickCommand(a);
  if (cmd == "records") return RecordsCommand(a);
  fprintf(cmd.empty() || cmd == "help" || cmd == "--help" ? stdout : stderr,
          "usage: cdnctl <command> [options]   (--api URL --token T, or LIVECDN_API / LIVECDN_TOKEN)\n"
          "  domain add <d> --type push|pull [--source <push>]   add a domain; prints the CNAME to set\n"
          "  domain list|show <d>|rm <d>|key <d> [--rotate]      the domain table\n"
          "  sign push|pull --domain D --app A --stream S [--ttl 1h] [--type A|B|C]\n"
          "  verify <url>                                        valid, or exactly why not\n"
          "  resolve <name> [--server H:P] [--client-ip IP] [--explain]\n"
          "  streams | kick --domain D --app A --stream S\n"
          "  records [--domain D] [--app A] [--stream S] | records show <id> | records download <id> [--out F]\n"
          "  --json on listings\n");
  return cmd.empty() || cmd == "help" || cmd == "--help" ? 0 : 2;
}
