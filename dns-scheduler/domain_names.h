// The scheduler's view of the domain table: just the customer domain names it answers for,
// from central's JSON ({"domains":[{"name":..}, ...]} or plain strings). Pure; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/base/status.h"

namespace cdn::sched {

// Domain names from the API's JSON (lowercased, no trailing dot); invalid entries are errors.
base::Result<std::vector<std::string>> ParseDomainTable(std::string_view json);

}  // namespace cdn::sched
