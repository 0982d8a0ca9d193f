// libFuzzer target: arbitrary text -> config::Node::LoadString (yaml-cpp underneath, which is not
// instrumented: only our tree building is guided) and the typed readers every service's config
// goes through (lib/config/values.h sizes, durations, bandwidths, host:port; lib/config/domains.h).
// Config is local input, not network input, but a bad file must stop a service with a message,
// never crash it. Inputs over 4 KiB are skipped: yaml-cpp's cost grows fast with size and the
// shapes that matter fit in that.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/config/domains.h"
#include "lib/config/node.h"
#include "lib/config/values.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

namespace config = cdn::config;

void Scalar(const std::string& s) {
  (void)config::ParseSize(s);
  (void)config::ParseDurationMs(s);
  (void)config::ParseBandwidth(s);
  if (auto hp = config::ParseHostPort(s); hp.ok()) (void)hp->ToString();
}

void Walk(const config::Node& n, int depth) {
  FUZZ_CHECK(depth <= 80);
  (void)n.Error("checked");
  if (n.is_scalar()) Scalar(n.scalar());
  for (const config::Node& item : n.items()) Walk(item, depth + 1);
  for (const auto& [key, child] : n.entries()) Walk(child, depth + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  auto node = config::Node::LoadString(cdn::fuzz::View(data, size), "fuzz.yaml");
  if (!node.ok()) return 0;
  Walk(*node, 0);
  std::vector<cdn::auth::Domain> domains;
  (void)config::ReadDomains(*node, "domains", &domains);
  int64_t ms;
  (void)config::ReadDurationMs(*node, "timeout", &ms);
  uint64_t bytes;
  (void)config::ReadSize(*node, "size", &bytes);
  config::HostPort hp;
  (void)config::ReadHostPort(*node, "listen", &hp);
  std::vector<std::string> list;
  (void)config::ReadStringList(*node, "origins", &list);
  return 0;
}
