// DNS wire constants, each naming the RFC section that defines it. Header-only, no state.
// The codec files (query, response, rdata, name) use these; nothing here touches libknot.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cdn::dns {

// RFC 1035 4.1.1: header is 12 octets; 4.2.1: UDP messages are limited to 512 octets
// without EDNS; RFC 7766 8: TCP messages carry a 2-octet length prefix.
inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMaxUdpNoEdns = 512;
inline constexpr size_t kMaxMessage = 65535;
// RFC 1035 2.3.4: a name is at most 255 octets on the wire, a label at most 63.
inline constexpr size_t kMaxNameWire = 255;
inline constexpr size_t kMaxLabel = 63;
// DNS Flag Day 2020 / RFC 9715 guidance: 1232 avoids IP fragmentation on common paths.
inline constexpr uint16_t kDefaultEdnsPayload = 1232;

// RFC 1035 3.2.2 / 3.2.3, RFC 3596 (AAAA), RFC 6891 (OPT), RFC 1995/5936 (IXFR/AXFR).
enum RrType : uint16_t {
  kTypeA = 1,
  kTypeNs = 2,
  kTypeCname = 5,
  kTypeSoa = 6,
  kTypePtr = 12,
  kTypeMx = 15,
  kTypeTxt = 16,
  kTypeAaaa = 28,
  kTypeSrv = 33,
  kTypeOpt = 41,
  kTypeIxfr = 251,
  kTypeAxfr = 252,
  kTypeAny = 255,
};

// RFC 1035 3.2.4 / 3.2.5.
enum RrClass : uint16_t {
  kClassIn = 1,
  kClassCh = 3,
  kClassAny = 255,
};

// RFC 1035 4.1.1 OPCODE.
enum Opcode : uint8_t {
  kOpcodeQuery = 0,
};

// RFC 1035 4.1.1 RCODE; RFC 6891 6.1.3 extended RCODE (upper 8 bits live in the OPT TTL).
enum Rcode : uint16_t {
  kRcodeNoError = 0,
  kRcodeFormErr = 1,
  kRcodeServFail = 2,
  kRcodeNxDomain = 3,
  kRcodeNotImp = 4,
  kRcodeRefused = 5,
  kRcodeBadVers = 16,  // RFC 6891 7: EDNS version not implemented
};

// RFC 7871 6: EDNS Client Subnet option code and address families (IANA address family numbers).
inline constexpr uint16_t kEdnsOptionClientSubnet = 8;
inline constexpr uint16_t kEcsFamilyIpv4 = 1;
inline constexpr uint16_t kEcsFamilyIpv6 = 2;

// Message sections (RFC 1035 4.1).
enum class Section { kAnswer, kAuthority, kAdditional };

}  // namespace cdn::dns
