#include "lib/config/domains.h"

#include "lib/config/values.h"
#include "lib/http/query.h"

namespace cdn::config {

base::Status ReadDomains(const Node& map, std::string_view key, std::vector<auth::Domain>* out) {
  Node list = map[key];
  if (list.is_null()) return base::Status::Ok();
  if (!list.is_sequence()) return list.Error("expected a list of domains");
  for (const Node& n : list.items()) {
    CDN_RETURN_IF_ERROR(CheckKnownKeys(n, {"name", "type", "source", "auth", "transcode", "record"}));
    auth::Domain d;
    d.is_static = true;
    CDN_RETURN_IF_ERROR(ReadString(n, "name", &d.name, true));
    d.name = http::ToLower(d.name);
    std::string type = "push";
    CDN_RETURN_IF_ERROR(ReadString(n, "type", &type, true));
    if (type == "push") d.type = auth::Domain::Type::kPush;
    else if (type == "pull") d.type = auth::Domain::Type::kPull;
    else return n["type"].Error("must be push or pull");
    CDN_RETURN_IF_ERROR(ReadString(n, "source", &d.source));
    d.source = http::ToLower(d.source);
    if (d.type == auth::Domain::Type::kPull && d.source.empty()) return n["source"].Error("a pull domain needs a source push domain");
    d.auth.required = d.type == auth::Domain::Type::kPush;  // push requires auth by default, pull does not
    Node a = n["auth"];
    CDN_RETURN_IF_ERROR(CheckKnownKeys(a, {"type", "key", "key2", "required"}));
    CDN_RETURN_IF_ERROR(ReadString(a, "type", &d.auth.type));
    if (d.auth.type != "A" && d.auth.type != "B" && d.auth.type != "C") return a["type"].Error("must be A, B or C");
    CDN_RETURN_IF_ERROR(ReadString(a, "key", &d.auth.key));
    CDN_RETURN_IF_ERROR(ReadString(a, "key2", &d.auth.key2));
    if (a.is_null()) d.auth.required = false;
    CDN_RETURN_IF_ERROR(ReadBool(a, "required", &d.auth.required));
    if (d.auth.required && d.auth.key.empty()) return a["key"].Error("auth is required but no key is set");
    CDN_RETURN_IF_ERROR(ReadStringList(n, "transcode", &d.transcode));
    CDN_RETURN_IF_ERROR(ReadBool(n, "record", &d.record));
    for (const auto& prev : *out) {
      if (prev.name == d.name) return n["name"].Error("duplicate domain '" + d.name + "'");
    }
    out->push_back(std::move(d));
  }
  auth::DomainTable t(*out);
  base::Status st = t.Validate();
  if (!st.ok()) return list.Error(st.message());
  return base::Status::Ok();
}

}  // namespace cdn::config
