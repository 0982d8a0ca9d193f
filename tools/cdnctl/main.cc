// cdnctl: the operator's CLI (DESIGN.md "CLI: cdnctl"). Talks to central's admin API
// (--api URL, --token T, or LIVECDN_API / LIVECDN_TOKEN) and to the DNS scheduler.
#include <cstdio>
#include <string>

#include "lib/base/json.h"
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

int RecordsCommand(const Args&) {
  fprintf(stderr, "cdnctl: recordings are not available yet (they arrive with central's recorder)\n");
  return 1;
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
          "  streams | kick --domain D --app A --stream S | records\n"
          "  --json on listings\n");
  return cmd.empty() || cmd == "help" || cmd == "--help" ? 0 : 2;
}
