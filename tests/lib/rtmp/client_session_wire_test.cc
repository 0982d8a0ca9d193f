// Tests for lib/rtmp/client_session against bytes from elsewhere: nginx-rtmp's real answers to
// ffmpeg's play and publish (shared/fixtures/rtmp) fed whole, split at every offset and byte by
// byte; hand-built server messages for acks, pings, _error and malformed answers; garbage.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "lib/rtmp/client_session.h"
#include "tests/lib/rtmp/rtmp_test_util.h"

namespace cdn::rtmp {
namespace {

using namespace testing;  // NOLINT: test helpers
using Code = base::Status::Code;

struct Events : ClientSession::Delegate {
  int ready = 0;
  std::vector<Message> media;
  std::vector<std::string> statuses;  // "level code"
  void OnReady() override { ++ready; }
  void OnMedia(Message&& m) override { media.push_back(std::move(m)); }
  void OnStatus(std::string_view level, std::string_view code, std::string_view) override {
    statuses.push_back(std::string(level) + " " + std::string(code));
  }
};

ClientSession::Options Options(bool publish) {
  ClientSession::Options o;
  o.tc_url = "rtmp://127.0.0.1:19397/live";
  o.app = "live";
  o.stream = "room";
  o.publish = publish;
  return o;
}

struct Run {
  base::Status status;
  int ready = 0;
  std::vector<Message> media;
  std::vector<std::string> statuses;
  std::string sent;  // after C0+C1+C2
  uint64_t bytes_received = 0;
};

Run Feed(bool publish, const std::vector<std::string_view>& pieces) {
  Events ev;
  ClientSession c(&ev, Options(publish));
  c.Start();
  Run r;
  for (std::string_view p : pieces) {
    r.status = c.Consume(p);
    if (!r.status.ok()) break;
  }
  r.ready = ev.ready;
  r.media = std::move(ev.media);
  r.statuses = std::move(ev.statuses);
  r.sent = c.output()->size() > kHandshakeBytes ? c.output()->substr(kHandshakeBytes) : "";
  r.bytes_received = c.bytes_received();
  return r;
}

void CheckSame(const Run& a, const Run& b) {
  CHECK(a.status.code() == b.status.code());
  CHECK(a.ready == b.ready);
  CHECK(SameMessages(a.media, b.media));
  CHECK(a.statuses == b.statuses);
  CHECK(a.sent == b.sent);
  CHECK(a.bytes_received == b.bytes_received);
}

std::vector<std::string> SentCommands(const std::string& sent) {
  Fed f = FeedWhole(sent);
  REQUIRE(f.status.ok());
  std::vector<std::string> names;
  for (const Message& m : f.messages) {
    if (m.type == kMsgAmf0Command) names.push_back(CommandName(m));
  }
  return names;
}

// Every offset in the handshake and command phase, every 97th after it, and byte by byte.
void CheckSplits(bool publish, std::string_view data, const Run& whole) {
  for (size_t k = 0; k <= data.size(); k += k < 5000 ? 1 : 97) {
    CAPTURE(k);
    CheckSame(Feed(publish, {data.substr(0, k), data.substr(k)}), whole);
  }
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < data.size(); ++i) bytes.push_back(data.substr(i, 1));
  CheckSame(Feed(publish, bytes), whole);
}

TEST_CASE("fixture: nginx-rtmp's answers to ffmpeg's play") {
  const std::string s2c = ReadFixture("ffmpeg-play.s2c.bin");
  // What the client should deliver, read independently: audio, video, and data other than
  // |RtmpSampleAccess and onStatus (nginx-rtmp sends NetStream.Play.Start before any media).
  Fed f = FeedWhole(std::string_view(s2c).substr(kHandshakeBytes));
  REQUIRE(f.status.ok());
  std::vector<Message> want;
  int audio = 0, video = 0;
  for (const Message& m : f.messages) {
    const std::string name = CommandName(m);
    if (m.type == kMsgAudio || m.type == kMsgVideo ||
        (m.type == kMsgAmf0Data && name != "|RtmpSampleAccess" && name != "onStatus")) {
      want.push_back(m);
      audio += m.type == kMsgAudio;
      video += m.type == kMsgVideo;
    }
  }
  REQUIRE(audio > 0);
  REQUIRE(video > 0);

  const Run whole = Feed(false, {s2c});
  REQUIRE(whole.status.ok());
  CHECK(whole.ready == 1);
  CHECK(SameMessages(whole.media, want));
  CHECK(whole.media.front().type == kMsgAmf0Data);  // onMetaData first
  CHECK(CommandName(whole.media.front()) == "onMetaData");
  CHECK(whole.statuses == std::vector<std::string>{"status NetStream.Play.Start"});
  CHECK(SentCommands(whole.sent) == std::vector<std::string>{"connect", "createStream", "play"});
  CHECK(whole.bytes_received == s2c.size());
  CheckSplits(false, s2c, whole);
}

TEST_CASE("fixture: nginx-rtmp's answers to ffmpeg's publish") {
  const std::string s2c = ReadFixture("ffmpeg-publish.s2c.bin");
  const Run whole = Feed(true, {s2c});
  REQUIRE(whole.status.ok());
  CHECK(whole.ready == 1);
  CHECK(whole.media.empty());
  CHECK(whole.statuses ==
        std::vector<std::string>{"status NetStream.Publish.Start", "status NetStream.Unpublish.Success"});
  CHECK(SentCommands(whole.sent) ==
        std::vector<std::string>{"connect", "releaseStream", "FCPublish", "createStream", "publish"});
  CheckSplits(true, s2c, whole);
}

// Hand-built server side, after nginx's real S0+S1+S2.
std::string ServerHandshake() { return ReadFixture("ffmpeg-play.s2c.bin").substr(0, kHandshakeBytes); }

std::string Command(std::vector<Amf0Value> v, uint32_t stream_id = 0) {
  std::string out;
  ChunkWriter::Encode(kCsidCommand, kMsgAmf0Command, 0, stream_id, EncodeAmf0All(v), kDefaultChunkSize, &out);
  return out;
}

Amf0Value Info(const char* level, const char* code) {
  return Amf0Value::Object({{"level", Amf0Value::String(level)},
                            {"code", Amf0Value::String(code)},
                            {"description", Amf0Value::String("d")}});
}

std::string ConnectResult() {
  return Command({Amf0Value::String("_result"), Amf0Value::Number(1), Amf0Value::Null(),
                  Info("status", "NetConnection.Connect.Success")});
}

// Brings a play client to ready: connect _result (txn 1), createStream _result (txn 2), Play.Start.
std::string PlayStart() {
  return ServerHandshake() + ConnectResult() +
         Command({Amf0Value::String("_result"), Amf0Value::Number(2), Amf0Value::Null(), Amf0Value::Number(1)}) +
         Command({Amf0Value::String("onStatus"), Amf0Value::Number(0), Amf0Value::Null(),
                  Info("status", "NetStream.Play.Start")},
                 1);
}

TEST_CASE("answers PingRequest with PingResponse; acknowledges at half the server's window") {
  Events ev;
  ClientSession c(&ev, Options(false));
  c.Start();
  REQUIRE(c.Consume(ServerHandshake()).ok());
  c.output()->clear();
  std::string ping;
  ChunkWriter::UserControl(kUcPingRequest, 0x01020304, &ping);
  REQUIRE(c.Consume(ping).ok());
  std::string pong;
  ChunkWriter::UserControl(kUcPingResponse, 0x01020304, &pong);
  CHECK(*c.output() == pong);

  c.output()->clear();
  std::string window;
  ChunkWriter::WindowAckSize(1000, &window);
  REQUIRE(c.Consume(window).ok());
  CHECK(c.output()->empty());  // 16 bytes: under half the window
  std::string audio;           // dropped (not playing yet), but counted
  ChunkWriter::Encode(kCsidAudio, kMsgAudio, 0, 1, std::string(600, 'a'), kDefaultChunkSize, &audio);
  REQUIRE(c.Consume(audio).ok());
  std::string ack;
  ChunkWriter::Ack(static_cast<uint32_t>(c.bytes_received() - kHandshakeBytes), &ack);  // chunk bytes
  CHECK(*c.output() == ack);
  c.output()->clear();
  REQUIRE(c.Consume(audio.substr(0, 400)).ok());
  CHECK(c.output()->empty());
  CHECK(ev.media.empty());
}

TEST_CASE("failed and malformed answers are errors, and final") {
  struct Case {
    bool publish;
    std::string after_handshake;
    std::string want;
  };
  std::string agg;  // an aggregate whose one tag claims more bytes than there are
  ChunkWriter::Encode(kCsidVideo, kMsgAggregate, 0, 1, Bytes({9, 0, 0, 50, 0, 0, 0, 0, 0, 0, 0, 1, 2}),
                      kDefaultChunkSize, &agg);
  const std::string play_start = PlayStart().substr(kHandshakeBytes);
  for (const Case& c : {
           Case{false,
                Command({Amf0Value::String("_error"), Amf0Value::Number(1), Amf0Value::Null(),
                         Info("error", "NetConnection.Connect.Rejected")}),
                "NetConnection.Connect.Rejected: d"},
           Case{false,
                ConnectResult() + Command({Amf0Value::String("_error"), Amf0Value::Number(2), Amf0Value::Null(),
                                           Info("error", "NetConnection.Call.Failed")}),
                "NetConnection.Call.Failed"},
           Case{true,
                ConnectResult() +
                    Command({Amf0Value::String("_result"), Amf0Value::Number(4), Amf0Value::Null(), Amf0Value::Null()}),
                "stream id"},
           Case{false, play_start + agg, "aggregate"},
           Case{false, Header(3, 5) + "xyz", "fmt 3"},
           Case{false, Header(0, 3, 0, 3, kMsgAmf0Command, 0) + Bytes({0xFF, 0xFF, 0xFF}), "command"},
           Case{false, Header(0, 3, 0, 3, kMsgAmf0Data, 0) + Bytes({0x02, 0x00, 0x09}), "data message"},
       }) {
    CAPTURE(c.want);
    Events ev;
    ClientSession s(&ev, Options(c.publish));
    s.Start();
    base::Status st = s.Consume(ServerHandshake() + c.after_handshake);
    REQUIRE_FALSE(st.ok());
    CHECK(st.message().find(c.want) != std::string::npos);
    CHECK_FALSE(s.ready());
    CHECK(s.Consume(ConnectResult()).message() == st.message());
  }
  Events ev;
  ClientSession s(&ev, Options(false));
  s.Start();
  CHECK(s.Consume(Bytes({6})).code() == Code::kUnsupported);  // S0 other than 3
}

TEST_CASE("random garbage after the handshake and after ready: an error or a wait, never a crash") {
  std::mt19937 rng(7);
  const std::string prefixes[] = {ServerHandshake(), PlayStart()};
  int errors = 0;
  for (int i = 0; i < 400; ++i) {
    std::string garbage(rng() % 3000, '\0');
    for (char& ch : garbage) ch = static_cast<char>(rng());
    Events ev;
    ClientSession s(&ev, Options(i % 3 == 0));
    s.Start();
    base::Status st = s.Consume(prefixes[i % 2]);
    REQUIRE(st.ok());
    st = s.Consume(garbage);
    errors += !st.ok();
    if (!st.ok()) CHECK(s.Consume("more").message() == st.message());
  }
  CHECK(errors > 100);  // random bytes are mostly protocol violations
}

}  // namespace
}  // namespace cdn::rtmp
