// cdnctl domain add|list|show|rm|key: the domain table through central's admin API.
#include <cstdio>

#include "tools/cdnctl/commands.h"

namespace cdn::cdnctl {

namespace {

void PrintDomain(const base::JsonValue& d, bool keys) {
  printf("%-28s %-4s", d["name"].str().c_str(), d["type"].str().c_str());
  if (d["source"].is_string()) printf(" source=%s", d["source"].str().c_str());
  const auto& a = d["auth"];
  printf(" auth=%s%s", a["type"].is_string() ? a["type"].str().c_str() : "A", a["required"].boolean() ? "(required)" : "(optional)");
  if (d["transcode"].is_array() && !d["transcode"].items().empty()) {
    std::string t;
    for (const auto& x : d["transcode"].items()) t += (t.empty() ? "" : ",") + x.str();
    printf(" transcode=%s", t.c_str());
  }
  if (d["record"].boolean()) printf(" record");
  if (d["static"].boolean()) printf(" static");
  printf("\n");
  if (keys && a["key"].is_string()) {
    printf("  key:  %s\n", a["key"].str().c_str());
    if (!a["key2"].str().empty()) printf("  key2: %s (secondary)\n", a["key2"].str().c_str());
  }
}

}  // namespace

int DomainCommand(const Args& a) {
  const Api api = Api::FromArgs(a);
  const std::string verb = a.positional.size() > 1 ? a.positional[1] : "";
  const bool json = a.Has("json");
  if (verb == "list") {
    auto r = api.Call("GET", "/api/v1/domains");
    if (!r.ok()) return fprintf(stderr, "cdnctl: %s\n", r.status().message().c_str()), 1;
    if (json) return printf("%s", r->body.c_str()), 0;
    auto j = base::JsonValue::Parse(r->body);
    if (!j.ok()) return fprintf(stderr, "cdnctl: %s\n", j.status().message().c_str()), 1;
    for (const auto& d : (*j)["domains"].items()) PrintDomain(d, false);
    return 0;
  }
  if (a.positional.size() < 3) {
    fprintf(stderr, "usage: cdnctl domain add <domain> --type push|pull [--source <push-domain>] [--auth-type A|B|C] [--key K] [--no-auth|--auth-required] [--transcode sd,hd] [--record]\n"
                    "       cdnctl domain list|show <domain>|rm <domain>|key <domain> [--rotate] [--json]\n");
    return 2;
  }
  const std::string name = a.positional[2];
  if (verb == "add") {
    const std::string type = a.Get("type", "push");
    if (type != "push" && type != "pull") return fprintf(stderr, "cdnctl: --type must be push or pull\n"), 2;
    if (type == "pull" && !a.Has("source")) return fprintf(stderr, "cdnctl: a pull domain needs --source <push-domain>\n"), 2;
    bool required = type == "push";
    if (a.Has("no-auth")) required = false;
    if (a.Has("auth-required")) required = true;
    std::string body = "{\"name\": " + base::JsonQuote(name) + ", \"type\": \"" + type + "\"";
    if (a.Has("source")) body += ", \"source\": " + base::JsonQuote(a.Get("source"));
    body += ", \"auth\": {\"type\": " + base::JsonQuote(a.Get("auth-type", "A")) + ", \"required\": " + (required ? "true" : "false");
    if (a.Has("key")) body += ", \"key\": " + base::JsonQuote(a.Get("key"));
    body += "}";
    if (a.Has("transcode")) {
      // --transcode sd,hd: templates from central's transcode.templates.
      std::string list, t = a.Get("transcode");
      for (size_t pos = 0; pos <= t.size();) {
        size_t comma = t.find(',', pos);
        if (comma == std::string::npos) comma = t.size();
        if (comma > pos) list += (list.empty() ? "" : ", ") + base::JsonQuote(t.substr(pos, comma - pos));
        pos = comma + 1;
      }
      body += ", \"transcode\": [" + list + "]";
    }
    if (a.Has("record")) body += ", \"record\": true";
    body += "}";
    auto r = api.Call("POST", "/api/v1/domains", body);
    if (!r.ok()) return fprintf(stderr, "cdnctl: cannot add %s: %s\n", name.c_str(), r.status().message().c_str()), 1;
    auto j = base::JsonValue::Parse(r->body);
    if (r->status != 201 || !j.ok()) {
      std::string why = j.ok() && (*j)["error"].is_string() ? (*j)["error"].str() : r->body;
      return fprintf(stderr, "cdnctl: cannot add %s: HTTP %d: %s\n", name.c_str(), r->status, why.c_str()), 1;
    }
    if (json) return printf("%s", r->body.c_str()), 0;
    printf("added ");
    PrintDomain((*j)["domain"], true);
    printf("Set this CNAME at the customer's DNS:\n  %s. CNAME %s\n", name.c_str(), (*j)["cname"].str().c_str());
    return 0;
  }
  if (verb == "show" || verb == "key") {
    base::Result<base::JsonValue> j = base::Status::Ok();
    if (verb == "key" && a.Has("rotate")) {
      std::string body = a.Has("new-key") ? "{\"key\": " + base::JsonQuote(a.Get("new-key")) + "}" : "{}";
      j = api.Json("POST", "/api/v1/domains/" + name + "/key", body);
    } else {
      j = api.Json("GET", "/api/v1/domains/" + name);
    }
    if (!j.ok()) return fprintf(stderr, "cdnctl: %s: %s\n", name.c_str(), j.status().message().c_str()), 1;
    if (json) {
      auto r = api.Call("GET", "/api/v1/domains/" + name);
      return printf("%s", r.ok() ? r->body.c_str() : "{}\n"), 0;
    }
    if (verb == "key" && a.Has("rotate")) printf("rotated: the old primary key is now the secondary\n");
    PrintDomain((*j)["domain"], verb == "key" || !api.token.empty());
    if ((*j)["cname"].is_string()) printf("  cname: %s\n", (*j)["cname"].str().c_str());
    return 0;
  }
  if (verb == "rm") {
    auto j = api.Json("DELETE", "/api/v1/domains/" + name);
    if (!j.ok()) return fprintf(stderr, "cdnctl: cannot remove %s: %s\n", name.c_str(), j.status().message().c_str()), 1;
    printf("removed %s\n", name.c_str());
    return 0;
  }
  fprintf(stderr, "cdnctl: unknown domain verb '%s'\n", verb.c_str());
  return 2;
}

}  // namespace cdn::cdnctl
