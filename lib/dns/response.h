// Response building: header, question, RRs with name compression (RFC 1035 4.1.4), the OPT RR
// (RFC 6891) with the echoed Client Subnet and its scope (RFC 7871 7.2), and truncation (TC,
// RFC 2181 9) when a record does not fit the size limit. libknot writes the wire; no libknot
// type leaks out. One writer per worker thread, reused per message; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "lib/dns/query.h"
#include "lib/dns/wire.h"

namespace cdn::dns {

class ResponseWriter {
 public:
  // Compression hint meaning "this owner is the QNAME" (a pointer to offset 12).
  static constexpr uint16_t kHintQname = kHeaderSize;

  ResponseWriter();
  ~ResponseWriter();
  ResponseWriter(const ResponseWriter&) = delete;
  ResponseWriter& operator=(const ResponseWriter&) = delete;

  // Starts the response to `q` in out[0, limit). `limit` is already the transport's budget:
  // 512 without EDNS, min(EDNS payload, ours) over UDP, 65535 over TCP. `with_question` is
  // false for errors where the question could not be parsed. `our_payload` is the UDP size
  // advertised in our OPT.
  void Begin(const Query& q, uint8_t* out, size_t limit, bool with_question,
             uint16_t our_payload = kDefaultEdnsPayload);
  void SetRcode(uint16_t rcode) { rcode_ = rcode; }
  void SetAuthoritative() { aa_ = true; }
  // RFC 7871 7.2.1: the prefix length the answer depended on (0 = not client-specific).
  void SetEcsScope(uint8_t scope) { ecs_scope_ = scope; }

  // Appends one RR to `section` (sections only move forward). Returns false when it did not
  // fit; in the answer and authority sections that also sets TC. `owner_hint` may be
  // kHintQname or a position from last_rdata_name_pos(), else 0 (knot compresses anyway).
  bool Add(Section section, std::string_view owner, uint16_t type, uint32_t ttl,
           std::string_view rdata, uint16_t owner_hint = 0);
  // Offset of the first name written in the RDATA of the last added RR (CNAME target), or 0.
  uint16_t last_rdata_name_pos() const { return last_rdata_name_pos_; }
  bool truncated() const;
  uint16_t rcode() const { return rcode_; }

  // Writes the OPT RR and the header rcode; returns the message size.
  size_t Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t rcode_ = 0;
  bool aa_ = false;
  uint8_t ecs_scope_ = 0;
  uint16_t last_rdata_name_pos_ = 0;
};

}  // namespace cdn::dns
