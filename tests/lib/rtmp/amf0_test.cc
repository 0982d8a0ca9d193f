// Tests for lib/rtmp/amf0: every type round trip, exact wire bytes, real ffmpeg/nginx-rtmp
// messages from the fixtures, truncation at every offset, malformed and hostile inputs.
#include "lib/rtmp/amf0.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace cdn::rtmp {
namespace {

using base::ByteReader;
using base::Status;
using Code = base::Status::Code;
using T = Amf0Value::Type;

std::string ReadFixture(const char* name) {
  std::string path = std::string(LIVECDN_SOURCE_DIR "/../shared/fixtures/rtmp/") + name;
  std::ifstream f(path, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), "missing fixture " << path);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

Status Decode(std::string_view data, Amf0Value* v) {
  ByteReader r(data);
  Status st = DecodeAmf0(&r, v);
  if (st.ok() && !r.empty()) return Status::Invalid("trailing bytes");
  return st;
}

Amf0Value RoundTrip(const Amf0Value& v) {
  std::string wire;
  EncodeAmf0(v, &wire);
  Amf0Value back;
  Status st = Decode(wire, &back);
  REQUIRE_MESSAGE(st.ok(), st.ToString());
  return back;
}

// The connect command ffmpeg sent (c2s, after C0+C1+C2): a type-0 chunk header on csid 3 for a
// 140-byte command message; at the default chunk size of 128 (RTMP 1.0 5.4.1) the body is split
// by one type-3 header byte (0xC3).
std::string FfmpegConnectBody() {
  std::string d = ReadFixture("ffmpeg-publish.c2s.bin");
  const size_t h = 1 + 2 * 1536;
  REQUIRE(d.size() > h + 12 + 140 + 1);
  REQUIRE(d.substr(h, 12) == Bytes({0x03, 0, 0, 0, 0, 0, 0x8c, 0x14, 0, 0, 0, 0}));
  REQUIRE(static_cast<uint8_t>(d[h + 12 + 128]) == 0xC3);
  return d.substr(h + 12, 128) + d.substr(h + 12 + 128 + 1, 140 - 128);
}

// ffmpeg's @setDataFrame/onMetaData data message (type 18, 309 bytes, one chunk after ffmpeg
// set its chunk size to 4096).
std::string FfmpegMetadataBody() {
  std::string d = ReadFixture("ffmpeg-publish.c2s.bin");
  const size_t h = 0xd47;
  REQUIRE(d.size() > h + 12 + 0x135);
  REQUIRE(d.substr(h, 12) == Bytes({0x04, 0, 0, 0, 0, 0x01, 0x35, 0x12, 1, 0, 0, 0}));
  return d.substr(h + 12, 0x135);
}

// nginx-rtmp's _result for connect (s2c, after S0+S1+S2 and three control messages).
std::string NginxResultBody() {
  std::string d = ReadFixture("ffmpeg-publish.s2c.bin");
  const size_t h = 0xc32;
  REQUIRE(d.size() > h + 12 + 0xbe);
  REQUIRE(d.substr(h, 12) == Bytes({0x03, 0, 0, 0, 0, 0, 0xbe, 0x14, 0, 0, 0, 0}));
  return d.substr(h + 12, 0xbe);
}

TEST_CASE("round trip of every type") {
  std::vector<Amf0Value> values = {
      Amf0Value::Number(0),
      Amf0Value::Number(-0.0),
      Amf0Value::Number(1.5),
      Amf0Value::Number(-123456789.25),
      Amf0Value::Number(std::numeric_limits<double>::max()),
      Amf0Value::Number(std::numeric_limits<double>::denorm_min()),
      Amf0Value::Number(std::numeric_limits<double>::infinity()),
      Amf0Value::Number(std::numeric_limits<double>::quiet_NaN()),
      Amf0Value::Boolean(true),
      Amf0Value::Boolean(false),
      Amf0Value::String(""),
      Amf0Value::String("live"),
      Amf0Value::String("\xe7\x9b\xb4\xe6\x92\xad"),  // UTF-8
      Amf0Value::String(std::string("a\0b", 3)),
      Amf0Value::String(std::string(65535, 'x')),  // longest short string
      Amf0Value::String(std::string(65536, 'y')),  // long string
      Amf0Value::Null(),
      Amf0Value::Undefined(),
      Amf0Value::Object({}),
      Amf0Value::Object({{"app", Amf0Value::String("live")}, {"n", Amf0Value::Number(1)}}),
      Amf0Value::EcmaArray({}),
      Amf0Value::EcmaArray({{"duration", Amf0Value::Number(4)}, {"x", Amf0Value::Null()}}),
      Amf0Value::StrictArray({}),
      Amf0Value::StrictArray({Amf0Value::Number(1), Amf0Value::String("two"), Amf0Value::Null()}),
      Amf0Value::Date(1444435200000.0),
      Amf0Value::Date(-1, -480),
  };
  for (const auto& v : values) {
    CAPTURE(v.DebugString().substr(0, 80));
    Amf0Value back = RoundTrip(v);
    CHECK(back == v);
    CHECK(back.type == v.type);
  }
  // Sign of zero survives (bit exact), not just numeric equality.
  CHECK(std::signbit(RoundTrip(Amf0Value::Number(-0.0)).number));
  CHECK(std::isnan(RoundTrip(Amf0Value::Number(NAN)).number));
  // DecodeAmf0All/EncodeAmf0All over the whole list as one message body.
  std::vector<Amf0Value> back;
  Status st = DecodeAmf0All(EncodeAmf0All(values), &back);
  REQUIRE(st.ok());
  CHECK(back == values);
}

TEST_CASE("exact wire bytes (AMF0 spec section 2)") {
  auto enc = [](const Amf0Value& v) {
    std::string s;
    EncodeAmf0(v, &s);
    return s;
  };
  CHECK(enc(Amf0Value::Number(1)) == Bytes({0x00, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0}));
  CHECK(enc(Amf0Value::Boolean(true)) == Bytes({0x01, 0x01}));
  CHECK(enc(Amf0Value::Boolean(false)) == Bytes({0x01, 0x00}));
  CHECK(enc(Amf0Value::String("ab")) == Bytes({0x02, 0x00, 0x02, 'a', 'b'}));
  CHECK(enc(Amf0Value::Null()) == Bytes({0x05}));
  CHECK(enc(Amf0Value::Undefined()) == Bytes({0x06}));
  CHECK(enc(Amf0Value::Object({{"a", Amf0Value::Null()}})) ==
        Bytes({0x03, 0x00, 0x01, 'a', 0x05, 0x00, 0x00, 0x09}));
  CHECK(enc(Amf0Value::EcmaArray({{"a", Amf0Value::Boolean(true)}})) ==
        Bytes({0x08, 0, 0, 0, 1, 0x00, 0x01, 'a', 0x01, 0x01, 0x00, 0x00, 0x09}));
  CHECK(enc(Amf0Value::StrictArray({Amf0Value::Null(), Amf0Value::Undefined()})) ==
        Bytes({0x0a, 0, 0, 0, 2, 0x05, 0x06}));
  CHECK(enc(Amf0Value::Date(0, -1)) == Bytes({0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}));
  std::string long_wire = enc(Amf0Value::String(std::string(65536, 'z')));
  CHECK(long_wire.substr(0, 5) == Bytes({0x0c, 0x00, 0x01, 0x00, 0x00}));
  CHECK(long_wire.size() == 5 + 65536);
  std::string short_wire = enc(Amf0Value::String(std::string(65535, 'z')));
  CHECK(short_wire.substr(0, 3) == Bytes({0x02, 0xff, 0xff}));
}

TEST_CASE("decoding the less common wire forms") {
  Amf0Value v;
  SUBCASE("long string with a short payload") {
    REQUIRE(Decode(Bytes({0x0c, 0, 0, 0, 3, 'a', 'b', 'c'}), &v).ok());
    CHECK(v.IsString());
    CHECK(v.string == "abc");
  }
  SUBCASE("boolean: any non-zero byte is true") {
    REQUIRE(Decode(Bytes({0x01, 0x7f}), &v).ok());
    CHECK(v.boolean);
  }
  SUBCASE("ECMA array count is a hint: 0 and too many both read to the end marker") {
    REQUIRE(Decode(Bytes({0x08, 0, 0, 0, 0, 0, 1, 'a', 0x05, 0, 1, 'b', 0x06, 0, 0, 9}), &v).ok());
    CHECK(v.type == T::kEcmaArray);
    CHECK(v.properties.size() == 2);
    REQUIRE(Decode(Bytes({0x08, 0xff, 0xff, 0xff, 0xff, 0, 1, 'a', 0x05, 0, 0, 9}), &v).ok());
    CHECK(v.properties.size() == 1);
  }
  SUBCASE("ECMA array ending with the buffer, without the object end") {
    REQUIRE(Decode(Bytes({0x08, 0, 0, 0, 1, 0, 1, 'a', 0x05}), &v).ok());
    CHECK(v.properties.size() == 1);
    REQUIRE(Decode(Bytes({0x08, 0, 0, 0, 1, 0, 1, 'a', 0x05, 0, 0}), &v).ok());
    CHECK(v.properties.size() == 1);
    REQUIRE(Decode(Bytes({0x08, 0, 0, 0, 0}), &v).ok());
    CHECK(v.properties.empty());
  }
  SUBCASE("date keeps its time zone") {
    REQUIRE(
        Decode(Bytes({0x0b, 0x42, 0x75, 0x05, 0x3f, 0xd3, 0x60, 0x00, 0x00, 0x01, 0xe0}), &v).ok());
    CHECK(v.type == T::kDate);
    CHECK(v.timezone == 480);
    CHECK(v.number > 1e12);
  }
  SUBCASE("duplicate keys are kept in order; Get finds the first") {
    REQUIRE(
        Decode(Bytes({0x03, 0, 1, 'k', 0x02, 0, 1, '1', 0, 1, 'k', 0x02, 0, 1, '2', 0, 0, 9}), &v)
            .ok());
    CHECK(v.properties.size() == 2);
    CHECK(v.GetString("k") == "1");
  }
}

TEST_CASE("nested containers") {
  Amf0Value inner = Amf0Value::Object({{"deep", Amf0Value::StrictArray({Amf0Value::Number(7)})}});
  Amf0Value v = Amf0Value::Object({
      {"a", Amf0Value::EcmaArray({{"o", inner}, {"s", Amf0Value::String("x")}})},
      {"b", Amf0Value::StrictArray({inner, Amf0Value::Object({}), Amf0Value::EcmaArray({})})},
      {"c", Amf0Value::Date(5)},
  });
  Amf0Value back = RoundTrip(v);
  CHECK(back == v);
  const Amf0Value* a = back.Get("a");
  REQUIRE(a != nullptr);
  REQUIRE(a->Get("o") != nullptr);
  CHECK(a->Get("o")->Get("deep")->elements[0].number == 7);
  CHECK(back.Get("b")->elements.size() == 3);
  CHECK_FALSE(v == Amf0Value::Object({}));
}

TEST_CASE("accessors") {
  Amf0Value o =
      Amf0Value::Object({{"app", Amf0Value::String("live")}, {"n", Amf0Value::Number(3)}});
  CHECK(o.IsObjectLike());
  CHECK(Amf0Value::EcmaArray({}).IsObjectLike());
  CHECK_FALSE(Amf0Value::StrictArray({}).IsObjectLike());
  CHECK(o.GetString("app") == "live");
  CHECK(o.GetString("n", "def") == "def");  // wrong type -> default
  CHECK(o.GetString("missing") == "");
  CHECK(o.GetNumber("n") == 3);
  CHECK(o.GetNumber("app", -1) == -1);
  CHECK(o.Get("missing") == nullptr);
  CHECK(Amf0Value::String("x").Get("app") == nullptr);
  CHECK(Amf0Value::Null().GetString("app", "d") == "d");
  o.Set("n", Amf0Value::Number(4));
  CHECK(o.properties.size() == 2);
  CHECK(o.GetNumber("n") == 4);
  o.Set("new", Amf0Value::Boolean(true));
  CHECK(o.properties.size() == 3);
  CHECK(o.properties.back().first == "new");
  CHECK(Amf0Value::Null().IsNull());
  CHECK(Amf0Value::Undefined().IsNull());
  CHECK(Amf0Value().type == T::kNull);
  CHECK(o.DebugString() == "{app: \"live\", n: 4, new: true}");
  CHECK(Amf0Value::String("a\"\n").DebugString() == "\"a\\\"\\x0a\"");
}

TEST_CASE("encoder: names it cannot represent") {
  Amf0Value o = Amf0Value::Object({{"", Amf0Value::Number(1)}, {"k", Amf0Value::Null()}});
  Amf0Value back = RoundTrip(o);
  REQUIRE(back.properties.size() == 1);  // the empty name would be an object end: skipped
  CHECK(back.properties[0].first == "k");
  Amf0Value big = Amf0Value::Object({{std::string(70000, 'n'), Amf0Value::Null()}});
  back = RoundTrip(big);
  REQUIRE(back.properties.size() == 1);
  CHECK(back.properties[0].first.size() == 65535);
}

TEST_CASE("real connect command from ffmpeg (fixture)") {
  std::string body = FfmpegConnectBody();
  std::vector<Amf0Value> v;
  Status st = DecodeAmf0All(body, &v);
  REQUIRE_MESSAGE(st.ok(), st.ToString());
  REQUIRE(v.size() == 3);
  CHECK(v[0].string == "connect");
  CHECK(v[1].number == 1);  // transaction id
  REQUIRE(v[2].type == T::kObject);
  CHECK(v[2].GetString("app") == "live");
  CHECK(v[2].GetString("type") == "nonprivate");
  CHECK(v[2].GetString("flashVer") == "FMLE/3.0 (compatible; Lavf59.27.100)");
  CHECK(v[2].GetString("tcUrl") == "rtmp://127.0.0.1:19397/live");
  CHECK(v[2].properties.size() == 4);
  CHECK(EncodeAmf0All(v) == body);  // we write what ffmpeg wrote, byte for byte
}

TEST_CASE("real onMetaData from ffmpeg and _result from nginx-rtmp (fixtures)") {
  std::vector<Amf0Value> v;
  std::string meta = FfmpegMetadataBody();
  Status st = DecodeAmf0All(meta, &v);
  REQUIRE_MESSAGE(st.ok(), st.ToString());
  REQUIRE(v.size() == 3);
  CHECK(v[0].string == "@setDataFrame");
  CHECK(v[1].string == "onMetaData");
  REQUIRE(v[2].type == T::kEcmaArray);
  CHECK(v[2].GetNumber("width") == 160);
  CHECK(v[2].GetNumber("height") == 120);
  CHECK(v[2].GetNumber("framerate") == 10);
  CHECK(v[2].GetNumber("audiosamplerate") == 22050);
  CHECK(v[2].GetString("encoder").rfind("Lavf", 0) == 0);
  CHECK(EncodeAmf0All(v) == meta);

  std::string result = NginxResultBody();
  st = DecodeAmf0All(result, &v);
  REQUIRE_MESSAGE(st.ok(), st.ToString());
  REQUIRE(v.size() == 4);
  CHECK(v[0].string == "_result");
  CHECK(v[1].number == 1);
  CHECK(v[2].GetString("fmsVer") == "FMS/3,0,1,123");
  CHECK(v[2].GetNumber("capabilities") == 31);
  CHECK(v[3].GetString("code") == "NetConnection.Connect.Success");
  CHECK(v[3].GetNumber("objectEncoding", -1) == 0);
  CHECK(EncodeAmf0All(v) == result);
}

TEST_CASE("truncated input at every offset is an error, never a crash") {
  // No ECMA arrays in these: every proper prefix is malformed unless it ends between values.
  for (const std::string& body : {FfmpegConnectBody(), NginxResultBody()}) {
    for (size_t n = 0; n < body.size(); ++n) {
      std::vector<Amf0Value> v;
      Status st = DecodeAmf0All(body.substr(0, n), &v);
      // A cut exactly between two top-level values is a valid shorter body.
      if (st.ok()) {
        CHECK(v.size() < 4);
        CHECK(EncodeAmf0All(v) == body.substr(0, n));
      } else {
        CHECK(st.code() == Code::kInvalid);
      }
    }
    // Each top-level value cut anywhere inside is an error on its own.
    ByteReader r(body);
    while (!r.empty()) {
      size_t start = r.position();
      Amf0Value whole;
      REQUIRE(DecodeAmf0(&r, &whole).ok());
      std::string_view bytes = std::string_view(body).substr(start, r.position() - start);
      for (size_t n = 0; n < bytes.size(); ++n) {
        ByteReader cut(bytes.substr(0, n));
        Amf0Value part;
        CHECK(DecodeAmf0(&cut, &part).code() == Code::kInvalid);
      }
    }
  }
  // The metadata ends in an ECMA array, whose end marker may be missing: a prefix cut at a
  // property boundary decodes to fewer properties, any other cut is an error.
  std::string meta = FfmpegMetadataBody();
  std::vector<Amf0Value> full;
  REQUIRE(DecodeAmf0All(meta, &full).ok());
  int accepted = 0;
  for (size_t n = 0; n < meta.size(); ++n) {
    std::vector<Amf0Value> v;
    Status st = DecodeAmf0All(meta.substr(0, n), &v);
    if (!st.ok()) continue;
    ++accepted;
    if (v.size() == 3) CHECK(v[2].properties.size() <= full[2].properties.size());
  }
  // Accepted cuts: empty, after each of the first two values, after the ECMA count, after each
  // property, and after the empty name of the end marker (only the 0x09 missing).
  CHECK(accepted == static_cast<int>(full[2].properties.size()) + 5);
}

TEST_CASE("bad type markers") {
  Amf0Value v;
  for (int m : {0x04, 0x07, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x7f, 0xff}) {
    CAPTURE(m);
    std::string wire = Bytes({m, 0, 0, 0, 0, 0, 0, 0, 0});
    CHECK(Decode(wire, &v).code() == Code::kUnsupported);
  }
  CHECK(Decode(Bytes({0x09}), &v).code() == Code::kInvalid);  // object end at top level
  // Bad marker inside a container propagates with context from DecodeAmf0All.
  std::vector<Amf0Value> all;
  Status st = DecodeAmf0All(Bytes({0x05, 0x03, 0, 1, 'a', 0x11, 0, 0, 9}), &all);
  CHECK(st.code() == Code::kUnsupported);
  CHECK(st.message().find("value 1") != std::string::npos);
}

TEST_CASE("malformed objects") {
  Amf0Value v;
  CHECK(Decode(Bytes({0x03}), &v).code() == Code::kInvalid);
  CHECK(Decode(Bytes({0x03, 0, 1, 'a', 0x05}), &v).code() == Code::kInvalid);  // no end
  CHECK(Decode(Bytes({0x03, 0, 1, 'a', 0x05, 0, 0}), &v).code() == Code::kInvalid);
  CHECK(Decode(Bytes({0x03, 0, 0, 0x05}), &v).code() == Code::kInvalid);  // empty name, no 0x09
  CHECK(Decode(Bytes({0x03, 0, 5, 'a'}), &v).code() == Code::kInvalid);   // name runs off
  CHECK(Decode(Bytes({0x08, 0, 0}), &v).code() == Code::kInvalid);        // count cut
  CHECK(Decode(Bytes({0x08, 0, 0, 0, 1, 0, 1, 'a'}), &v).code() == Code::kInvalid);  // no value
  CHECK(Decode(Bytes({0x08, 0, 0, 0, 0, 0, 0, 0x05}), &v).code() == Code::kInvalid);
  CHECK(Decode(Bytes({0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0}), &v).code() == Code::kInvalid);
  CHECK(Decode(Bytes({0x00, 0, 0}), &v).code() == Code::kInvalid);
  CHECK(Decode(Bytes({0x01}), &v).code() == Code::kInvalid);
  CHECK(Decode("", &v).code() == Code::kInvalid);
}

TEST_CASE("huge declared lengths are refused before allocating") {
  Amf0Value v;
  CHECK(Decode(Bytes({0x02, 0xff, 0xff, 'a', 'b'}), &v).code() == Code::kInvalid);
  CHECK(Decode(Bytes({0x0c, 0xff, 0xff, 0xff, 0xff, 'a'}), &v).code() == Code::kInvalid);
  CHECK(Decode(Bytes({0x0a, 0xff, 0xff, 0xff, 0xff, 0x05}), &v).code() == Code::kTooLarge);
  CHECK(Decode(Bytes({0x0a, 0x00, 0x01, 0x00, 0x00, 0x05}), &v).code() == Code::kInvalid);
  CHECK(Decode(Bytes({0x0a, 0x00, 0x00, 0x00, 0x03, 0x05, 0x05}), &v).code() == Code::kInvalid);
  CHECK(Decode(Bytes({0x03, 0xff, 0xff, 'a'}), &v).code() == Code::kInvalid);
}

TEST_CASE("element caps") {
  Amf0Value v;
  auto strict = [](uint32_t n) {
    std::string s = Bytes({0x0a});
    base::PutU32(&s, n);
    s.append(n, '\x05');
    return s;
  };
  REQUIRE(Decode(strict(kAmf0MaxElements), &v).ok());
  CHECK(v.elements.size() == kAmf0MaxElements);
  CHECK(Decode(strict(kAmf0MaxElements + 1), &v).code() == Code::kTooLarge);

  auto object = [](size_t n) {
    std::string s = Bytes({0x03});
    for (size_t i = 0; i < n; ++i) s.append(Bytes({0, 1, 'k', 0x05}));
    s.append(Bytes({0, 0, 9}));
    return s;
  };
  REQUIRE(Decode(object(kAmf0MaxElements), &v).ok());
  CHECK(v.properties.size() == kAmf0MaxElements);
  CHECK(Decode(object(kAmf0MaxElements + 1), &v).code() == Code::kTooLarge);
}

TEST_CASE("depth bombs") {
  auto nested = [](int levels, int marker) {
    std::string s;
    for (int i = 0; i < levels; ++i) {
      if (marker == 0x03) s.append(Bytes({0x03, 0, 1, 'x'}));
      if (marker == 0x08) s.append(Bytes({0x08, 0, 0, 0, 1, 0, 1, 'x'}));
      if (marker == 0x0a) s.append(Bytes({0x0a, 0, 0, 0, 1}));
    }
    s.append(Bytes({0x05}));
    for (int i = 0; i < levels; ++i) {
      if (marker != 0x0a) s.append(Bytes({0, 0, 9}));
    }
    return s;
  };
  for (int marker : {0x03, 0x08, 0x0a}) {
    CAPTURE(marker);
    Amf0Value v;
    CHECK(Decode(nested(kAmf0MaxDepth, marker), &v).ok());
    CHECK(Decode(nested(kAmf0MaxDepth + 1, marker), &v).code() == Code::kTooLarge);
    // Far deeper than any stack would survive without the cap.
    std::string bomb = nested(200000, marker);
    CHECK(Decode(bomb, &v).code() == Code::kTooLarge);
  }
}

TEST_CASE("random and mutated input never crashes") {
  std::mt19937 rng(1234);
  std::vector<std::string> seeds = {FfmpegConnectBody(), FfmpegMetadataBody(), NginxResultBody()};
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    if (i % 2 == 0) {
      s = seeds[static_cast<size_t>(i / 2) % seeds.size()];
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) s[rng() % s.size()] = static_cast<char>(rng());
    } else {
      s.resize(rng() % 64);
      for (char& c : s) c = static_cast<char>(rng() % 16);  // mostly valid markers
    }
    std::vector<Amf0Value> v;
    Status st = DecodeAmf0All(s, &v);
    if (st.ok()) {
      // Whatever decodes must encode and decode again to the same values.
      std::vector<Amf0Value> again;
      REQUIRE(DecodeAmf0All(EncodeAmf0All(v), &again).ok());
      CHECK(again == v);
    }
  }
}

}  // namespace
}  // namespace cdn::rtmp
