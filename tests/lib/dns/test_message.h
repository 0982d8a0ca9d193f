// Test helpers: build DNS queries byte by byte and decode responses with an independent,
// hand-written decoder (so the libknot-based codec is checked against something else).
// Header-only; used by tests/lib/dns and tests/dns-scheduler.
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cdn::dns::testing {

inline void Put16(std::string* s, uint16_t v) {
  s->push_back(static_cast<char>(v >> 8));
  s->push_back(static_cast<char>(v & 0xff));
}
inline void Put32(std::string* s, uint32_t v) {
  Put16(s, static_cast<uint16_t>(v >> 16));
  Put16(s, static_cast<uint16_t>(v & 0xffff));
}

// Text name (case kept) -> wire.
inline std::string WireName(std::string_view text) {
  std::string out;
  if (text == "." || text.empty()) return std::string(1, '\0');
  if (text.back() == '.') text.remove_suffix(1);
  size_t i = 0;
  while (i <= text.size()) {
    size_t dot = text.find('.', i);
    if (dot == std::string_view::npos) dot = text.size();
    out.push_back(static_cast<char>(dot - i));
    out.append(text.substr(i, dot - i));
    i = dot + 1;
  }
  out.push_back('\0');
  return out;
}

struct QueryOptions {
  uint16_t id = 0x1234;
  bool rd = false;
  uint16_t qclass = 1;
  bool edns = false;
  uint16_t payload = 1232;
  uint8_t version = 0;
  bool ecs = false;
  uint16_t ecs_family = 1;
  uint8_t ecs_source = 24;
  uint8_t ecs_scope = 0;
  std::string ecs_address;  // text

  // Chainable setters (designated initializers trip -Wmissing-field-initializers).
  QueryOptions& Id(uint16_t v) { id = v; return *this; }
  QueryOptions& Rd() { rd = true; return *this; }
  QueryOptions& Class(uint16_t v) { qclass = v; return *this; }
  QueryOptions& Edns(uint16_t size = 1232) { edns = true; payload = size; return *this; }
  QueryOptions& Version(uint8_t v) { edns = true; version = v; return *this; }
  QueryOptions& Ecs(std::string addr, uint8_t source) {
    edns = true;
    ecs = true;
    ecs_family = addr.find(':') == std::string::npos ? 1 : 2;
    ecs_address = std::move(addr);
    ecs_source = source;
    return *this;
  }
};

inline std::string MakeQuery(std::string_view name, uint16_t qtype, const QueryOptions& o = {}) {
  std::string q;
  Put16(&q, o.id);
  Put16(&q, o.rd ? 0x0100 : 0);
  Put16(&q, 1);
  Put16(&q, 0);
  Put16(&q, 0);
  Put16(&q, o.edns ? 1 : 0);
  q += WireName(name);
  Put16(&q, qtype);
  Put16(&q, o.qclass);
  if (o.edns) {
    std::string rdata;
    if (o.ecs) {
      unsigned char addr[16] = {};
      inet_pton(o.ecs_family == 1 ? AF_INET : AF_INET6, o.ecs_address.c_str(), addr);
      size_t n = (o.ecs_source + 7) / 8;
      if (n) addr[n - 1] &= static_cast<unsigned char>(0xff << ((8 - o.ecs_source % 8) % 8));
      Put16(&rdata, 8);
      Put16(&rdata, static_cast<uint16_t>(4 + n));
      Put16(&rdata, o.ecs_family);
      rdata.push_back(static_cast<char>(o.ecs_source));
      rdata.push_back(static_cast<char>(o.ecs_scope));
      rdata.append(reinterpret_cast<char*>(addr), n);
    }
    q.push_back('\0');
    Put16(&q, 41);
    Put16(&q, o.payload);
    q.push_back(0);  // ext rcode
    q.push_back(static_cast<char>(o.version));
    Put16(&q, 0);
    Put16(&q, static_cast<uint16_t>(rdata.size()));
    q += rdata;
  }
  return q;
}

struct Rr {
  std::string name;  // text, lowercased, trailing dot
  uint16_t type = 0;
  uint16_t cls = 0;
  uint32_t ttl = 0;
  std::string data;  // A/AAAA address text, names as text, else raw
};

struct Message {
  uint16_t id = 0;
  bool qr = false, aa = false, tc = false, rd = false;
  int opcode = 0;
  int rcode = 0;  // full (with the OPT extension)
  std::string qname;
  std::string qname_raw;  // case preserved
  uint16_t qtype = 0;
  std::vector<Rr> answer, authority, additional;
  bool has_opt = false;
  uint16_t opt_payload = 0;
  bool has_ecs = false;
  uint8_t ecs_source = 0, ecs_scope = 0;
  size_t compression_pointers = 0;
};

// Reads a possibly compressed name at *pos; false on any malformation.
inline bool ReadName(std::string_view w, size_t* pos, std::string* out, std::string* raw, size_t* pointers) {
  size_t p = *pos;
  bool jumped = false;
  int hops = 0;
  out->clear();
  if (raw) raw->clear();
  for (;;) {
    if (p >= w.size()) return false;
    uint8_t len = static_cast<uint8_t>(w[p]);
    if ((len & 0xc0) == 0xc0) {
      if (p + 1 >= w.size() || ++hops > 64) return false;
      size_t target = ((len & 0x3f) << 8) | static_cast<uint8_t>(w[p + 1]);
      if (!jumped) *pos = p + 2;
      if (pointers) ++*pointers;
      jumped = true;
      p = target;
      continue;
    }
    if (len & 0xc0) return false;
    if (len == 0) {
      if (!jumped) *pos = p + 1;
      if (out->empty()) *out = ".";
      if (raw && raw->empty()) *raw = ".";
      return true;
    }
    if (p + 1 + len > w.size()) return false;
    for (size_t i = 0; i < len; ++i) {
      char c = w[p + 1 + i];
      out->push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      if (raw) raw->push_back(c);
    }
    out->push_back('.');
    if (raw) raw->push_back('.');
    p += 1 + len;
  }
}

inline bool Decode(std::string_view w, Message* m) {
  *m = Message();
  if (w.size() < 12) return false;
  auto u16 = [&](size_t p) { return static_cast<uint16_t>((static_cast<uint8_t>(w[p]) << 8) | static_cast<uint8_t>(w[p + 1])); };
  m->id = u16(0);
  uint16_t flags = u16(2);
  m->qr = flags & 0x8000;
  m->opcode = (flags >> 11) & 0xf;
  m->aa = flags & 0x0400;
  m->tc = flags & 0x0200;
  m->rd = flags & 0x0100;
  m->rcode = flags & 0xf;
  uint16_t qd = u16(4), an = u16(6), ns = u16(8), ar = u16(10);
  size_t p = 12;
  for (int i = 0; i < qd; ++i) {
    if (!ReadName(w, &p, &m->qname, &m->qname_raw, nullptr) || p + 4 > w.size()) return false;
    m->qtype = u16(p);
    p += 4;
  }
  std::vector<Rr>* secs[3] = {&m->answer, &m->authority, &m->additional};
  uint16_t counts[3] = {an, ns, ar};
  for (int s = 0; s < 3; ++s) {
    for (int i = 0; i < counts[s]; ++i) {
      Rr rr;
      if (!ReadName(w, &p, &rr.name, nullptr, &m->compression_pointers) || p + 10 > w.size()) return false;
      rr.type = u16(p);
      rr.cls = u16(p + 2);
      rr.ttl = (static_cast<uint32_t>(u16(p + 4)) << 16) | u16(p + 6);
      uint16_t rdlen = u16(p + 8);
      p += 10;
      if (p + rdlen > w.size()) return false;
      std::string_view rd = w.substr(p, rdlen);
      char buf[64];
      if (rr.type == 1 && rdlen == 4) {
        rr.data = inet_ntop(AF_INET, rd.data(), buf, sizeof(buf));
      } else if (rr.type == 28 && rdlen == 16) {
        rr.data = inet_ntop(AF_INET6, rd.data(), buf, sizeof(buf));
      } else if (rr.type == 5 || rr.type == 2) {
        size_t q = p;
        if (!ReadName(w, &q, &rr.data, nullptr, &m->compression_pointers)) return false;
      } else {
        rr.data = std::string(rd);
      }
      if (rr.type == 41) {
        m->has_opt = true;
        m->opt_payload = rr.cls;
        m->rcode |= static_cast<int>((rr.ttl >> 24) & 0xff) << 4;
        size_t o = 0;
        while (o + 4 <= rd.size()) {
          uint16_t code = static_cast<uint16_t>((static_cast<uint8_t>(rd[o]) << 8) | static_cast<uint8_t>(rd[o + 1]));
          uint16_t len = static_cast<uint16_t>((static_cast<uint8_t>(rd[o + 2]) << 8) | static_cast<uint8_t>(rd[o + 3]));
          if (code == 8 && len >= 4 && o + 4 + len <= rd.size()) {
            m->has_ecs = true;
            m->ecs_source = static_cast<uint8_t>(rd[o + 6]);
            m->ecs_scope = static_cast<uint8_t>(rd[o + 7]);
          }
          o += 4 + len;
        }
      }
      p += rdlen;
      secs[s]->push_back(std::move(rr));
    }
  }
  return p == w.size();
}

}  // namespace cdn::dns::testing
