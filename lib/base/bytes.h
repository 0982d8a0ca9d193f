// Big-endian byte reading/writing helpers shared by every codec, and the refcounted
// immutable payload type that media fans out with (never copied per viewer).
// ByteReader never reads past its view: every Read* checks bounds first. Any thread.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace cdn::base {

// Immutable, shared payload. One allocation per media message, shared by all consumers.
using SharedBytes = std::shared_ptr<const std::string>;

inline SharedBytes MakeShared(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}
  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  bool empty() const { return remaining() == 0; }
  std::string_view rest() const { return data_.substr(pos_); }

  bool ReadU8(uint8_t* v) {
    if (remaining() < 1) return false;
    *v = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }
  bool ReadBE(size_t n, uint64_t* v) {
    if (n > 8 || remaining() < n) return false;
    uint64_t r = 0;
    for (size_t i = 0; i < n; ++i) r = (r << 8) | static_cast<uint8_t>(data_[pos_ + i]);
    pos_ += n;
    *v = r;
    return true;
  }
  bool ReadU16(uint16_t* v) { uint64_t t; if (!ReadBE(2, &t)) return false; *v = uint16_t(t); return true; }
  bool ReadU24(uint32_t* v) { uint64_t t; if (!ReadBE(3, &t)) return false; *v = uint32_t(t); return true; }
  bool ReadU32(uint32_t* v) { uint64_t t; if (!ReadBE(4, &t)) return false; *v = uint32_t(t); return true; }
  bool ReadBytes(size_t n, std::string_view* out) {
    if (remaining() < n) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool Skip(size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

inline void PutU8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }
inline void PutBE(std::string* out, uint64_t v, size_t n) {
  for (size_t i = n; i > 0; --i) out->push_back(static_cast<char>((v >> (8 * (i - 1))) & 0xff));
}
inline void PutU16(std::string* out, uint16_t v) { PutBE(out, v, 2); }
inline void PutU24(std::string* out, uint32_t v) { PutBE(out, v, 3); }
inline void PutU32(std::string* out, uint32_t v) { PutBE(out, v, 4); }
inline void PutU32LE(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline uint32_t GetBE(std::string_view d, size_t off, size_t n) {
  uint32_t r = 0;
  for (size_t i = 0; i < n; ++i) r = (r << 8) | static_cast<uint8_t>(d[off + i]);
  return r;
}

}  // namespace cdn::base
