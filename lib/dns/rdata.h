// Resource records as plain values (owner and RDATA in uncompressed wire form) and the
// encoders that turn config text ("A 192.0.2.1", "MX 10 mail.example.com") into RDATA.
// Compression happens only when a record is written into a message (response.h).
// Pure functions and values; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/base/status.h"

namespace cdn::dns {

struct Record {
  std::string owner;  // lowercased wire name
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::string rdata;  // uncompressed wire RDATA (RFC 1035 3.3)
};

// "A" -> 1, "aaaa" -> 28, "TYPE65" -> 65 (RFC 3597 5). 0 when unknown.
uint16_t TypeFromText(std::string_view text);
std::string TypeToText(uint16_t type);
std::string RcodeToText(uint16_t rcode);

// RDATA from its presentation form for the types a config may hold: A, AAAA, CNAME, NS, PTR,
// MX ("10 mail.example.com"), TXT (the text, split in 255-octet strings), SRV
// ("prio weight port target").
base::Result<std::string> RdataFromText(uint16_t type, std::string_view text);

// RFC 1035 3.3.13 SOA RDATA.
std::string SoaRdata(std::string_view mname_wire, std::string_view rname_wire, uint32_t serial,
                     uint32_t refresh, uint32_t retry, uint32_t expire, uint32_t minimum);

// Presentation form of RDATA for logs and the explain API ("192.0.2.1", "pull.example.com.").
std::string RdataToText(uint16_t type, std::string_view rdata);

}  // namespace cdn::dns
