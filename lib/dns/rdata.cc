#include "lib/dns/rdata.h"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <vector>

#include "lib/base/bytes.h"
#include "lib/dns/name.h"
#include "lib/dns/wire.h"

namespace cdn::dns {
namespace {

struct TypeName {
  uint16_t type;
  const char* name;
};
constexpr TypeName kTypeNames[] = {
    {kTypeA, "A"},     {kTypeNs, "NS"},   {kTypeCname, "CNAME"}, {kTypeSoa, "SOA"},
    {kTypePtr, "PTR"}, {kTypeMx, "MX"},   {kTypeTxt, "TXT"},     {kTypeAaaa, "AAAA"},
    {kTypeSrv, "SRV"}, {kTypeOpt, "OPT"}, {kTypeIxfr, "IXFR"},   {kTypeAxfr, "AXFR"},
    {kTypeAny, "ANY"},
};

bool ParseU16(std::string_view s, uint16_t* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::vector<std::string_view> Fields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

uint16_t TypeFromText(std::string_view text) {
  std::string up;
  for (char c : text) up.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  for (const auto& t : kTypeNames) {
    if (up == t.name) return t.type;
  }
  if (up.rfind("TYPE", 0) == 0) {
    uint16_t v = 0;
    if (ParseU16(std::string_view(up).substr(4), &v)) return v;
  }
  return 0;
}

std::string TypeToText(uint16_t type) {
  for (const auto& t : kTypeNames) {
    if (t.type == type) return t.name;
  }
  return "TYPE" + std::to_string(type);
}

std::string RcodeToText(uint16_t rcode) {
  switch (rcode) {
    case kRcodeNoError: return "NOERROR";
    case kRcodeFormErr: return "FORMERR";
    case kRcodeServFail: return "SERVFAIL";
    case kRcodeNxDomain: return "NXDOMAIN";
    case kRcodeNotImp: return "NOTIMP";
    case kRcodeRefused: return "REFUSED";
    case kRcodeBadVers: return "BADVERS";
    default: return "RCODE" + std::to_string(rcode);
  }
}

base::Result<std::string> RdataFromText(uint16_t type, std::string_view text) {
  std::string s(text);
  switch (type) {
    case kTypeA: {
      unsigned char b[4];
      if (inet_pton(AF_INET, s.c_str(), b) != 1) return base::Status::Invalid("bad IPv4 address '" + s + "'");
      return std::string(reinterpret_cast<char*>(b), 4);
    }
    case kTypeAaaa: {
      unsigned char b[16];
      if (inet_pton(AF_INET6, s.c_str(), b) != 1) return base::Status::Invalid("bad IPv6 address '" + s + "'");
      return std::string(reinterpret_cast<char*>(b), 16);
    }
    case kTypeCname:
    case kTypeNs:
    case kTypePtr:
      return NameFromText(text);
    case kTypeMx: {
      auto f = Fields(text);
      uint16_t pref = 0;
      if (f.size() != 2 || !ParseU16(f[0], &pref)) return base::Status::Invalid("MX wants '<preference> <name>', got '" + s + "'");
      auto name = NameFromText(f[1]);
      if (!name.ok()) return name.status();
      std::string out;
      base::PutU16(&out, pref);
      return out + *name;
    }
    case kTypeSrv: {
      auto f = Fields(text);
      uint16_t prio = 0, weight = 0, port = 0;
      if (f.size() != 4 || !ParseU16(f[0], &prio) || !ParseU16(f[1], &weight) || !ParseU16(f[2], &port)) {
        return base::Status::Invalid("SRV wants '<priority> <weight> <port> <target>', got '" + s + "'");
      }
      auto name = NameFromText(f[3]);
      if (!name.ok()) return name.status();
      std::string out;
      base::PutU16(&out, prio);
      base::PutU16(&out, weight);
      base::PutU16(&out, port);
      return out + *name;
    }
    case kTypeTxt: {
      // RFC 1035 3.3.14: one or more <character-string>s of at most 255 octets.
      if (text.size() > 16000) return base::Status::Invalid("TXT too long");
      std::string out;
      size_t i = 0;
      do {
        size_t n = std::min<size_t>(255, text.size() - i);
        out.push_back(static_cast<char>(n));
        out.append(text.substr(i, n));
        i += n;
      } while (i < text.size());
      return out;
    }
    default:
      return base::Status::Unsupported("record type " + TypeToText(type) + " is not supported in config");
  }
}

std::string SoaRdata(std::string_view mname_wire, std::string_view rname_wire, uint32_t serial,
                     uint32_t refresh, uint32_t retry, uint32_t expire, uint32_t minimum) {
  std::string out(mname_wire);
  out.append(rname_wire);
  base::PutU32(&out, serial);
  base::PutU32(&out, refresh);
  base::PutU32(&out, retry);
  base::PutU32(&out, expire);
  base::PutU32(&out, minimum);
  return out;
}

std::string RdataToText(uint16_t type, std::string_view rdata) {
  char buf[INET6_ADDRSTRLEN];
  if (type == kTypeA && rdata.size() == 4) return inet_ntop(AF_INET, rdata.data(), buf, sizeof(buf));
  if (type == kTypeAaaa && rdata.size() == 16) return inet_ntop(AF_INET6, rdata.data(), buf, sizeof(buf));
  if (type == kTypeCname || type == kTypeNs || type == kTypePtr) return NameToText(rdata);
  if (type == kTypeTxt) {
    std::string out;
    size_t i = 0;
    while (i < rdata.size()) {
      size_t n = static_cast<uint8_t>(rdata[i]);
      out += "\"" + std::string(rdata.substr(i + 1, n)) + "\"";
      i += 1 + n;
    }
    return out;
  }
  return "\\# " + std::to_string(rdata.size());
}

}  // namespace cdn::dns
