// Query parsing: one DNS query message (RFC 1035 4.1) -> a plain Query value, with EDNS0
// (RFC 6891) and EDNS Client Subnet (RFC 7871). libknot's packet parser does the work; no
// libknot type leaks out of this header. A QueryParser is reused for every message of one
// worker thread (its storage backs Query::qname); not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

namespace cdn::dns {

struct ClientSubnet {
  uint16_t family = 0;  // kEcsFamilyIpv4 or kEcsFamilyIpv6
  uint8_t source_prefix = 0;
  uint8_t scope_prefix = 0;
  uint8_t address[16] = {};  // bits past source_prefix are zero (checked)
};

struct Query {
  uint16_t id = 0;
  uint8_t opcode = 0;
  bool rd = false;
  bool cd = false;
  std::string_view qname;           // lowercased wire name; valid until the next Parse
  std::string_view qname_original;  // as sent (0x20 case), echoed in the question
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  bool edns = false;  // an OPT RR was present and well-formed
  uint8_t edns_version = 0;
  uint16_t edns_payload = 0;  // requestor's UDP payload size, as sent
  bool dnssec_ok = false;
  bool has_ecs = false;
  ClientSubnet ecs;
};

enum class ParseResult {
  kOk,
  kDrop,     // not worth an answer: shorter than a header, or a response (QR=1)
  kFormErr,  // answer FORMERR (Query::id/opcode/rd are set; qname is empty when unparsed)
  kNotImp,   // opcode other than QUERY: answer NOTIMP
};

class QueryParser {
 public:
  QueryParser();
  ~QueryParser();
  QueryParser(const QueryParser&) = delete;
  QueryParser& operator=(const QueryParser&) = delete;

  // Parses `wire` into *q. Never reads outside `wire`; any byte sequence is safe.
  ParseResult Parse(std::string_view wire, Query* q);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cdn::dns
