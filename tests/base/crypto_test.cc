// Tests for lib/base/crypto: known-answer vectors (RFC 4231, FIPS 180-4, RFC 1321, DESIGN.md).
#include "lib/base/crypto.h"

#include <doctest/doctest.h>

#include <set>
#include <string>

namespace cdn::base {
namespace {

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

TEST_CASE("Md5Hex: Alibaba Cloud type A signing vector from DESIGN.md") {
  CHECK(Md5Hex("/video/standard/1K.html-1444435200-0-0-aliyuncdnexp1234") ==
        "80cd3862d699b7118eed99103f2a3a4f");
}

TEST_CASE("Md5Hex: RFC 1321 test suite") {
  CHECK(Md5Hex("") == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(Md5Hex("a") == "0cc175b9c0f1b6a831c399e269772661");
  CHECK(Md5Hex("abc") == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(Md5Hex("message digest") == "f96b697d7cb7938d525a2f31aaf161d0");
  CHECK(
      Md5Hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890") ==
      "57edf4a22be3c955ac49da2e2107b67a");
}

TEST_CASE("Sha256: FIPS 180-4 examples") {
  CHECK(Sha256("").size() == kSha256Size);
  CHECK(HexEncode(Sha256("")) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(HexEncode(Sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(HexEncode(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("HmacSha256: RFC 4231 test cases") {
  SUBCASE("case 1") {
    CHECK(HexEncode(HmacSha256(std::string(20, '\x0b'), "Hi There")) ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  }
  SUBCASE("case 2: key shorter than the block") {
    CHECK(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  }
  SUBCASE("case 3") {
    CHECK(HexEncode(HmacSha256(std::string(20, '\xaa'), std::string(50, '\xdd'))) ==
          "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  }
  SUBCASE("case 6: key longer than the block is hashed first") {
    CHECK(HexEncode(HmacSha256(std::string(131, '\xaa'),
                               "Test Using Larger Than Block-Size Key - Hash Key First")) ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  }
  SUBCASE("empty key and data") {
    CHECK(HexEncode(HmacSha256("", "")) ==
          "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
    CHECK(HmacSha256(std::string_view(), std::string_view()).size() == kSha256Size);
  }
  SUBCASE("binary key with NUL bytes is not cut at the NUL") {
    std::string k1("ab\0cd", 5), k2("ab\0ce", 5);
    CHECK(HmacSha256(k1, "x") != HmacSha256(k2, "x"));
  }
}

TEST_CASE("HexEncode") {
  CHECK(HexEncode("") == "");
  CHECK(HexEncode(std::string("\x00\x0f\xf0\xff", 4)) == "000ff0ff");
  CHECK(HexEncode(Unhex("80cd3862")) == "80cd3862");
}

TEST_CASE("RandomBytes fills the buffer and differs between calls") {
  std::string a(64, '\0'), b(64, '\0');
  RandomBytes(a.data(), a.size());
  RandomBytes(b.data(), b.size());
  CHECK(a != std::string(64, '\0'));
  CHECK(a != b);
  RandomBytes(nullptr, 0);  // zero length is a no-op
  // Writes exactly n bytes and nothing past them.
  std::string guarded(40, '\x5a');
  RandomBytes(guarded.data() + 4, 32);
  CHECK(guarded.substr(0, 4) == std::string(4, '\x5a'));
  CHECK(guarded.substr(36) == std::string(4, '\x5a'));
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string s(16, '\0');
    RandomBytes(s.data(), s.size());
    seen.insert(s);
  }
  CHECK(seen.size() == 100);
}

TEST_CASE("ConstantTimeEquals") {
  CHECK(ConstantTimeEquals("", ""));
  CHECK(ConstantTimeEquals(std::string_view(), ""));
  CHECK(ConstantTimeEquals("secret", "secret"));
  CHECK_FALSE(ConstantTimeEquals("secret", "secreT"));
  CHECK_FALSE(ConstantTimeEquals("secret", "secret1"));
  CHECK_FALSE(ConstantTimeEquals("", "x"));
  CHECK(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
  CHECK_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

}  // namespace
}  // namespace cdn::base
