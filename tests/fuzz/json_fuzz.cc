// libFuzzer target: arbitrary text -> the JSON reader (lib/base/json.h: /healthz answers, API
// bodies) and the domain table wire format built on it (lib/auth/domain_json.h: central's
// /api/v1/domains, the copies edges and the scheduler keep on disk, API request bodies).
// Properties: JsonQuote output parses back to the same string; a table that parses, written
// again by DomainsToJson, parses to the same domains.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/auth/domain_json.h"
#include "lib/base/json.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using cdn::auth::Domain;
using cdn::base::JsonValue;

size_t Walk(const JsonValue& v) {
  size_t n = 1;
  for (const JsonValue& item : v.items()) n += Walk(item);
  (void)v["domains"].is_array();
  (void)v.has("version");
  return n;
}

bool Same(const Domain& a, const Domain& b) {
  return a.name == b.name && a.type == b.type && a.source == b.source && a.auth.type == b.auth.type &&
         a.auth.key == b.auth.key && a.auth.key2 == b.auth.key2 && a.auth.required == b.auth.required &&
         a.transcode == b.transcode && a.record == b.record && a.is_static == b.is_static;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = cdn::fuzz::View(data, size);

  if (auto v = JsonValue::Parse(text); v.ok()) Walk(*v);

  auto quoted = JsonValue::Parse(cdn::base::JsonQuote(text));
  FUZZ_CHECK(quoted.ok() && quoted->is_string() && quoted->str() == text);

  if (auto d = cdn::auth::DomainFromJson(text); d.ok()) {
    FUZZ_CHECK(cdn::auth::ValidDomainName(d->name));
    auto again = cdn::auth::DomainFromJson(cdn::auth::DomainToJson(*d, /*with_keys=*/true));
    FUZZ_CHECK(again.ok() && Same(*again, *d));
  }

  auto table = cdn::auth::DomainsFromJson(text);
  if (!table.ok()) return 0;
  auto again = cdn::auth::DomainsFromJson(cdn::auth::DomainsToJson(*table, 7, /*with_keys=*/true));
  FUZZ_CHECK(again.ok() && again->size() == table->size());
  for (size_t i = 0; i < table->size(); ++i) FUZZ_CHECK(Same((*again)[i], (*table)[i]));
  return 0;
}
