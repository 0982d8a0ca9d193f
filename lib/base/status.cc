#include "lib/base/status.h"

namespace cdn::base {

std::string Status::ToString() const {
  const char* name = "ok";
  switch (code_) {
    case Code::kOk: return "ok";
    case Code::kInvalid: name = "invalid"; break;
    case Code::kNotFound: name = "not found"; break;
    case Code::kUnsupported: name = "unsupported"; break;
    case Code::kTooLarge: name = "too large"; break;
    case Code::kIo: name = "io error"; break;
    case Code::kDenied: name = "denied"; break;
    case Code::kBusy: name = "busy"; break;
    case Code::kTimeout: name = "timeout"; break;
    case Code::kInternal: name = "internal"; break;
  }
  return std::string(name) + ": " + message_;
}

}  // namespace cdn::base
