#include "central/recorder.h"

#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <doctest/doctest.h>
#include "lib/base/log.h"
#include "lib/media/flv.h"
#include "lib/metrics/exposition.h"
#include "tests/lib/live/live_test_util.h"

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

size_t OpenFds() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// Waits (bounded) for `n` writer results.
std::vector<RecordWriter::Result> Results(RecordWriter& w, size_t n) {
  std::vector<RecordWriter::Result> results;
  for (int i = 0; i < 300 && results.size() < n; ++i) {
    for (auto& r : w.TakeResults()) results.push_back(r);
    if (results.size() < n) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return results;
}

// Sends stderr (where LOG writes) to a file while alive; text() is what was logged.
class CapturedStderr {
 public:
  CapturedStderr() : path_(TempPath("stderr.log")) {
    fflush(stderr);
    saved_ = dup(2);
    FILE* f = fopen(path_.c_str(), "w");
    dup2(fileno(f), 2);
    fclose(f);
  }
  ~CapturedStderr() {
    dup2(saved_, 2);
    close(saved_);
    unlink(path_.c_str());
  }
  std::string text() const { return ReadFile(path_); }

 private:
  std::string path_;
  int saved_;
};

// The value of one series in Prometheus text, or -1.
double Series(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
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
  CHECK(results[1].opening);
  CHECK(std::string(results[1].reason()) == "open_error");
  CHECK(results[2].file == 2);
  CHECK(results[2].kind == RecordWriter::Result::Kind::kClosed);
  std::filesystem::remove_all(TempPath("writer"));
}

TEST_CASE("RecordWriter: a full disk (/dev/full: ENOSPC) is a disk_full error and the file is closed") {
  const size_t fds = OpenFds();
  RecordWriter w(1 << 20);
  CHECK(w.Open(7, "/dev/full"));
  CHECK(w.Write(7, media::FlvFileHeader(true, true)));
  CHECK(w.Write(7, std::string(64 << 10, 'x')));  // dropped: the file already failed
  w.Close(7);
  std::vector<RecordWriter::Result> results = Results(w, 2);
  REQUIRE(results.size() == 2);
  CHECK(results[0].file == 7);
  CHECK(results[0].kind == RecordWriter::Result::Kind::kError);
  CHECK(results[0].error == ENOSPC);
  CHECK(!results[0].opening);
  CHECK(results[0].message == std::string("write: ") + strerror(ENOSPC));
  CHECK(std::string(results[0].reason()) == "disk_full");
  CHECK(results[1].file == 7);
  CHECK(results[1].kind == RecordWriter::Result::Kind::kClosed);
  CHECK(results[1].bytes == 0);
  CHECK(w.queued_bytes() == 0);
  CHECK(OpenFds() == fds);  // the failed file's descriptor is closed, not leaked
  CHECK(Results(w, 1).empty());  // one error per file, nothing more
}

TEST_CASE("RecordManager: a full disk stops that stream's recording (error log, disk_full metric); viewers go on") {
  const std::string dir = TempPath("manager");
  auto catalog = store::KvStore::Open(dir + "/catalog");
  REQUIRE(catalog.ok());
  net::EventLoop loop;
  live::StreamHub hub(live::HubOptions{});
  RecordManager::Options o;
  o.dir = dir + "/record";
  o.file_for_test = "/dev/full";
  auto manager = std::make_unique<RecordManager>(&loop, &hub, catalog->get(), o);
  const live::StreamKey key{"push.example.com", "live", "room"};
  auto s = hub.Publish(key, hub.NextPublisherId(), 0);
  REQUIRE(s.ok());
  live::Stream* stream = *s;
  live::testing::RecordingConsumer viewer;
  stream->AddConsumer(&viewer);
  manager->OnPublishStarted(stream);
  using live::PacketType;
  using namespace live::testing;  // NOLINT: test helpers
  stream->OnMessage(PacketType::kVideo, 0, AvcSequenceHeader(), 0);
  stream->OnMessage(PacketType::kAudio, 0, AacSequenceHeader(), 0);
  uint32_t ts = 0;
  auto gop = [&] {  // one second: a key frame, 24 inter frames, audio
    for (int i = 0; i < 25; ++i, ts += 40) {
      stream->OnMessage(PacketType::kVideo, ts, i == 0 ? KeyFrame(2000) : InterFrame(500), ts);
      stream->OnMessage(PacketType::kAudio, ts, AacFrame(), ts);
    }
  };
  std::string log;
  {
    CapturedStderr captured;
    gop();
    CHECK(manager->active() == 1);
    gop();  // the next key frame flushes the first GOP: the write fails
    std::string text;
    for (int i = 0; i < 300; ++i) {
      manager->Tick(0);
      metrics::Exposition e;
      manager->AddMetrics(&e);
      text = e.Render();
      if (Series(text, "livecdn_recordings_total{result=\"failed\"}") == 1) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(Series(text, "livecdn_recording_failures_total{reason=\"disk_full\"}") == 1);
    CHECK(Series(text, "livecdn_recording_failures_total{reason=\"write_error\"}") == 0);
    CHECK(Series(text, "livecdn_recordings_total{result=\"failed\"}") == 1);
    CHECK(Series(text, "livecdn_recordings_total{result=\"done\"}") == 0);
    CHECK(Series(text, "livecdn_recordings") == 0);
    log = captured.text();
  }
  CHECK(log.find("record push.example.com/live/room: recording stopped: write: " + std::string(strerror(ENOSPC)) +
                 " (live delivery goes on)") != std::string::npos);
  CHECK(manager->active() == 0);
  std::vector<RecordEntry> entries = manager->List("", "", "");
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].state == "failed");
  CHECK(entries[0].error == std::string("write: ") + strerror(ENOSPC));
  // The stream goes on: the viewer gets every packet, and no new file is tried for this session.
  const size_t before = viewer.packets.size();
  gop();
  gop();
  manager->Tick(0);
  CHECK(viewer.packets.size() == before + 100);
  CHECK(manager->active() == 0);
  CHECK(manager->List("", "", "").size() == 1);
  // The failed entry is in the catalog too (it survives a restart as failed, not "recording").
  manager.reset();
  RecordManager reopened(&loop, &hub, catalog->get(), o);
  reopened.Recover();
  entries = reopened.List("", "", "");
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].state == "failed");
  stream->RemoveConsumer(&viewer);
  std::filesystem::remove_all(dir);
}

}  // namespace cdn::central
