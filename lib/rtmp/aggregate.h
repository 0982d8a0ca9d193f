// Aggregate messages (RTMP 1.0 section 7.1.6): a message whose body is a run of FLV tags
// (FLV 10.1 E.4.1, each followed by its PreviousTagSize). Splits one into its sub-messages with
// timestamps rebased on the aggregate's own. Pure; any thread.
#pragma once

#include <vector>

#include "lib/base/status.h"
#include "lib/rtmp/message.h"

namespace cdn::rtmp {

base::Status SplitAggregate(const Message& aggregate, std::vector<Message>* out);

}  // namespace cdn::rtmp
