#include "dns-scheduler/dns_stats.h"

#include "lib/dns/wire.h"

namespace cdn::sched {

namespace {
constexpr uint16_t kQtypes[kQtypeSlots - 1] = {dns::kTypeA,   dns::kTypeAaaa, dns::kTypeCname,
                                               dns::kTypeNs,  dns::kTypeSoa,  dns::kTypeAny,
                                               dns::kTypeTxt, dns::kTypeMx,   dns::kTypeSrv};
constexpr const char* kQtypeNames[kQtypeSlots] = {"A", "AAAA", "CNAME", "NS", "SOA", "ANY", "TXT", "MX", "SRV", "other"};
constexpr uint16_t kRcodes[kRcodeSlots - 1] = {dns::kRcodeNoError, dns::kRcodeFormErr, dns::kRcodeServFail,
                                               dns::kRcodeNxDomain, dns::kRcodeNotImp, dns::kRcodeRefused,
                                               dns::kRcodeBadVers};
constexpr const char* kRcodeNames[kRcodeSlots] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                                  "NOTIMP",  "REFUSED", "BADVERS",  "other"};
}  // namespace

int QtypeSlot(uint16_t qtype) {
  for (int i = 0; i < kQtypeSlots - 1; ++i) {
    if (kQtypes[i] == qtype) return i;
  }
  return kQtypeSlots - 1;
}
const char* QtypeSlotName(int slot) { return kQtypeNames[slot]; }

int RcodeSlot(uint16_t rcode) {
  for (int i = 0; i < kRcodeSlots - 1; ++i) {
    if (kRcodes[i] == rcode) return i;
  }
  return kRcodeSlots - 1;
}
const char* RcodeSlotName(int slot) { return kRcodeNames[slot]; }

int SlotRegistry::Assign(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 1; i < names_.size(); ++i) {
    if (names_[i] == name) return static_cast<int>(i);
  }
  if (static_cast<int>(names_.size()) <= named_) {
    names_.push_back(name);
    return static_cast<int>(names_.size() - 1);
  }
  return named_ + 1;
}

std::vector<std::string> SlotRegistry::Names() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out = names_;
  out.resize(named_ + 2);
  out[named_ + 1] = "_other";
  return out;
}

}  // namespace cdn::sched
