// Reads the `domains:` list every service's YAML shares (DESIGN.md, central.yaml) into
// auth::Domain values, with the YAML path in every error. Pure; any thread.
#pragma once

#include <vector>

#include "lib/auth/domain_table.h"
#include "lib/base/status.h"
#include "lib/config/node.h"

namespace cdn::config {

base::Status ReadDomains(const Node& map, std::string_view key, std::vector<auth::Domain>* out);

}  // namespace cdn::config
