// BitReader / NalToRbsp: exact bits, exp-Golomb round trips, and no read past the end.
#include "lib/media/bit_reader.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/lib/media/media_test_data.h"

namespace cdn::media {
namespace {

using testing::BitWriter;
using testing::FromHex;

TEST_CASE("BitReader reads MSB first across byte boundaries") {
  const std::string data = FromHex("a5c3ff00");
  BitReader r(data);
  uint32_t v;
  REQUIRE(r.ReadBits(3, &v));
  CHECK(v == 0b101);
  REQUIRE(r.ReadBits(7, &v));
  CHECK(v == 0b0010111);
  REQUIRE(r.ReadBits(0, &v));
  CHECK(v == 0);
  bool f;
  REQUIRE(r.ReadFlag(&f));
  CHECK_FALSE(f);
  CHECK(r.bit_position() == 11);
  CHECK(r.bits_left() == 21);
  REQUIRE(r.ReadBits(21, &v));
  CHECK(v == 0b000111111111100000000);
  CHECK(r.bits_left() == 0);
  CHECK_FALSE(r.ReadFlag(&f));
}

TEST_CASE("BitReader reads 32 bits and refuses more") {
  const std::string data = FromHex("deadbeef01");
  BitReader r(data);
  uint32_t v;
  CHECK_FALSE(r.ReadBits(33, &v));
  CHECK_FALSE(r.ReadBits(-1, &v));
  REQUIRE(r.ReadBits(32, &v));
  CHECK(v == 0xdeadbeef);
  CHECK_FALSE(r.ReadBits(9, &v));
  CHECK(r.bit_position() == 32);  // a failed read does not move
  REQUIRE(r.ReadBits(8, &v));
  CHECK(v == 1);
}

TEST_CASE("BitReader Skip and ByteAlign stay in bounds") {
  const std::string data = FromHex("ff00");
  BitReader r(data);
  CHECK(r.ByteAlign());
  CHECK(r.bit_position() == 0);
  CHECK(r.Skip(3));
  CHECK(r.ByteAlign());
  CHECK(r.bit_position() == 8);
  CHECK_FALSE(r.Skip(9));
  CHECK(r.Skip(8));
  CHECK(r.ByteAlign());
  CHECK_FALSE(r.Skip(1));
  BitReader empty("");
  uint32_t v;
  CHECK_FALSE(empty.ReadBits(1, &v));
  CHECK(empty.ReadBits(0, &v));
  CHECK_FALSE(empty.ReadUe(&v));
}

TEST_CASE("ue(v) and se(v) round trip") {
  const std::vector<uint64_t> ues = {0, 1, 2, 3, 4, 7, 8, 254, 255, 65535, 1u << 20,
                                     0x7fffffffu, 0xfffffffeu};
  const std::vector<int64_t> ses = {0, 1, -1, 2, -2, 127, -128, 1 << 20, -(1 << 20), 0x7fffffff, -0x7fffffff};
  BitWriter w;
  for (uint64_t v : ues) w.Ue(v);
  for (int64_t v : ses) w.Se(v);
  const std::string data = w.Aligned();
  BitReader r(data);
  for (uint64_t want : ues) {
    uint32_t v;
    REQUIRE(r.ReadUe(&v));
    CHECK(v == want);
  }
  for (int64_t want : ses) {
    int32_t v;
    REQUIRE(r.ReadSe(&v));
    CHECK(v == want);
  }
  CHECK(r.bits_left() < 8);
}

TEST_CASE("ue(v) known bit strings, H.264 table 9-2") {
  // "1" = 0, "010" = 1, "011" = 2, "00100" = 3, "00111" = 6: packed 1 010 011 00100 00111 0...
  const std::string bytes = FromHex("a64380");
  BitReader r(bytes);
  uint32_t v;
  for (uint32_t want : {0u, 1u, 2u, 3u, 6u}) {
    REQUIRE(r.ReadUe(&v));
    CHECK(v == want);
  }
}

TEST_CASE("ue(v) with more than 31 leading zeros fails instead of overflowing") {
  BitWriter w;
  w.Bits(32, 0);
  w.Bits(33, 1);
  const std::string data = w.Aligned();
  BitReader r(data);
  uint32_t v;
  CHECK_FALSE(r.ReadUe(&v));
  // 2^32 - 1 needs 32 leading zeros: not representable either.
  BitWriter w2;
  w2.Ue(0xffffffffull);
  const std::string d2 = w2.Aligned();
  BitReader r2(d2);
  CHECK_FALSE(r2.ReadUe(&v));
}

TEST_CASE("ue(v) truncated at every bit length fails cleanly") {
  BitWriter w;
  w.Ue(123456);
  const std::string data = w.Aligned();
  for (size_t len = 0; len < data.size(); ++len) {
    const std::string cut = data.substr(0, len);
    BitReader r(cut);
    uint32_t v;
    CHECK_FALSE(r.ReadUe(&v));
  }
}

TEST_CASE("NalToRbsp removes emulation prevention bytes") {
  CHECK(NalToRbsp(FromHex("0000030100000302")) == FromHex("000001000002"));
  CHECK(NalToRbsp(FromHex("00000303")) == FromHex("000003"));
  CHECK(NalToRbsp(FromHex("000003")) == FromHex("0000"));  // cabac_zero_word-style tail
  CHECK(NalToRbsp(FromHex("0003000003")) == FromHex("00030000"));
  CHECK(NalToRbsp(FromHex("00000300000300")) == FromHex("0000000000"));
  CHECK(NalToRbsp(FromHex("6764")) == FromHex("6764"));
  CHECK(NalToRbsp("").empty());
  // Round trip with the test-side inserter over every 3-byte pattern of 0..4.
  for (int a = 0; a < 5; ++a) {
    for (int b = 0; b < 5; ++b) {
      for (int c = 0; c < 5; ++c) {
        const std::string rbsp = {0, 0, char(a), char(b), char(c), 0, 0};
        CHECK(NalToRbsp(testing::AddEmulationPrevention(rbsp)) == rbsp);
      }
    }
  }
}

}  // namespace
}  // namespace cdn::media
