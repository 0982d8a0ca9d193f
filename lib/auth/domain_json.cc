#include "lib/auth/domain_json.h"

#include <cctype>

#include "lib/base/json.h"

namespace cdn::auth {

namespace {

std::string TypeName(Domain::Type t) { return t == Domain::Type::kPush ? "push" : "pull"; }

base::Result<Domain> FromValue(const base::JsonValue& v) {
  if (!v.is_object()) return base::Status::Invalid("domain: expected an object");
  Domain d;
  if (!v["name"].is_string()) return base::Status::Invalid("domain: missing name");
  d.name = v["name"].str();
  for (char& c : d.name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!d.name.empty() && d.name.back() == '.') d.name.pop_back();
  if (!ValidDomainName(d.name)) return base::Status::Invalid("domain: bad name '" + d.name + "'");
  const std::string type = v["type"].is_string() ? v["type"].str() : "";
  if (type == "push") d.type = Domain::Type::kPush;
  else if (type == "pull") d.type = Domain::Type::kPull;
  else return base::Status::Invalid("domain " + d.name + ": type must be push or pull");
  if (v["source"].is_string()) {
    d.source = v["source"].str();
    for (char& c : d.source) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (d.type == Domain::Type::kPull && d.source.empty())
    return base::Status::Invalid("domain " + d.name + ": a pull domain needs a source");
  d.auth.required = d.type == Domain::Type::kPush;
  const base::JsonValue& a = v["auth"];
  if (a.is_object()) {
    if (a["type"].is_string()) d.auth.type = a["type"].str();
    if (d.auth.type != "A" && d.auth.type != "B" && d.auth.type != "C")
      return base::Status::Invalid("domain " + d.name + ": auth type must be A, B or C");
    if (a["key"].is_string()) d.auth.key = a["key"].str();
    if (a["key2"].is_string()) d.auth.key2 = a["key2"].str();
    if (a.has("required")) d.auth.required = a["required"].boolean();
  } else {
    d.auth.required = false;
  }
  if (v["transcode"].is_array()) {
    for (const auto& t : v["transcode"].items()) {
      if (t.is_string()) d.transcode.push_back(t.str());
    }
  }
  if (v.has("record")) d.record = v["record"].boolean();
  if (v.has("static")) d.is_static = v["static"].boolean();
  return d;
}

}  // namespace

bool ValidDomainName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
    if (++label > 63) return false;
  }
  return label > 0;
}

std::string DomainToJson(const Domain& d, bool with_keys) {
  std::string o = "{\"name\": " + base::JsonQuote(d.name) + ", \"type\": \"" + TypeName(d.type) + "\"";
  if (!d.source.empty()) o += ", \"source\": " + base::JsonQuote(d.source);
  o += ", \"auth\": {\"type\": " + base::JsonQuote(d.auth.type) + ", \"required\": " + (d.auth.required ? "true" : "false");
  if (with_keys) {
    o += ", \"key\": " + base::JsonQuote(d.auth.key) + ", \"key2\": " + base::JsonQuote(d.auth.key2);
  }
  o += "}, \"transcode\": [";
  for (size_t i = 0; i < d.transcode.size(); ++i) o += (i ? ", " : "") + base::JsonQuote(d.transcode[i]);
  o += std::string("], \"record\": ") + (d.record ? "true" : "false") + ", \"static\": " + (d.is_static ? "true" : "false") + "}";
  return o;
}

std::string DomainsToJson(const std::vector<Domain>& domains, uint64_t version, bool with_keys) {
  std::string o = "{\"version\": " + std::to_string(version) + ", \"domains\": [";
  for (size_t i = 0; i < domains.size(); ++i) {
    if (i) o += ",\n  ";
    o += DomainToJson(domains[i], with_keys);
  }
  return o + "]}\n";
}

base::Result<Domain> DomainFromJson(std::string_view json) {
  auto v = base::JsonValue::Parse(json);
  if (!v.ok()) return v.status();
  return FromValue(*v);
}

base::Result<std::vector<Domain>> DomainsFromJson(std::string_view json) {
  auto v = base::JsonValue::Parse(json);
  if (!v.ok()) return v.status();
  const base::JsonValue& list = (*v)["domains"];
  if (!list.is_array()) return base::Status::Invalid("domain table: expected {\"domains\": [...]}");
  std::vector<Domain> out;
  for (const auto& item : list.items()) {
    auto d = FromValue(item);
    if (!d.ok()) return d.status();
    out.push_back(std::move(*d));
  }
  DomainTable t(out);
  CDN_RETURN_IF_ERROR(t.Validate());
  return out;
}

}  // namespace cdn::auth
