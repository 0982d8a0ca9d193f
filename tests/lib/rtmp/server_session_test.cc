// Tests for lib/rtmp/server_session: real ffmpeg and librtmp sessions (fixtures) driven through a
// ServerSession with a fake delegate, whole and split at many offsets; the answers decoded back
// with ChunkReader; accept, reject and deferred decisions; aggregates, AMF3 wrappers, acks and
// pings; and bad input (garbage, malformed AMF, unknown or early commands, caps): an error
// Status, never a crash.
#include "lib/rtmp/server_session.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "tests/lib/rtmp/rtmp_test_util.h"

namespace cdn::rtmp {
namespace {

using namespace testing;  // NOLINT: test helpers
using Code = base::Status::Code;
using namespace std::string_literals;  // NOLINT: byte strings with NULs

class FakeDelegate : public ServerSession::Delegate {
 public:
  enum class Answer { kAccept, kReject, kDefer };

  ServerSession* session = nullptr;
  Answer connect = Answer::kAccept, publish = Answer::kAccept, play = Answer::kAccept;
  std::vector<ConnectInfo> connects;
  std::vector<StreamRequest> publishes, plays;
  std::vector<Message> media;
  int stops = 0;
  std::vector<std::string> events;  // in order: "connect", "publish room", "play room", "media 9", "stop"

  void OnConnect(const ConnectInfo& info) override {
    connects.push_back(info);
    events.push_back("connect");
    if (connect == Answer::kAccept) session->AcceptConnect();
    if (connect == Answer::kReject) session->RejectConnect("go away");
  }
  void OnPublish(const StreamRequest& req) override {
    publishes.push_back(req);
    events.push_back("publish " + req.name);
    if (publish == Answer::kAccept) session->AcceptPublish();
    if (publish == Answer::kReject) session->RejectPublish("NetStream.Publish.BadName", "taken");
  }
  void OnPlay(const StreamRequest& req) override {
    plays.push_back(req);
    events.push_back("play " + req.name);
    if (play == Answer::kAccept) session->AcceptPlay();
    if (play == Answer::kReject) session->RejectPlay("NetStream.Play.StreamNotFound", "no such stream");
  }
  void OnMedia(Message&& msg) override {
    events.push_back("media " + std::to_string(msg.type));
    media.push_back(std::move(msg));
  }
  void OnStop() override {
    ++stops;
    events.push_back("stop");
  }
};

struct Harness {
  explicit Harness(ServerSession::Options options = {}) : session(&delegate, options) { delegate.session = &session; }
  FakeDelegate delegate;
  ServerSession session;
  std::string out;  // everything the session wrote, drained after each Consume
  base::Status status;

