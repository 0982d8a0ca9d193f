// The domain table's wire format (central's /api/v1/domains, the copies edges and the scheduler
// keep on disk): {"version": N, "domains": [{"name", "type", "source", "auth": {"type", "key",
// "key2", "required"}, "transcode": [...], "record", "static"}]}. Keys are written only for
// callers that hold the admin token. Pure; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/auth/domain_table.h"
#include "lib/base/status.h"

namespace cdn::auth {

std::string DomainToJson(const Domain& d, bool with_keys);
std::string DomainsToJson(const std::vector<Domain>& domains, uint64_t version, bool with_keys);

// Parses one domain object (API request bodies and table entries). Names are lower-cased and
// checked (a hostname: labels of [a-z0-9-], dots, at most 253 bytes).
base::Result<Domain> DomainFromJson(std::string_view json);
base::Result<std::vector<Domain>> DomainsFromJson(std::string_view json);

bool ValidDomainName(std::string_view name);

}  // namespace cdn::auth
