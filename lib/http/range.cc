#include "lib/http/range.h"

#include <charconv>

namespace cdn::http {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// 1*DIGIT, nothing else; false on empty, a sign, or overflow.
bool ParseDigits(std::string_view s, uint64_t* v) {
  if (s.empty() || s.size() > 19) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

bool StartsWithBytesUnit(std::string_view s) {
  // 14.1: range-unit is case-insensitive.
  if (s.size() < 6) return false;
  for (size_t i = 0; i < 5; ++i) {
    if ((s[i] | 0x20) != "bytes"[i]) return false;
  }
  return s[5] == '=';
}

}  // namespace

ByteRange ParseRange(std::string_view header, uint64_t size) {
  ByteRange none, unsatisfiable, r;
  unsatisfiable.kind = ByteRange::Kind::kUnsatisfiable;
  r.kind = ByteRange::Kind::kRange;
  header = Trim(header);
  if (!StartsWithBytesUnit(header)) return none;
  std::string_view spec = Trim(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return none;  // several ranges: send it all
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return none;
  const std::string_view a = Trim(spec.substr(0, dash)), b = Trim(spec.substr(dash + 1));
  if (a.empty()) {
    // suffix-range: the last n bytes.
    uint64_t n;
    if (!ParseDigits(b, &n)) return none;
    if (n == 0 || size == 0) return unsatisfiable;
    r.first = n >= size ? 0 : size - n;
    r.last = size - 1;
    return r;
  }
  uint64_t first, last = UINT64_MAX;
  if (!ParseDigits(a, &first)) return none;
  if (!b.empty()) {
    if (!ParseDigits(b, &last)) return none;
    if (last < first) return none;  // 14.1.1: invalid, so ignored
  }
  if (first >= size) return unsatisfiable;
  r.first = first;
  r.last = last >= size ? size - 1 : last;
  return r;
}

std::string ByteRange::ContentRange(uint64_t size) const {
  if (kind != Kind::kRange) return "bytes */" + std::to_string(size);
  return "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(size);
}

}  // namespace cdn::http
