#include "central/recorder.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <doctest/doctest.h>
#include "lib/media/flv.h"

namespace cdn::central {
namespace {

std::string TempPath(const char* name) {
  return "/tmp/livecdn-recorder-test-" + std::to_string(getpid()) + "-" + name;
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// An FLV file as the recorder writes it: header, then tags every 40 ms from 0.
std::string Flv(int tags) {
  std::string out = media::FlvFileHeader(true, true);
  for (int i = 0; i < tags; ++i) media::AppendFlvTag(media::TagType::kVideo, uint32_t(i * 40), std::string(100 + i, 'x'), &out);
  return out;
}

}  // namespace

TEST_CASE("RepairRecording: an intact file keeps its size; the duration is the last tag's timestamp") {
  const std::string p = TempPath("intact.flv");
  const std::string data = Flv(50);
  WriteFile(p, data);
  uint64_t bytes = 0;
  CHECK(RepairRecording(p, &bytes) == 49 * 40);
  CHECK(bytes == data.size());
  CHECK(ReadFile(p) == data);
  unlink(p.c_str());
}

TEST_CASE("RepairRecording: a torn last tag is cut off at every tear offset") {
  const std::string whole = Flv(10);
  std::string next = whole;
  media::AppendFlvTag(media::TagType::kAudio, 400, std::string(300, 'a'), &next);
  const std::string p = TempPath("torn.flv");
  for (size_t cut = whole.size() + 1; cut < next.size(); cut += 7) {
    WriteFile(p, next.substr(0, cut));
    uint64_t bytes = 0;
    CAPTURE(cut);
    CHECK(RepairRecording(p, &bytes) == 9 * 40);
    CHECK(bytes == whole.size());
    CHECK(ReadFile(p) == whole);
  }
  unlink(p.c_str());
}

TEST_CASE("RepairRecording: no whole tag, or not FLV, is -1") {
  const std::string p = TempPath("empty.flv");
  uint64_t bytes = 0;
  WriteFile(p, media::FlvFileHeader(true, true));
  CHECK(RepairRecording(p, &bytes) == -1);
  WriteFile(p, std::string(5000, '\x42'));
  CHECK(RepairRecording(p, &bytes) == -1);
  CHECK(ReadFile(p).size() == 5000);  // not FLV: left untouched
  CHECK(RepairRecording(TempPath("missing.flv"), &bytes) == -1);
  unlink(p.c_str());
}

TEST_CASE("RecordEntry: JSON round trip; entries without id or path are refused") {
  RecordEntry e;
  e.id = "1700000000000-0a1b2c3d";
  e.vhost = "push.example.com";
  e.app = "live";
  e.stream = "room \"1\"";
  e.start_ms = 1700000000000;
  e.end_ms = 1700000020000;
  e.duration_ms = 19960;
  e.bytes = 2130377;
  e.path = "/data/record/push.example.com/live/room/room-20231114T221320Z.flv";
  e.state = "done";
  e.recovered = true;
  auto back = RecordEntry::FromJson(e.ToJson());
  REQUIRE(back.ok());
  CHECK(back->ToJson() == e.ToJson());
  CHECK(back->stream == "room \"1\"");
  CHECK(back->recovered);
  CHECK(!RecordEntry::FromJson("{\"id\": \"x\"}").ok());
  CHECK(!RecordEntry::FromJson("not json").ok());
}

TEST_CASE("RecordWriter: writes in order; an unwritable path is an error result, not a crash") {
  RecordWriter w(1 << 20);
  const std::string p = TempPath("writer/dir/file.flv");
  CHECK(w.Open(1, p));
  CHECK(w.Write(1, "hello "));
  CHECK(w.Write(1, "world"));
  w.Close(1);
  CHECK(w.Open(2, "/dev/null/not-a-dir/x.flv"));
  CHECK(w.Write(2, "lost"));
  w.Close(2);
  // A write larger than the queue bound is refused at once (the disk is not keeping up).
  CHECK(!w.Write(3, std::string(2 << 20, 'x')));
  std::vector<RecordWriter::Result> results;
  for (int i = 0; i < 200 && results.size() < 3; ++i) {
    for (auto& r : w.TakeResults()) results.push_back(r);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(results.size() == 3);
  CHECK(results[0].file == 1);
  CHECK(results[0].kind == RecordWriter::Result::Kind::kClosed);
  CHECK(results[0].bytes == 11);
  CHECK(ReadFile(p) == "hello world");
  CHECK(results[1].file == 2);
  CHECK(results[1].kind == RecordWriter::Result::Kind::kError);
  CHECK(results[1].message.find("mkdir") == 0);
  CHECK(results[2].file == 2);
  CHECK(results[2].kind == RecordWriter::Result::Kind::kClosed);
  std::filesystem::remove_all(TempPath("writer"));
}

}  // namespace cdn::central
