// BitReader: MSB-first bit reader for codec headers (H.264 RBSP syntax, AAC AudioSpecificConfig),
// with the exp-Golomb codes of ITU-T H.264 9.1. Every read checks bounds first and returns false
// past the end; it never reads outside its view. Plain value over borrowed bytes; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cdn::media {

class BitReader {
 public:
  explicit BitReader(std::string_view data) : data_(data) {}

  size_t bits_left() const { return data_.size() * 8 - pos_; }
  size_t bit_position() const { return pos_; }

  // Reads n bits (0..32), most significant first.
  [[nodiscard]] bool ReadBits(int n, uint32_t* v);
  [[nodiscard]] bool ReadFlag(bool* v);
  [[nodiscard]] bool Skip(size_t n);
  // Skips to the next multiple of 8 bits from the start of the view (ISO 14496-3 byte_alignment()).
  [[nodiscard]] bool ByteAlign();

  // ue(v), H.264 9.1. Codes with more than 31 leading zeros do not fit 32 bits and fail.
  [[nodiscard]] bool ReadUe(uint32_t* v);
  // se(v), H.264 9.1.1: codeNum k maps to (-1)^(k+1) * Ceil(k / 2).
  [[nodiscard]] bool ReadSe(int32_t* v);

 private:
  std::string_view data_;
  size_t pos_ = 0;  // in bits
};

// H.264 7.4.1 / H.265 7.4.2: drops each emulation_prevention_three_byte (the 0x03 of 0x000003),
// turning a NAL unit's payload into its RBSP.
std::string NalToRbsp(std::string_view nal);

}  // namespace cdn::media
