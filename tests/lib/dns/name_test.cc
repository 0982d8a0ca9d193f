#include "lib/dns/name.h"

#include <doctest/doctest.h>

#include "lib/dns/rdata.h"
#include "lib/dns/wire.h"

using namespace cdn::dns;

TEST_CASE("NameFromText lowercases and validates") {
  auto n = NameFromText("Pull.Example.COM.");
  REQUIRE(n.ok());
  CHECK(*n == std::string("\4pull\7example\3com\0", 18));
  CHECK(NameToText(*n) == "pull.example.com.");
  CHECK(*NameFromText(".") == std::string(1, '\0'));
  CHECK_FALSE(NameFromText("a..b").ok());
  CHECK_FALSE(NameFromText(std::string(64, 'a') + ".com").ok());
  CHECK(NameFromText(std::string(63, 'a') + ".com").ok());
  std::string long_name;
  for (int i = 0; i < 50; ++i) long_name += "abcd.";
  CHECK(NameFromText(long_name + "com").ok());  // 255 octets
  CHECK_FALSE(NameFromText(long_name + "comx").ok());  // 256 octets
  CHECK_FALSE(NameFromText("a b.com").ok());
}

TEST_CASE("NameIsUnder is label aligned") {
  auto zone = *NameFromText("livecdn.test");
  CHECK(NameIsUnder(*NameFromText("a.livecdn.test"), zone));
  CHECK(NameIsUnder(zone, zone));
  CHECK_FALSE(NameIsUnder(*NameFromText("xlivecdn.test"), zone));
  CHECK_FALSE(NameIsUnder(*NameFromText("test"), zone));
  CHECK(NameParent(*NameFromText("a.b.c")) == *NameFromText("b.c"));
  CHECK(NameParent(std::string(1, '\0')) == std::string(1, '\0'));
  CHECK(NameLabelCount(*NameFromText("a.b.c")) == 3);
}

TEST_CASE("NameCheckAndLower rejects malformed wire") {
  std::string ok = std::string("\3WWW\7Example\0", 13);
  CHECK(NameCheckAndLower(&ok));
  CHECK(ok == std::string("\3www\7example\0", 13));
  std::string bad = std::string("\5ab", 3);
  CHECK_FALSE(NameCheckAndLower(&bad));
  std::string trailing = std::string("\1a\0x", 4);
  CHECK_FALSE(NameCheckAndLower(&trailing));
}

TEST_CASE("RdataFromText encodes the config types") {
  CHECK(*RdataFromText(kTypeA, "192.0.2.1") == std::string("\xc0\x00\x02\x01", 4));
  CHECK(RdataFromText(kTypeAaaa, "2001:db8::1")->size() == 16);
  CHECK(*RdataFromText(kTypeCname, "Edge.Example.") == *NameFromText("edge.example"));
  CHECK(*RdataFromText(kTypeMx, "10 mail.example.com") == std::string("\0\x0a", 2) + *NameFromText("mail.example.com"));
  CHECK(*RdataFromText(kTypeTxt, "hello") == std::string("\5hello"));
  CHECK(RdataFromText(kTypeTxt, std::string(300, 'x'))->size() == 302);
  CHECK_FALSE(RdataFromText(kTypeA, "300.1.1.1").ok());
  CHECK_FALSE(RdataFromText(kTypeMx, "mail").ok());
  CHECK(TypeFromText("aaaa") == kTypeAaaa);
  CHECK(TypeFromText("TYPE99") == 99);
  CHECK(TypeFromText("bogus") == 0);
  CHECK(RdataToText(kTypeA, std::string("\x7f\0\1\x0a", 4)) == "127.0.1.10");
}
