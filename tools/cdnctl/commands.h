// The cdnctl verbs (DESIGN.md "CLI: cdnctl"), one function each; each returns the exit code
// (0 ok, 1 failed or invalid, 2 usage). Human output by default, --json for scripts.
#pragma once

#include "tools/cdnctl/api.h"

namespace cdn::cdnctl {

int DomainCommand(const Args& a);   // domain add|list|show|rm|key
int SignCommand(const Args& a);     // sign push|pull
int VerifyCommand(const Args& a);   // verify <url>
int ResolveCommand(const Args& a);  // resolve <name>
int StreamsCommand(const Args& a);  // streams
int KickCommand(const Args& a);     // kick
int RecordsCommand(const Args& a);  // records

// Parses "1h", "30m", "3600" into seconds; -1 when malformed.
int64_t ParseTtl(const std::string& s);

}  // namespace cdn::cdnctl