  base::Status Feed(std::string_view in) {
    status = session.Consume(in);
    out += *session.output();
    session.output()->clear();
    return status;
  }
  base::Status FeedPieces(std::string_view data, const std::vector<size_t>& cuts) {
    size_t prev = 0;
    for (size_t c : cuts) {
      if (!Feed(data.substr(prev, c - prev)).ok()) return status;
      prev = c;
    }
    return Feed(data.substr(prev));
  }
  void Drain() {
    out += *session.output();
    session.output()->clear();
  }
  // The answers after S0 S1 S2, decoded.
  std::vector<Message> Replies() {
    Drain();
    REQUIRE(out.size() >= kHandshakeBytes);
    CHECK(out[0] == 3);
    Fed f = FeedWhole(std::string_view(out).substr(kHandshakeBytes));
    REQUIRE_MESSAGE(f.status.ok(), f.status.ToString());
    return f.messages;
  }
};

// The C0 C1 C2 ffmpeg sent (any valid client handshake works: the server does not check C2).
std::string ClientHandshakeBytes() { return ReadFixture("ffmpeg-publish.c2s.bin").substr(0, kHandshakeBytes); }

std::string Command(std::vector<Amf0Value> values, uint32_t stream_id = 0, uint32_t csid = kCsidCommand) {
  std::string out;
  ChunkWriter::Encode(csid, kMsgAmf0Command, 0, stream_id, EncodeAmf0All(values), kDefaultChunkSize, &out);
  return out;
}

std::string Connect(const std::string& app, const std::string& tc_url) {
  Amf0Properties p;
  p.emplace_back("app", Amf0Value::String(app));
  p.emplace_back("flashVer", Amf0Value::String("FMLE/3.0"));
  p.emplace_back("tcUrl", Amf0Value::String(tc_url));
  return Command({Amf0Value::String("connect"), Amf0Value::Number(1), Amf0Value::Object(std::move(p))});
}

std::string Call(const std::string& name, double txn, std::vector<Amf0Value> args = {}, uint32_t stream_id = 0) {
  std::vector<Amf0Value> v = {Amf0Value::String(name), Amf0Value::Number(txn), Amf0Value::Null()};
  for (auto& a : args) v.push_back(std::move(a));
  return Command(std::move(v), stream_id);
}

std::string Publish(const std::string& name) {
  return Call("publish", 5, {Amf0Value::String(name), Amf0Value::String("live")}, 1);
}

std::string Media(uint8_t type, uint32_t ts, const std::string& payload, uint32_t csid = 6) {
  std::string out;
  ChunkWriter::Encode(csid, type, ts, 1, payload, kDefaultChunkSize, &out);
  return out;
}

// A session connected and publishing "room", from hand-built commands.
std::string PublishPrelude() {
  return ClientHandshakeBytes() + Connect("live", "rtmp://example.com/live") + Call("createStream", 2) +
         Publish("room");
}

struct Reply {
  std::string name;
  double txn = 0;
  uint32_t stream_id = 0;
  std::vector<Amf0Value> args;  // after name and txn
};

std::vector<Reply> CommandsOf(const std::vector<Message>& msgs) {
  std::vector<Reply> out;
  for (const auto& m : msgs) {
    if (m.type != kMsgAmf0Command) continue;
    auto v = Amf0Of(m);
    REQUIRE(v.size() >= 2);
    out.push_back({v[0].string, v[1].number, m.stream_id, std::vector<Amf0Value>(v.begin() + 2, v.end())});
  }
  return out;
}

// "name code" for each command reply: "_result NetConnection.Connect.Success", "_result", ...
std::vector<std::string> Summary(const std::vector<Message>& msgs) {
  std::vector<std::string> out;
  for (const auto& r : CommandsOf(msgs)) {
    std::string s = r.name;
    if (r.args.size() >= 2 && r.args[1].IsObjectLike()) s += " " + r.args[1].GetString("code");
    out.push_back(s);
  }
  return out;
}

bool HasUserControl(const std::vector<Message>& msgs, uint16_t event, uint32_t value) {
  std::string p;
  base::PutU16(&p, event);
  base::PutU32(&p, value);
  for (const auto& m : msgs) {
    if (m.type == kMsgUserControl && m.payload == p) return true;
  }
  return false;
}

size_t CountFixtureMedia(const char* name) {
  Fed f = FeedWhole(FixtureChunks(name));
  REQUIRE(f.status.ok());
  return std::count_if(f.messages.begin(), f.messages.end(),
                       [](const Message& m) { return m.type == kMsgAudio || m.type == kMsgVideo; });
}

// ---- Real sessions. ----

TEST_CASE("ffmpeg publishing: connect, publish, metadata, media, FCUnpublish") {
  const std::string data = ReadFixture("ffmpeg-publish.c2s.bin");
  Harness h;
  REQUIRE_MESSAGE(h.Feed(data).ok(), h.status.ToString());
  const FakeDelegate& d = h.delegate;

  REQUIRE(d.connects.size() == 1);
  const ConnectInfo& c = d.connects[0];
  CHECK(c.app == "live");
  CHECK(c.tc_url == "rtmp://127.0.0.1:19397/live");
  CHECK(c.host == "127.0.0.1");
  CHECK(c.vhost == "127.0.0.1");
  CHECK(c.query.empty());
  CHECK(c.flash_ver == "FMLE/3.0 (compatible; Lavf59.27.100)");
  CHECK(h.session.connected());

  REQUIRE(d.publishes.size() == 1);
  CHECK(d.publishes[0].name == "room");
  CHECK(d.publishes[0].raw == "room");
  CHECK(d.publishes[0].publish_type == "live");

  // Media: onMetaData (unwrapped from @setDataFrame) first, then every audio and video message.
  REQUIRE(d.media.size() == CountFixtureMedia("ffmpeg-publish.c2s.bin") + 1);
  const Message& meta = d.media[0];
  CHECK(meta.type == kMsgAmf0Data);
  CHECK(meta.payload.substr(0, 13) == std::string("\x02\x00\x0aonMetaData", 13));
  auto mv = Amf0Of(meta);
  REQUIRE(mv.size() == 2);
  CHECK(mv[0].string == "onMetaData");
  CHECK(mv[1].type == Amf0Value::Type::kEcmaArray);
  CHECK(mv[1].GetNumber("width") == 160);
  CHECK(mv[1].GetString("encoder") == "Lavf59.27.100");
  CHECK(d.media[1].type == kMsgVideo);
  CHECK(d.media[1].payload.substr(0, 2) == Bytes({0x17, 0x00}));
  uint32_t last_video = 0;
  for (const auto& m : d.media) {
    if (m.type != kMsgVideo) continue;
    CHECK(m.timestamp >= last_video);
    last_video = m.timestamp;
  }
  CHECK(last_video > 3500);

  // FCUnpublish stops the stream once; the deleteStream after it changes nothing.
  CHECK(d.stops == 1);
  REQUIRE(d.events.size() >= 4);
  CHECK(d.events[0] == "connect");
  CHECK(d.events[1] == "publish room");
  CHECK(d.events.back() == "stop");
  CHECK(h.session.role() == ServerSession::Role::kNone);

  // What the server said.
  auto replies = h.Replies();
  REQUIRE(replies.size() >= 3);
  CHECK(replies[0].type == kMsgWindowAckSize);
  CHECK(replies[1].type == kMsgSetPeerBandwidth);
  CHECK(replies[2].type == kMsgSetChunkSize);
  CHECK(replies[2].payload == U32(kOutChunkSize));
  auto cmds = CommandsOf(replies);
  REQUIRE(!cmds.empty());
  CHECK(cmds[0].name == "_result");
  CHECK(cmds[0].txn == 1);
  REQUIRE(cmds[0].args.size() == 2);
  CHECK(cmds[0].args[1].GetString("code") == "NetConnection.Connect.Success");
  CHECK(cmds[0].args[1].GetString("level") == "status");
  auto create = std::find_if(cmds.begin(), cmds.end(), [](const Reply& r) { return r.txn == 4; });
  REQUIRE(create != cmds.end());
  CHECK(create->name == "_result");
  CHECK(create->args.at(1).number == kMediaStreamId);
  CHECK(Summary(replies) == std::vector<std::string>{"_result NetConnection.Connect.Success", "_result", "_result",
                                                     "onFCPublish NetStream.Publish.Start", "_result",
                                                     "onStatus NetStream.Publish.Start", "_result",
                                                     "onStatus NetStream.Unpublish.Success"});
  auto start = std::find_if(cmds.begin(), cmds.end(), [](const Reply& r) { return r.name == "onStatus"; });
  CHECK(start->stream_id == kMediaStreamId);
  CHECK(HasUserControl(replies, kUcStreamBegin, kMediaStreamId));
}

TEST_CASE("ffmpeg publishing, split at many offsets: the same events and answers") {
  const std::string data = ReadFixture("ffmpeg-publish.c2s.bin");
  Harness whole;
  REQUIRE(whole.Feed(data).ok());
  const std::string want_out = whole.out.substr(kHandshakeBytes);  // S1/S2 are random
  // Every offset through the handshake and the commands, then every 89th byte.
  const size_t dense = kHandshakeBytes + 1200;
  for (size_t at = 0; at <= data.size(); at += at < dense ? 1 : 89) {
    Harness h;
    (void)h.FeedPieces(data, {at});
    if (!h.status.ok() || h.delegate.events != whole.delegate.events || h.out.size() != whole.out.size() ||
        h.out.compare(kHandshakeBytes, std::string::npos, want_out) != 0) {
      FAIL("split at " << at << ": " << h.status.ToString());
    }
    // Media is delivered intact, not just counted.
    if (at % 997 == 0) {
      REQUIRE(h.delegate.media.size() == whole.delegate.media.size());
      for (size_t i = 0; i < h.delegate.media.size(); ++i) REQUIRE(SameMessage(h.delegate.media[i], whole.delegate.media[i]));
    }
  }
  Harness bytewise;
  for (size_t i = 0; i < data.size(); ++i) REQUIRE(bytewise.Feed(data.substr(i, 1)).ok());
  CHECK(bytewise.delegate.events == whole.delegate.events);
  CHECK(bytewise.out.substr(kHandshakeBytes) == want_out);
}

TEST_CASE("rejected publish: NetStream.Publish.BadName, and the media that follows is dropped") {
  Harness h;
  h.delegate.publish = FakeDelegate::Answer::kReject;
  REQUIRE(h.Feed(ReadFixture("ffmpeg-publish.c2s.bin")).ok());
  CHECK(h.delegate.publishes.size() == 1);
  CHECK(h.delegate.media.empty());
  CHECK(h.delegate.stops == 0);
  CHECK(h.session.role() == ServerSession::Role::kNone);
  auto cmds = CommandsOf(h.Replies());
  auto bad = std::find_if(cmds.begin(), cmds.end(), [](const Reply& r) { return r.name == "onStatus"; });
  REQUIRE(bad != cmds.end());
  CHECK(bad->stream_id == kMediaStreamId);
  CHECK(bad->args.at(1).GetString("level") == "error");
  CHECK(bad->args.at(1).GetString("code") == "NetStream.Publish.BadName");
  CHECK(bad->args.at(1).GetString("description") == "taken");
  for (const auto& r : cmds) {
    if (r.name == "onStatus") CHECK(r.args.at(1).GetString("code") != "NetStream.Publish.Start");
  }
}

TEST_CASE("rejected connect: _error NetConnection.Connect.Rejected; later commands are refused") {
  Harness h;
  h.delegate.connect = FakeDelegate::Answer::kReject;
  base::Status st = h.Feed(ReadFixture("ffmpeg-publish.c2s.bin"));
  CHECK(st.code() == Code::kInvalid);  // releaseStream before connect
  CHECK(st.message().find("releaseStream") != std::string::npos);
  CHECK(!h.session.connected());
  auto replies = h.Replies();
  auto cmds = CommandsOf(replies);
  REQUIRE(cmds.size() == 1);
  CHECK(cmds[0].name == "_error");
  CHECK(cmds[0].txn == 1);
  CHECK(cmds[0].args.at(1).GetString("code") == "NetConnection.Connect.Rejected");
  CHECK(cmds[0].args.at(1).GetString("description") == "go away");
  CHECK(h.delegate.publishes.empty());
}

TEST_CASE("ffmpeg playing: connect, createStream, getStreamLength, play -> Play.Start") {
  const std::string data = ReadFixture("ffmpeg-play.c2s.bin");
  Harness h;
  REQUIRE_MESSAGE(h.Feed(data).ok(), h.status.ToString());
  REQUIRE(h.delegate.plays.size() == 1);
  const StreamRequest& req = h.delegate.plays[0];
  CHECK(req.name == "room");
  CHECK(req.start == -2000);
  CHECK(req.reset);
  CHECK(h.delegate.connects.at(0).app == "live");
  CHECK(h.session.role() == ServerSession::Role::kPlayer);
  CHECK(h.delegate.stops == 0);
  auto replies = h.Replies();
  CHECK(Summary(replies) == std::vector<std::string>{"_result NetConnection.Connect.Success", "_result", "_result",
                                                     "onStatus NetStream.Play.Reset",
                                                     "onStatus NetStream.Play.Start"});
  auto cmds = CommandsOf(replies);
  CHECK(cmds[2].txn == 3);  // getStreamLength
  CHECK(cmds[2].args.at(1).number == 0);
  CHECK(HasUserControl(replies, kUcStreamBegin, kMediaStreamId));
  CHECK(HasUserControl(replies, kUcStreamIsRecorded, kMediaStreamId));
  auto sample = std::find_if(replies.begin(), replies.end(), [](const Message& m) { return m.type == kMsgAmf0Data; });
  REQUIRE(sample != replies.end());
  CHECK(CommandName(*sample) == "|RtmpSampleAccess");
  CHECK(sample->stream_id == kMediaStreamId);
  // Split everywhere: the same.
  for (size_t at = 0; at <= data.size(); ++at) {
    Harness s;
    (void)s.FeedPieces(data, {at});
    if (!s.status.ok() || s.delegate.events != h.delegate.events ||
        s.out.substr(kHandshakeBytes) != h.out.substr(kHandshakeBytes))
      FAIL("split at " << at);
  }
}

TEST_CASE("librtmp playing: FCSubscribe, play with start and duration, deleteStream stops") {
  const std::string data = ReadFixture("rtmpdump-play.c2s.bin");
  Harness h;
  REQUIRE_MESSAGE(h.Feed(data).ok(), h.status.ToString());
  REQUIRE(h.delegate.plays.size() == 1);
  CHECK(h.delegate.plays[0].name == "room");
  CHECK(h.delegate.plays[0].start == -1000);
  CHECK(h.delegate.plays[0].duration == 1000);
  CHECK(h.delegate.connects.at(0).flash_ver == "LNX 10,0,32,18");
  CHECK(h.delegate.stops == 1);
  CHECK(h.delegate.events == std::vector<std::string>{"connect", "play room", "stop"});
  CHECK(h.session.role() == ServerSession::Role::kNone);
  for (size_t at = 0; at <= data.size(); at += 3) {
    Harness s;
    (void)s.FeedPieces(data, {at, std::min(data.size(), at + 1600)});
    if (!s.status.ok() || s.delegate.events != h.delegate.events) FAIL("split at " << at);
  }
}

TEST_CASE("rejected play: the error onStatus, role stays none") {
  Harness h;
  h.delegate.play = FakeDelegate::Answer::kReject;
  REQUIRE(h.Feed(ReadFixture("ffmpeg-play.c2s.bin")).ok());
  CHECK(h.session.role() == ServerSession::Role::kNone);
  auto s = Summary(h.Replies());
  REQUIRE(!s.empty());
  CHECK(s.back() == "onStatus NetStream.Play.StreamNotFound");
}

TEST_CASE("vhost through a session: tcUrl host, ?vhost= on the tcUrl, the app, the stream name") {
  struct Case {
    std::string app, tc_url, stream;
    std::string want_connect_vhost, want_vhost, want_name, want_query;
  };
  const Case cases[] = {
      {"live", "rtmp://Push.Example.com:1935/live", "room", "push.example.com", "push.example.com", "room", ""},
      {"live", "rtmp://10.0.0.1/live?vhost=a.com", "room", "a.com", "a.com", "room", "vhost=a.com"},
      {"live?vhost=b.com", "rtmp://10.0.0.1/live", "room", "b.com", "b.com", "room", "vhost=b.com"},
      {"live", "rtmp://10.0.0.1/live", "room?vhost=C.com&auth_key=k", "10.0.0.1", "c.com", "room",
       "vhost=C.com&auth_key=k"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.tc_url);
    CAPTURE(c.stream);
    Harness h;
    REQUIRE(h.Feed(ClientHandshakeBytes() + Connect(c.app, c.tc_url) + Call("createStream", 2) + Publish(c.stream))
                .ok());
    REQUIRE(h.delegate.connects.size() == 1);
    CHECK(h.delegate.connects[0].vhost == c.want_connect_vhost);
    CHECK(h.delegate.connects[0].app == "live");
    REQUIRE(h.delegate.publishes.size() == 1);
    CHECK(h.delegate.publishes[0].name == c.want_name);
    CHECK(h.delegate.publishes[0].query == c.want_query);
    CHECK(h.session.connect_info().vhost == c.want_vhost);
    CHECK(h.session.stream_request().name == c.want_name);
  }
}

// ---- Deferred decisions, hand-built sessions. ----

TEST_CASE("decisions may come later: nothing is answered until Accept*") {
  Harness h;
  h.delegate.connect = FakeDelegate::Answer::kDefer;
  h.delegate.publish = FakeDelegate::Answer::kDefer;
  REQUIRE(h.Feed(ClientHandshakeBytes() + Connect("live", "rtmp://example.com/live")).ok());
  CHECK(h.Replies().empty());
  CHECK(!h.session.connected());
  h.session.AcceptConnect();
  CHECK(h.session.connected());
  CHECK(Summary(h.Replies()) == std::vector<std::string>{"_result NetConnection.Connect.Success"});

  REQUIRE(h.Feed(Call("createStream", 2) + Publish("room")).ok());
  CHECK(h.delegate.publishes.size() == 1);
  // Media before the decision is not delivered; a second publish meanwhile is an error.
  REQUIRE(h.Feed(Media(kMsgVideo, 0, Bytes({0x17, 1, 0, 0, 0}))).ok());
  CHECK(h.delegate.media.empty());
  h.session.AcceptPublish();
  CHECK(h.session.role() == ServerSession::Role::kPublisher);
  REQUIRE(h.Feed(Media(kMsgVideo, 40, Bytes({0x27, 1, 0, 0, 0}))).ok());
  REQUIRE(h.delegate.media.size() == 1);
  CHECK(h.delegate.media[0].timestamp == 40);
  CHECK(Summary(h.Replies()).back() == "onStatus NetStream.Publish.Start");
  CHECK(h.Feed(Publish("again")).code() == Code::kInvalid);
}

TEST_CASE("deleteStream and closeStream stop a publisher too; Unpublish.Success goes out") {
  for (const char* name : {"deleteStream", "closeStream"}) {
    CAPTURE(name);
    Harness h;
    REQUIRE(h.Feed(PublishPrelude()).ok());
    REQUIRE(h.Feed(Call(name, 0, {Amf0Value::Number(1)})).ok());
    CHECK(h.delegate.stops == 1);
    CHECK(Summary(h.Replies()).back() == "onStatus NetStream.Unpublish.Success");
    // The connection may publish again.
    REQUIRE(h.Feed(Publish("room2")).ok());
    CHECK(h.delegate.publishes.back().name == "room2");
  }
}

TEST_CASE("Notify(Un)Republished tell a player with user control events and onStatus") {
  Harness h;
  REQUIRE(h.Feed(ReadFixture("ffmpeg-play.c2s.bin")).ok());
  h.Drain();
  const size_t before = h.Replies().size();
  h.session.NotifyUnpublished();
  h.session.NotifyRepublished();
  auto replies = h.Replies();
  std::vector<Message> fresh(replies.begin() + before, replies.end());
  CHECK(HasUserControl(fresh, kUcStreamEof, kMediaStreamId));
  CHECK(HasUserControl(fresh, kUcStreamBegin, kMediaStreamId));
  CHECK(Summary(fresh) == std::vector<std::string>{"onStatus NetStream.Play.UnpublishNotify",
                                                   "onStatus NetStream.Play.PublishNotify"});
}

// ---- Data, aggregates, control. ----

std::string FlvTag(uint8_t type, uint32_t ts, const std::string& body) {
  std::string t;
  base::PutU8(&t, type);
  base::PutU24(&t, static_cast<uint32_t>(body.size()));
  base::PutU24(&t, ts & 0xFFFFFF);
  base::PutU8(&t, static_cast<uint8_t>(ts >> 24));
  base::PutU24(&t, 0);
  t += body;
  base::PutU32(&t, static_cast<uint32_t>(11 + body.size()));
  return t;
}

TEST_CASE("aggregate messages are split into their FLV tags, timestamps rebased") {
  Harness h;
  REQUIRE(h.Feed(PublishPrelude()).ok());
  const std::string meta = EncodeAmf0All({Amf0Value::String("@setDataFrame"), Amf0Value::String("onMetaData"),
                                          Amf0Value::EcmaArray({})});
  std::string agg = FlvTag(kMsgVideo, 1000, Bytes({0x17, 1, 0, 0, 0, 9})) + FlvTag(kMsgAudio, 1040, Bytes({0xAF, 1, 7})) +
                    FlvTag(kMsgAmf0Data, 1040, meta) + FlvTag(99, 1050, "ignored");
  std::string in;
  ChunkWriter::Encode(6, kMsgAggregate, 5000, 1, agg, kDefaultChunkSize, &in);
  REQUIRE_MESSAGE(h.Feed(in).ok(), h.status.ToString());
  REQUIRE(h.delegate.media.size() == 3);
  CHECK(h.delegate.media[0].type == kMsgVideo);
  CHECK(h.delegate.media[0].timestamp == 5000);
  CHECK(h.delegate.media[0].payload == Bytes({0x17, 1, 0, 0, 0, 9}));
  CHECK(h.delegate.media[1].type == kMsgAudio);
  CHECK(h.delegate.media[1].timestamp == 5040);
  CHECK(h.delegate.media[2].type == kMsgAmf0Data);
  CHECK(CommandName(h.delegate.media[2]) == "onMetaData");

  std::string bad;
  ChunkWriter::Encode(6, kMsgAggregate, 0, 1, agg.substr(0, agg.size() - 3), kDefaultChunkSize, &bad);
  CHECK(h.Feed(bad).code() == Code::kInvalid);
}

TEST_CASE("aggregates and data from a non-publisher are ignored") {
  Harness h;
  REQUIRE(h.Feed(ClientHandshakeBytes() + Connect("live", "rtmp://h/live")).ok());
  std::string in;
  ChunkWriter::Encode(6, kMsgAggregate, 0, 1, "garbage", kDefaultChunkSize, &in);
  ChunkWriter::Encode(5, kMsgAmf0Data, 0, 1, "\x02garbage", kDefaultChunkSize, &in);
  ChunkWriter::Encode(6, kMsgVideo, 0, 1, "v", kDefaultChunkSize, &in);
  CHECK(h.Feed(in).ok());
  CHECK(h.delegate.media.empty());
}

TEST_CASE("AMF3 data and command wrappers (types 15 and 17)") {
  Harness h;
  std::string in = ClientHandshakeBytes();
  std::string connect_body = std::string(1, '\0') + EncodeAmf0All({Amf0Value::String("connect"), Amf0Value::Number(1),
                                                     Amf0Value::Object({{"app", Amf0Value::String("live")}})});
  ChunkWriter::Encode(3, kMsgAmf3Command, 0, 0, connect_body, kDefaultChunkSize, &in);
  in += Call("createStream", 2) + Publish("room");
  const std::string meta = EncodeAmf0All({Amf0Value::String("@setDataFrame"), Amf0Value::String("onMetaData"),
                                          Amf0Value::EcmaArray({{"width", Amf0Value::Number(640)}})});
  ChunkWriter::Encode(5, kMsgAmf3Data, 0, 1, std::string(1, '\0') + meta, kDefaultChunkSize, &in);
  ChunkWriter::Encode(5, kMsgAmf3Data, 0, 1, "", kDefaultChunkSize, &in);  // empty: ignored
  REQUIRE_MESSAGE(h.Feed(in).ok(), h.status.ToString());
  CHECK(h.delegate.connects.at(0).app == "live");
  REQUIRE(h.delegate.media.size() == 1);
  CHECK(h.delegate.media[0].type == kMsgAmf0Data);
  auto v = Amf0Of(h.delegate.media[0]);
  CHECK(v.at(0).string == "onMetaData");
  CHECK(v.at(1).GetNumber("width") == 640);

  std::string empty;
  ChunkWriter::Encode(3, kMsgAmf3Command, 0, 0, "", kDefaultChunkSize, &empty);
  CHECK(h.Feed(empty).code() == Code::kInvalid);
}

TEST_CASE("data messages other than @setDataFrame pass through unchanged") {
  Harness h;
  REQUIRE(h.Feed(PublishPrelude()).ok());
  const std::string text = EncodeAmf0All({Amf0Value::String("onTextData"), Amf0Value::Object({})});
  std::string in;
  ChunkWriter::Encode(5, kMsgAmf0Data, 77, 1, text, kDefaultChunkSize, &in);
  REQUIRE(h.Feed(in).ok());
  REQUIRE(h.delegate.media.size() == 1);
  CHECK(h.delegate.media[0].payload == text);
  CHECK(h.delegate.media[0].timestamp == 77);
  std::string bad;
  ChunkWriter::Encode(5, kMsgAmf0Data, 0, 1, "\x02\x00\x09short"s, kDefaultChunkSize, &bad);
  CHECK(h.Feed(bad).code() == Code::kInvalid);
}

TEST_CASE("ping requests are answered; Window Acknowledgement Size makes us ack") {
  Harness h;
  REQUIRE(h.Feed(ClientHandshakeBytes()).ok());
  std::string ping;
  ChunkWriter::UserControl(kUcPingRequest, 0xABCD, &ping);
  REQUIRE(h.Feed(ping).ok());
  CHECK(HasUserControl(h.Replies(), kUcPingResponse, 0xABCD));

  std::string win;
  ChunkWriter::WindowAckSize(100, &win);
  REQUIRE(h.Feed(win).ok());
  for (const auto& m : h.Replies()) CHECK(m.type != kMsgAck);
  std::string ping2;
  for (int i = 0; i < 10; ++i) ChunkWriter::UserControl(kUcPingRequest, i, &ping2);  // 180 bytes
  REQUIRE(h.Feed(ping2).ok());
  auto replies = h.Replies();
  auto ack = std::find_if(replies.begin(), replies.end(), [](const Message& m) { return m.type == kMsgAck; });
  REQUIRE(ack != replies.end());
  CHECK(ack->payload == U32(static_cast<uint32_t>(ping.size() + win.size() + ping2.size())));
  CHECK(h.session.bytes_received() == ping.size() + win.size() + ping2.size());
}

// ---- Bad input: an error, never a crash. ----

TEST_CASE("bad input after the handshake is an error") {
  const std::string hs = ClientHandshakeBytes();
  struct Case {
    const char* what;
    std::string in;
    Code code;
  };
  std::string long_video;
  ChunkWriter::Encode(6, kMsgVideo, 0, 1, std::string(5000, 'v'), kDefaultChunkSize, &long_video);
  std::string malformed_amf;
  ChunkWriter::Encode(3, kMsgAmf0Command, 0, 0, "\x02\x00\x10" "con"s, kDefaultChunkSize, &malformed_amf);
  std::string bad_marker;
  ChunkWriter::Encode(3, kMsgAmf0Command, 0, 0, "\x02\x00\x07" "connect\x00\x3f\xf0\x00\x00\x00\x00\x00\x00\x42"s,
                      kDefaultChunkSize, &bad_marker);
  std::string short_win;
  ChunkWriter::Encode(2, kMsgWindowAckSize, 0, 0, "abc", kDefaultChunkSize, &short_win);
  std::string short_uc;
  ChunkWriter::Encode(2, kMsgUserControl, 0, 0, "a", kDefaultChunkSize, &short_uc);
  std::string short_ping;
  ChunkWriter::Encode(2, kMsgUserControl, 0, 0, Bytes({0, 6, 0}), kDefaultChunkSize, &short_ping);
  const std::string connect = Connect("live", "rtmp://h/live");
  const std::vector<Case> cases = {
      {"garbage", std::string(100, '\xFF'), Code::kInvalid},
      {"chunk size 0", ControlU32(kMsgSetChunkSize, 0), Code::kInvalid},
      {"chunk size over 0xFFFFFF", ControlU32(kMsgSetChunkSize, 0x1000000), Code::kInvalid},
      {"message over the cap", long_video, Code::kTooLarge},
      {"malformed AMF command", malformed_amf, Code::kInvalid},
      {"unknown AMF marker", bad_marker, Code::kUnsupported},
      {"command that is not a string", Command({Amf0Value::Number(1), Amf0Value::Number(1)}), Code::kInvalid},
      {"command name only", Command({Amf0Value::String("connect")}), Code::kInvalid},
      {"command before connect", Call("createStream", 2), Code::kInvalid},
      {"publish before connect", Publish("room"), Code::kInvalid},
      {"connect without an object", Command({Amf0Value::String("connect"), Amf0Value::Number(1)}), Code::kInvalid},
      {"second connect", connect + connect, Code::kInvalid},
      {"publish without a name", connect + Call("publish", 5, {Amf0Value::String("")}), Code::kInvalid},
      {"play without a name", connect + Call("play", 5, {Amf0Value::Number(3)}), Code::kInvalid},
      {"unknown command", connect + Call("fooBar", 9), Code::kUnsupported},
      {"unknown command, txn 0", connect + Call("fooBar", 0), Code::kUnsupported},
      {"play while publishing", PublishPrelude().substr(hs.size()) + Call("play", 6, {Amf0Value::String("x")}),
       Code::kInvalid},
      {"short Window Ack Size", short_win, Code::kInvalid},
      {"short user control", short_uc, Code::kInvalid},
      {"short ping", short_ping, Code::kInvalid},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    ServerSession::Options options;
    options.limits.max_message_size = 4096;
    Harness h(options);
    base::Status st = h.Feed(hs + c.in);
    CHECK(st.code() == c.code);
    // Errors are final.
    base::Status again = h.Feed(connect);
    CHECK(again.code() == c.code);
    CHECK(again.message() == st.message());
    // Split anywhere: the same error.
    const std::string all = hs + c.in;
    for (size_t at = hs.size() - 10; at <= all.size(); ++at) {
      Harness s(options);
      if (s.FeedPieces(all, {at}).code() != c.code) FAIL("split at " << at);
    }
  }
}

TEST_CASE("an unknown command with a transaction id gets _error NetConnection.Call.Failed") {
  Harness h;
  CHECK(h.Feed(ClientHandshakeBytes() + Connect("live", "rtmp://h/live") + Call("fooBar", 9)).code() ==
        Code::kUnsupported);
  auto cmds = CommandsOf(h.Replies());
  REQUIRE(cmds.size() == 2);
  CHECK(cmds[1].name == "_error");
  CHECK(cmds[1].txn == 9);
  CHECK(cmds[1].args.at(1).GetString("code") == "NetConnection.Call.Failed");
}

TEST_CASE("a bad handshake version is an error with context") {
  Harness h;
  std::string hs = ClientHandshakeBytes();
  hs[0] = 6;
  base::Status st = h.Feed(hs);
  CHECK(!st.ok());
  CHECK(st.message().find("handshake") == 0);
}

TEST_CASE("random bytes after the handshake, and mutated real sessions: never a crash") {
  const std::string hs = ClientHandshakeBytes();
  const std::string real = ReadFixture("ffmpeg-publish.c2s.bin");
  std::mt19937 rng(1234);
  int errors = 0;
  for (int round = 0; round < 300; ++round) {
    std::string junk(1 + rng() % 400, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    Harness h;
    errors += !h.Feed(hs + junk).ok();
  }
  CHECK(errors > 150);  // most garbage is caught at once; the rest waits for more bytes
  for (int round = 0; round < 100; ++round) {
    std::string m = real.substr(0, kHandshakeBytes + 8000);
    for (int k = 0; k < 6; ++k) m[kHandshakeBytes + rng() % 8000] = static_cast<char>(rng());
    Harness h;
    (void)h.Feed(m);
  }
}

}  // namespace
}  // namespace cdn::rtmp
