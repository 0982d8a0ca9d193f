// BitReader and NalToRbsp; see bit_reader.h.
#include "lib/media/bit_reader.h"

namespace cdn::media {

bool BitReader::ReadBits(int n, uint32_t* v) {
  if (n < 0 || n > 32 || bits_left() < static_cast<size_t>(n)) return false;
  uint64_t r = 0;
  for (int i = 0; i < n; ++i) {
    const uint8_t byte = static_cast<uint8_t>(data_[pos_ >> 3]);
    r = (r << 1) | ((byte >> (7 - (pos_ & 7))) & 1u);
    ++pos_;
  }
  *v = static_cast<uint32_t>(r);
  return true;
}

bool BitReader::ReadFlag(bool* v) {
  uint32_t b;
  if (!ReadBits(1, &b)) return false;
  *v = b != 0;
  return true;
}

bool BitReader::Skip(size_t n) {
  if (bits_left() < n) return false;
  pos_ += n;
  return true;
}

bool BitReader::ByteAlign() { return Skip((8 - (pos_ & 7)) & 7); }

bool BitReader::ReadUe(uint32_t* v) {
  int leading_zeros = 0;
  for (;;) {
    bool bit;
    if (!ReadFlag(&bit)) return false;
    if (bit) break;
    if (++leading_zeros > 31) return false;
  }
  uint32_t suffix;
  if (!ReadBits(leading_zeros, &suffix)) return false;
  // 2^lz - 1 + suffix <= 2^32 - 2 for lz <= 31.
  *v = static_cast<uint32_t>((uint64_t{1} << leading_zeros) - 1 + suffix);
  return true;
}

bool BitReader::ReadSe(int32_t* v) {
  uint32_t k;
  if (!ReadUe(&k)) return false;
  const int64_t magnitude = (static_cast<int64_t>(k) + 1) / 2;  // <= 2^31 - 1
  *v = static_cast<int32_t>((k & 1) ? magnitude : -magnitude);
  return true;
}

std::string NalToRbsp(std::string_view nal) {
  std::string out;
  out.reserve(nal.size());
  int zeros = 0;
  for (char c : nal) {
    const uint8_t b = static_cast<uint8_t>(c);
    if (zeros >= 2 && b == 0x03) {
      zeros = 0;
      continue;
    }
    out.push_back(c);
    zeros = (b == 0) ? zeros + 1 : 0;
  }
  return out;
}

}  // namespace cdn::media
