#include "dns-scheduler/domain_names.h"

#include <cctype>

#include "lib/base/json.h"
#include "lib/dns/name.h"

namespace cdn::sched {

base::Result<std::vector<std::string>> ParseDomainTable(std::string_view text) {
  auto json = base::JsonValue::Parse(text);
  if (!json.ok()) return json.status();
  const base::JsonValue& list = (*json)["domains"];
  if (!list.is_array()) return base::Status::Invalid("domain table: expected {\"domains\": [...]}");
  std::vector<std::string> out;
  for (const auto& d : list.items()) {
    std::string name;
    if (d.is_string()) {
      name = d.str();
    } else if (d.is_object() && d["name"].is_string()) {
      name = d["name"].str();
    } else {
      return base::Status::Invalid("domain table: entry without a name");
    }
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!name.empty() && name.back() == '.') name.pop_back();
    auto wire = dns::NameFromText(name);
    if (name.empty() || !wire.ok()) return base::Status::Invalid("domain table: bad name '" + name + "'");
    out.push_back(name);
  }
  return out;
}

}  // namespace cdn::sched
