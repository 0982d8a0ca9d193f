// FLV writers and FlvReader: exact bytes, real ffmpeg output, every split and truncation, and
// malformed streams.
#include "lib/media/flv.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lib/base/bytes.h"
#include "tests/lib/media/media_test_data.h"

namespace cdn::media {
namespace {

using base::Status;
using testing::FromHex;

struct Expected {
  TagType type;
  uint32_t timestamp;
  std::string data;
};

// A stream exercising the corners: empty tag, extended timestamp, every tag type.
std::vector<Expected> SampleTags() {
  std::string big(3000, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  return {
      {TagType::kScript, 0, FromHex("02000a6f6e4d65746144617461")},
      {TagType::kVideo, 0, testing::kAvcTag640},
      {TagType::kAudio, 0, FromHex("af00121056e500")},
      {TagType::kAudio, 23, ""},
      {TagType::kVideo, 0x00ffffff, big},
      {TagType::kVideo, 0x01000000, FromHex("2701000000")},
      {TagType::kAudio, 0xfedcba98, FromHex("af01")},
  };
}

std::string Encode(const std::vector<Expected>& tags, std::vector<size_t>* ends = nullptr) {
  std::string out = FlvFileHeader(true, true);
  for (const Expected& t : tags) {
    AppendFlvTag(t.type, t.timestamp, t.data, &out);
    if (ends) ends->push_back(out.size());
  }
  return out;
}

void CheckTags(const std::vector<FlvTag>& got, const std::vector<Expected>& want, size_t n) {
  REQUIRE(got.size() == n);
  for (size_t i = 0; i < n; ++i) {
    CHECK(got[i].type == want[i].type);
    CHECK(got[i].timestamp == want[i].timestamp);
    CHECK(got[i].data == want[i].data);
  }
}

TEST_CASE("FlvFileHeader is the 9-byte header plus PreviousTagSize0") {
  CHECK(FlvFileHeader(true, true) == FromHex("464c5601" "05" "00000009" "00000000"));
  CHECK(FlvFileHeader(true, false) == FromHex("464c5601" "04" "00000009" "00000000"));
  CHECK(FlvFileHeader(false, true) == FromHex("464c5601" "01" "00000009" "00000000"));
  CHECK(FlvFileHeader(false, false).size() == 13);
  // ffmpeg writes the same header.
  CHECK(testing::kFlvPrefix640.substr(0, 13) == FlvFileHeader(true, true));
}

TEST_CASE("AppendFlvTagHeader splits the timestamp into 24 + 8 bits") {
  std::string out = "x";
  AppendFlvTagHeader(TagType::kVideo, 0x12345678, 0x0a0b0c, &out);
  CHECK(out.substr(0, 1) == "x");  // appended, not overwritten
  CHECK(out.substr(1) == FromHex("090a0b0c345678" "12" "000000"));
  out.clear();
  AppendFlvTagHeader(TagType::kScript, 1000, 0, &out);
  CHECK(out == FromHex("12000000" "0003e8" "00" "000000"));
  CHECK(out.size() == kFlvTagHeaderSize);
}

TEST_CASE("AppendFlvTag appends header, data and PreviousTagSize") {
  std::string out;
  AppendFlvTag(TagType::kAudio, 40, FromHex("af01aabb"), &out);
  CHECK(out == FromHex("0800000400002800000000" "af01aabb" "0000000f"));
}

TEST_CASE("FlvReader parses real ffmpeg output") {
  FlvReader reader;
  std::vector<FlvTag> tags;
  REQUIRE(reader.Consume(testing::kFlvPrefix640, &tags).ok());
  CHECK(reader.header_parsed());
  CHECK(reader.has_audio());
  CHECK(reader.has_video());
  REQUIRE(tags.size() == 4);
  CHECK(tags[0].type == TagType::kScript);
  CHECK(tags[0].data.size() == 293);
  CHECK(tags[0].data.substr(3, 10) == "onMetaData");
  CHECK(tags[1].type == TagType::kVideo);
  CHECK(tags[1].data == testing::kAvcTag640);
  CHECK(tags[2].type == TagType::kAudio);
  CHECK(tags[2].data == FromHex("af00121056e500"));
  CHECK(tags[3].type == TagType::kAudio);
  CHECK(tags[3].data.size() == 320);
  for (const FlvTag& t : tags) CHECK(t.timestamp == 0);
  // Re-encoding the parsed tags gives ffmpeg's bytes back.
  std::string again = FlvFileHeader(true, true);
  for (const FlvTag& t : tags) AppendFlvTag(t.type, t.timestamp, t.data, &again);
  CHECK(again == testing::kFlvPrefix640);
}

TEST_CASE("FlvReader gives the same tags for every two-way split") {
  const std::vector<Expected> want = SampleTags();
  const std::string stream = Encode(want);
  for (size_t split = 0; split <= stream.size(); ++split) {
    FlvReader reader;
    std::vector<FlvTag> tags;
    REQUIRE(reader.Consume(std::string_view(stream).substr(0, split), &tags).ok());
    REQUIRE(reader.Consume(std::string_view(stream).substr(split), &tags).ok());
    CheckTags(tags, want, want.size());
  }
}

TEST_CASE("FlvReader gives the same tags fed one byte at a time") {
  for (const std::string& stream : {Encode(SampleTags()), testing::kFlvPrefix640}) {
    FlvReader reader;
    std::vector<FlvTag> tags;
    for (char c : stream) REQUIRE(reader.Consume(std::string_view(&c, 1), &tags).ok());
    FlvReader whole;
    std::vector<FlvTag> whole_tags;
    REQUIRE(whole.Consume(stream, &whole_tags).ok());
    REQUIRE(tags.size() == whole_tags.size());
    for (size_t i = 0; i < tags.size(); ++i) CHECK(tags[i].data == whole_tags[i].data);
  }
}

TEST_CASE("FlvReader truncated at every length returns the complete tags and no error") {
  const std::vector<Expected> want = SampleTags();
  std::vector<size_t> ends;
  const std::string stream = Encode(want, &ends);
  for (size_t len = 0; len <= stream.size(); ++len) {
    FlvReader reader;
    std::vector<FlvTag> tags;
    REQUIRE(reader.Consume(std::string_view(stream).substr(0, len), &tags).ok());
    size_t complete = 0;
    while (complete < ends.size() && ends[complete] <= len) ++complete;
    CheckTags(tags, want, complete);
    CHECK(reader.header_parsed() == (len >= 13));
  }
}

TEST_CASE("FlvReader skips extra header bytes named by DataOffset") {
  std::string stream = FromHex("464c5601050000000c") + "abc" + FromHex("00000000");
  AppendFlvTag(TagType::kAudio, 5, "hi", &stream);
  FlvReader reader;
  std::vector<FlvTag> tags;
  REQUIRE(reader.Consume(stream, &tags).ok());
  REQUIRE(tags.size() == 1);
  CHECK(tags[0].data == "hi");
  CHECK(tags[0].timestamp == 5);
}

TEST_CASE("FlvReader ignores reserved tag bits, StreamID and a wrong PreviousTagSize") {
  std::string stream = FlvFileHeader(false, true);
  stream += FromHex("c9000002000007000000ff" "abcd" "12345678");
  FlvReader reader;
  std::vector<FlvTag> tags;
  REQUIRE(reader.Consume(stream, &tags).ok());
  REQUIRE(tags.size() == 1);
  CHECK(tags[0].type == TagType::kVideo);
  CHECK(tags[0].data == FromHex("abcd"));
  CHECK(tags[0].timestamp == 7);
}

TEST_CASE("FlvReader rejects a bad signature as soon as it can tell") {
  for (const char* bad : {"G", "FX", "FLX", "flv"}) {
    FlvReader reader;
    std::vector<FlvTag> tags;
    const Status st = reader.Consume(bad, &tags);
    CHECK(st.code() == Status::Code::kInvalid);
    // Dead afterwards, even for good bytes.
    CHECK(reader.Consume(FlvFileHeader(true, true), &tags).code() == Status::Code::kInvalid);
    CHECK(tags.empty());
  }
  // HTTP error page instead of FLV.
  FlvReader reader;
  std::vector<FlvTag> tags;
  CHECK_FALSE(reader.Consume("HTTP/1.1 404 Not Found\r\n", &tags).ok());
}

TEST_CASE("FlvReader rejects a bad DataOffset") {
  for (const char* hex : {"464c560105" "00000008", "464c560105" "00000000", "464c560105" "ffffffff",
                          "464c560105" "00000401"}) {
    FlvReader reader;
    std::vector<FlvTag> tags;
    CHECK(reader.Consume(FromHex(hex), &tags).code() == Status::Code::kInvalid);
  }
  FlvReader reader;
  std::vector<FlvTag> tags;
  CHECK(reader.Consume(FromHex("464c560105" "00000400"), &tags).ok());  // the cap itself is fine
}

TEST_CASE("FlvReader tag errors: filter bit, unknown type, oversized tag") {
  struct Case {
    std::string tag_header;
    Status::Code code;
  };
  const Case cases[] = {
      {FromHex("29" "000002" "000000" "00" "000000"), Status::Code::kUnsupported},  // Filter + video
      {FromHex("28" "000002" "000000" "00" "000000"), Status::Code::kUnsupported},  // Filter + audio
      {FromHex("07" "000002" "000000" "00" "000000"), Status::Code::kInvalid},
      {FromHex("00" "000002" "000000" "00" "000000"), Status::Code::kInvalid},
      {FromHex("1f" "000002" "000000" "00" "000000"), Status::Code::kInvalid},
      {FromHex("0f" "000002" "000000" "00" "000000"), Status::Code::kInvalid},  // AMF3 data: not in FLV
      {FromHex("09" "0003e9" "000000" "00" "000000"), Status::Code::kTooLarge},  // 1001 > 1000
  };
  for (const Case& c : cases) {
    std::string stream = FlvFileHeader(true, true);
    AppendFlvTag(TagType::kAudio, 1, "ok", &stream);
    stream += c.tag_header;
    FlvReader reader(1000);
    std::vector<FlvTag> tags;
    // The error shows once the 11-byte header is in, before any of its data arrives.
    const Status st = reader.Consume(stream, &tags);
    CHECK(st.code() == c.code);
    REQUIRE(tags.size() == 1);  // the tag before the error is still delivered
    CHECK(tags[0].data == "ok");
    CHECK(reader.Consume("more", &tags).code() == c.code);
    CHECK(tags.size() == 1);
  }
  // Exactly max_tag_size is allowed.
  std::string stream = FlvFileHeader(true, true);
  AppendFlvTag(TagType::kVideo, 0, std::string(1000, 'v'), &stream);
  FlvReader reader(1000);
  std::vector<FlvTag> tags;
  REQUIRE(reader.Consume(stream, &tags).ok());
  REQUIRE(tags.size() == 1);
  CHECK(tags[0].data.size() == 1000);
}

TEST_CASE("FlvReader survives every single-byte corruption of real output") {
  // Not a correctness check: under ASan/UBSan this proves no out-of-bounds read on garbage.
  const std::string& good = testing::kFlvPrefix640;
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t x : {0x01, 0x20, 0x80, 0xff}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ x);
      FlvReader reader(4096);
      std::vector<FlvTag> tags;
      (void)reader.Consume(bad, &tags);  // ok or an error: either is fine here
      size_t total = 0;
      for (const FlvTag& t : tags) total += kFlvTagHeaderSize + t.data.size() + 4;
      CHECK(total <= bad.size());
    }
  }
}

}  // namespace
}  // namespace cdn::media
