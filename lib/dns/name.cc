#include "lib/dns/name.h"

#include <cctype>

#include "lib/dns/wire.h"

namespace cdn::dns {

base::Result<std::string> NameFromText(std::string_view text) {
  if (text == "." || text.empty()) return std::string(1, '\0');
  if (text.back() == '.') text.remove_suffix(1);
  std::string wire;
  wire.reserve(text.size() + 2);
  size_t start = 0;
  while (start <= text.size()) {
    size_t dot = text.find('.', start);
    if (dot == std::string_view::npos) dot = text.size();
    std::string_view label = text.substr(start, dot - start);
    if (label.empty()) return base::Status::Invalid("empty label in name '" + std::string(text) + "'");
    if (label.size() > kMaxLabel) return base::Status::Invalid("label longer than 63 octets in '" + std::string(text) + "'");
    wire.push_back(static_cast<char>(label.size()));
    for (char c : label) {
      auto u = static_cast<unsigned char>(c);
      if (u <= ' ' || u >= 0x7f) return base::Status::Invalid("bad character in name '" + std::string(text) + "'");
      wire.push_back(static_cast<char>(std::tolower(u)));
    }
    start = dot + 1;
  }
  wire.push_back('\0');
  if (wire.size() > kMaxNameWire) return base::Status::Invalid("name longer than 255 octets: '" + std::string(text) + "'");
  return wire;
}

std::string NameToText(std::string_view wire) {
  std::string out;
  size_t p = 0;
  while (p < wire.size()) {
    auto len = static_cast<uint8_t>(wire[p]);
    if (len == 0) break;
    if (p + 1 + len > wire.size()) break;
    for (size_t i = 0; i < len; ++i) {
      auto c = static_cast<unsigned char>(wire[p + 1 + i]);
      if (c == '.' || c == '\\') {
        out.push_back('\\');
        out.push_back(static_cast<char>(c));
      } else if (c <= ' ' || c >= 0x7f) {
        char buf[8];
        snprintf(buf, sizeof(buf), "\\%03u", c);
        out += buf;
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
    out.push_back('.');
    p += 1 + len;
  }
  if (out.empty()) out = ".";
  return out;
}

bool NameIsUnder(std::string_view name, std::string_view zone) {
  if (zone.size() > name.size()) return false;
  size_t p = 0;
  while (p < name.size()) {
    if (name.size() - p == zone.size()) return name.substr(p) == zone;
    auto len = static_cast<uint8_t>(name[p]);
    if (len == 0) return false;
    p += 1 + len;
  }
  return false;
}

std::string_view NameParent(std::string_view name) {
  if (name.empty() || name[0] == '\0') return name;
  size_t skip = 1 + static_cast<uint8_t>(name[0]);
  if (skip >= name.size()) return name.substr(name.size() - 1);
  return name.substr(skip);
}

int NameLabelCount(std::string_view name) {
  int n = 0;
  size_t p = 0;
  while (p < name.size() && name[p] != '\0') {
    p += 1 + static_cast<uint8_t>(name[p]);
    ++n;
  }
  return n;
}

bool NameCheckAndLower(std::string* wire) {
  size_t p = 0;
  std::string& w = *wire;
  if (w.empty() || w.size() > kMaxNameWire) return false;
  while (p < w.size()) {
    auto len = static_cast<uint8_t>(w[p]);
    if (len == 0) return p + 1 == w.size();
    if (len > kMaxLabel || p + 1 + len >= w.size()) return false;
    for (size_t i = p + 1; i <= p + len; ++i) w[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(w[i])));
    p += 1 + len;
  }
  return false;
}

}  // namespace cdn::dns
