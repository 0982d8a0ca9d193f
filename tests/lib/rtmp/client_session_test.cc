// Tests for lib/rtmp/client_session: our client against our ServerSession in memory (publish,
// play, rejections, pumped whole, in small steps and byte by byte; the recorded server stream
// replayed split at every offset), nginx-rtmp's real answers to ffmpeg (fixtures) fed to a
// client, the exact commands the client sends, acks, pings, and garbage.
#include "lib/rtmp/client_session.h"

#include <doctest/doctest.h>

#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "lib/rtmp/server_session.h"
#include "tests/lib/rtmp/rtmp_test_util.h"

namespace cdn::rtmp {
namespace {

using namespace testing;  // NOLINT: test helpers
using Code = base::Status::Code;

ClientSession::Options ClientOptions(bool publish) {
  ClientSession::Options o;
  o.tc_url = "rtmp://127.0.0.1:1935/live?vhost=push.example.com";
  o.app = "live";
  o.stream = "room?vhost=push.example.com&auth_key=k1";
  o.publish = publish;
  return o;
}

struct ClientEvents : ClientSession::Delegate {
  int ready = 0;
  std::vector<Message> media;
  std::vector<std::string> statuses;  // "level code"
  void OnReady() override { ++ready; }
  void OnMedia(Message&& m) override { media.push_back(std::move(m)); }
  void OnStatus(std::string_view level, std::string_view code, std::string_view) override {
    statuses.push_back(std::string(level) + " " + std::string(code));
  }
};

enum class Decision { kAccept, kReject };

// A ServerSession and the delegate that decides for it, at once, from the fields below.
struct FakeServer : ServerSession::Delegate {
  explicit FakeServer(ServerSession::Options o = {}) : session(this, o) {}
  ServerSession session;
  Decision connect = Decision::kAccept, publish = Decision::kAccept, play = Decision::kAccept;
  std::string reject_code = "NetStream.Publish.BadName";
  std::optional<ConnectInfo> connect_info;
  std::optional<StreamRequest> published, played;
  std::vector<Message> media;
  int stops = 0;

  void OnConnect(const ConnectInfo& info) override {
    connect_info = info;
    if (connect == Decision::kAccept)
      session.AcceptConnect();
    else
      session.RejectConnect("not here");
  }
  void OnPublish(const StreamRequest& req) override {
    published = req;
    if (publish == Decision::kAccept)
      session.AcceptPublish();
    else
      session.RejectPublish(reject_code, "no such name");
  }
  void OnPlay(const StreamRequest& req) override {
    played = req;
    if (play == Decision::kAccept)
      session.AcceptPlay();
    else
      session.RejectPlay(reject_code, "no such stream");
  }
  void OnMedia(Message&& m) override { media.push_back(std::move(m)); }
  void OnStop() override { ++stops; }
};

struct Pumped {
  base::Status client, server;
  std::string c2s, s2c;  // every byte that went each way
};

// Feeds `data` to `consume` `step` bytes at a time (0: all at once), stopping at an error.
template <typename F>
base::Status FeedSteps(std::string_view data, size_t step, F consume) {
  if (step == 0) step = data.size() ? data.size() : 1;
  for (size_t i = 0; i < data.size(); i += step) {
    base::Status st = consume(data.substr(i, step));
    if (!st.ok()) return st;
  }
  return base::Status::Ok();
}

// Moves bytes both ways until neither side has anything to say or one side fails.
void Pump(ClientSession* c, FakeServer* s, size_t step, Pumped* p) {
  for (int round = 0; round < 100 && p->client.ok() && p->server.ok(); ++round) {
    std::string c2s, s2c;
    c2s.swap(*c->output());
    s2c.swap(*s->session.output());
    if (c2s.empty() && s2c.empty()) return;
    p->c2s += c2s;
    p->s2c += s2c;
    p->server = FeedSteps(c2s, step, [&](std::string_view d) { return s->session.Consume(d); });
    p->client = FeedSteps(s2c, step, [&](std::string_view d) { return c->Consume(d); });
  }
}

// The messages of a client's byte stream, after C0+C1+C2.
std::vector<Message> SentMessages(const std::string& c2s) {
  Fed f = FeedWhole(std::string_view(c2s).substr(kHandshakeBytes));
  REQUIRE(f.status.ok());
  return f.messages;
}

std::vector<std::string> CommandNames(const std::vector<Message>& ms) {
  std::vector<std::string> names;
  for (const Message& m : ms) {
    if (m.type == kMsgAmf0Command) names.push_back(CommandName(m));
  }
  return names;
}

std::string Payload(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i * 7);
  return s;
}

constexpr size_t kSteps[] = {0, 1, 2, 3, 7, 128, 1000};

TEST_CASE("publish to our ServerSession: commands, ready, media identical, stop") {
  for (size_t step : kSteps) {
    CAPTURE(step);
    ClientEvents ev;
    FakeServer server;
    ClientSession client(&ev, ClientOptions(true));
    client.Start();
    Pumped p;
    Pump(&client, &server, step, &p);
    REQUIRE(p.client.ok());
    REQUIRE(p.server.ok());
    REQUIRE(server.connect_info.has_value());
    CHECK(server.connect_info->app == "live");
    CHECK(server.connect_info->vhost == "push.example.com");
    CHECK(server.connect_info->flash_ver == "LNX 9,0,124,2");
    REQUIRE(server.published.has_value());
    CHECK(server.published->name == "room");
    CHECK(server.published->query == "vhost=push.example.com&auth_key=k1");
    CHECK(server.published->publish_type == "live");
    CHECK(ev.ready == 1);
    CHECK(client.ready());
    CHECK(client.stream_id() == kMediaStreamId);

    const std::string meta =
        EncodeAmf0All({Amf0Value::String("onMetaData"), Amf0Value::EcmaArray({{"width", Amf0Value::Number(640)}})});
    std::vector<Message> sent = {{kMsgVideo, 0, 1, kCsidVideo, Payload(10000, 'v')},
                                 {kMsgAudio, 23, 1, kCsidAudio, Payload(300, 'a')},
                                 {kMsgAmf0Data, 40, 1, kCsidData, meta},
                                 {kMsgVideo, 0x1000000 + 5, 1, kCsidVideo, Payload(5000, 'x')}};
    for (const Message& m : sent) client.SendMedia(m.type, m.timestamp, m.payload);
    Pump(&client, &server, step, &p);
    REQUIRE(p.server.ok());
    CHECK(SameMessages(server.media, sent));

    client.Stop();
    CHECK_FALSE(client.ready());
    Pump(&client, &server, step, &p);
    CHECK(p.client.ok());
    CHECK(server.stops == 1);
    CHECK(CommandNames(SentMessages(p.c2s)) == std::vector<std::string>{"connect", "releaseStream", "FCPublish",
                                                                        "createStream", "publish", "FCUnpublish",
                                                                        "deleteStream"});
    client.SendMedia(kMsgAudio, 50, "late");  // dropped: stopped
    CHECK(client.output()->empty());
  }
}

TEST_CASE("publish: what the client sends, field by field") {
  ClientEvents ev;
  FakeServer server;
  ClientSession client(&ev, ClientOptions(true));
  client.Start();
  Pumped p;
  Pump(&client, &server, 0, &p);
  std::vector<Message> ms = SentMessages(p.c2s);
  REQUIRE(ms.size() >= 6);
  CHECK(ms[0].type == kMsgSetChunkSize);
  CHECK(ms[0].payload == U32(4096));
  std::vector<Amf0Value> connect = Amf0Of(ms[1]);
  REQUIRE(connect.size() == 3);
  CHECK(connect[1] == Amf0Value::Number(1));
  const Amf0Value& o = connect[2];
  CHECK(o.GetString("app") == "live");
  CHECK(o.GetString("type") == "nonprivate");
  CHECK(o.GetString("tcUrl") == "rtmp://127.0.0.1:1935/live?vhost=push.example.com");
  CHECK(o.GetNumber("capabilities") == 15);
  CHECK(o.GetNumber("audioCodecs") == 4071);
  CHECK(o.GetNumber("videoCodecs") == 252);
  CHECK(o.GetNumber("videoFunction") == 1);
  REQUIRE(o.Get("objectEncoding") != nullptr);
  CHECK(o.GetNumber("objectEncoding", -1) == 0);
  REQUIRE(o.Get("fpad") != nullptr);
  CHECK(*o.Get("fpad") == Amf0Value::Boolean(false));
  std::vector<Amf0Value> publish = Amf0Of(ms[5]);
  REQUIRE(publish.size() == 5);
  CHECK(publish[0].string == "publish");
  CHECK(publish[3].string == "room?vhost=push.example.com&auth_key=k1");
  CHECK(publish[4].string == "live");
  CHECK(ms[5].stream_id == kMediaStreamId);
}

TEST_CASE("play from our ServerSession: ready, media as written, aggregates split, stop") {
  for (size_t step : kSteps) {
    CAPTURE(step);
    ClientEvents ev;
    FakeServer server;
    ClientSession client(&ev, ClientOptions(false));
    client.Start();
    Pumped p;
    Pump(&client, &server, step, &p);
    REQUIRE(p.client.ok());
    REQUIRE(server.played.has_value());
    CHECK(server.played->name == "room");
    CHECK(server.played->start == -1000);
    CHECK(ev.ready == 1);
    CHECK(ev.media.empty());  // |RtmpSampleAccess is not media
    CHECK(ev.statuses == std::vector<std::string>{"status NetStream.Play.Reset", "status NetStream.Play.Start"});

    std::vector<Message> want;
    for (uint32_t i = 0; i < 5; ++i) {
      Message m{i % 2 ? kMsgAudio : kMsgVideo, 1000 + 40 * i, 1, i % 2 ? kCsidAudio : kCsidVideo,
                Payload(i * 3000 + 1, char('a' + i))};
      ChunkWriter::Encode(m.csid, m.type, m.timestamp, 1, m.payload, kOutChunkSize, server.session.output());
      want.push_back(m);
    }
    // An aggregate (type 22) of two FLV tags at 500 and 540: rebased on the aggregate's 2000.
    std::string agg;
    const std::vector<std::tuple<uint8_t, uint32_t, std::string>> tags = {{kMsgVideo, 500, "v1"},
                                                                          {kMsgAudio, 540, "a1"}};
    for (const auto& [type, ts, body] : tags) {
      base::PutU8(&agg, type);
      base::PutU24(&agg, uint32_t(body.size()));
      base::PutU24(&agg, ts);
      base::PutU8(&agg, 0);
      base::PutU24(&agg, 0);
      agg += body;
      base::PutU32(&agg, uint32_t(11 + body.size()));
    }
    ChunkWriter::Encode(kCsidVideo, kMsgAggregate, 2000, 1, agg, kOutChunkSize, server.session.output());
    want.push_back({kMsgVideo, 2000, 1, kCsidVideo, "v1"});
    want.push_back({kMsgAudio, 2040, 1, kCsidVideo, "a1"});
    Pump(&client, &server, step, &p);
    REQUIRE(p.client.ok());
    CHECK(SameMessages(ev.media, want));

    client.Stop();
    Pump(&client, &server, step, &p);
    CHECK(server.stops == 1);
    std::vector<Message> ms = SentMessages(p.c2s);
    CHECK(CommandNames(ms) == std::vector<std::string>{"connect", "createStream", "play", "deleteStream"});
    // Set Buffer Length (7.1.7 event 3): stream id 1, 1000 ms.
    bool buffer_length = false;
    for (const Message& m : ms) {
      if (m.type == kMsgUserControl && m.payload == Bytes({0, 3}) + U32(1) + U32(1000)) buffer_length = true;
    }
    CHECK(buffer_length);
  }
}

TEST_CASE("rejections end the session with the server's code") {
  struct Case {
    bool publish;
    Decision connect, decide;
    std::string code, want;
  };
  for (const Case& c : {Case{true, Decision::kReject, Decision::kAccept, "", "NetConnection.Connect.Rejected"},
                        Case{false, Decision::kReject, Decision::kAccept, "", "NetConnection.Connect.Rejected"},
                        Case{true, Decision::kAccept, Decision::kReject, "NetStream.Publish.BadName",
                             "NetStream.Publish.BadName: no such name"},
                        Case{false, Decision::kAccept, Decision::kReject, "NetStream.Play.StreamNotFound",
                             "NetStream.Play.StreamNotFound: no such stream"}}) {
    for (size_t step : {0, 1}) {
      CAPTURE(c.want);
      CAPTURE(step);
      ClientEvents ev;
      FakeServer server;
      server.connect = c.connect;
      server.publish = server.play = c.decide;
      server.reject_code = c.code;
      ClientSession client(&ev, ClientOptions(c.publish));
      client.Start();
      Pumped p;
      Pump(&client, &server, step, &p);
      REQUIRE_FALSE(p.client.ok());
      CHECK(p.client.message().find(c.want) != std::string::npos);
      CHECK_FALSE(client.ready());
      CHECK(ev.ready == 0);
      // Final: the same error again, nothing parsed.
      CHECK(client.Consume(Bytes({0x02})).message() == p.client.message());
    }
  }
}

// What a client made of a server byte stream: its events and what it sent after C0+C1+C2 (the
// handshake carries random bytes, the rest is determined by the input).
struct Replay {
  base::Status status;
  int ready = 0;
  std::vector<Message> media;
  std::vector<std::string> statuses;
  std::string sent;
};

Replay ReplayInto(bool publish, const std::vector<std::string_view>& pieces) {
  ClientEvents ev;
  ClientSession client(&ev, ClientOptions(publish));
  client.Start();
  Replay r;
  for (std::string_view piece : pieces) {
    r.status = client.Consume(piece);
    if (!r.status.ok()) break;
  }
  r.ready = ev.ready;
  r.media = std::move(ev.media);
  r.statuses = std::move(ev.statuses);
  r.sent = client.output()->substr(kHandshakeBytes);
  return r;
}

void CheckSameReplay(const Replay& a, const Replay& b) {
  CHECK(a.status.code() == b.status.code());
  CHECK(a.ready == b.ready);
  CHECK(SameMessages(a.media, b.media));
  CHECK(a.statuses == b.statuses);
  CHECK(a.sent == b.sent);
}

// Records what our server said in a whole conversation, then feeds it to fresh clients split at
// every offset and byte by byte: the same events and the same answers every time.
TEST_CASE("the recorded server stream, split at every offset and byte by byte") {
  for (bool publish : {true, false}) {
    CAPTURE(publish);
    ClientEvents ev;
    FakeServer server;
    ClientSession client(&ev, ClientOptions(publish));
    client.Start();
    Pumped p;
    Pump(&client, &server, 0, &p);
    REQUIRE(client.ready());
    if (!publish) {
      for (uint32_t size : {1u, 300u, 4097u}) {
        ChunkWriter::Encode(kCsidVideo, kMsgVideo, size, 1, Payload(size, 'm'), kOutChunkSize, server.session.output());
      }
      Pump(&client, &server, 0, &p);
      REQUIRE(ev.media.size() == 3);
    }
    const std::string_view s2c = p.s2c;
    const Replay whole = ReplayInto(publish, {s2c});
    REQUIRE(whole.status.ok());
    CHECK(whole.ready == 1);
    CHECK(whole.media.size() == (publish ? 0u : 3u));
    for (size_t k = 0; k <= s2c.size(); ++k) {
      CAPTURE(k);
      CheckSameReplay(ReplayInto(publish, {s2c.substr(0, k), s2c.substr(k)}), whole);
    }
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < s2c.size(); ++i) bytes.push_back(s2c.substr(i, 1));
    CheckSameReplay(ReplayInto(publish, bytes), whole);
  }
}

}  // namespace
}  // namespace cdn::rtmp

namespace cdn::rtmp {
namespace {

std::string Command(const std::vector<Amf0Value>& values) {
  std::string payload;
  for (const auto& v : values) EncodeAmf0(v, &payload);
  return testing::Header(0, 3, 0, static_cast<uint32_t>(payload.size()), kMsgAmf0Command, 0) + payload;
}

}  // namespace

// Found by fuzz_rtmp_session (UBSan): a NaN stream id passed `id < 1 || id > max` and was cast
// to an integer. Every id that is not a number in [1, 0xFFFFFF] ends the session cleanly.
TEST_CASE("createStream _result with a NaN, infinite or out-of-range stream id is an error") {
  for (double id : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(), -1.0, 0.0,
                    double(0x1000000)}) {
    CAPTURE(id);
    ClientEvents ev;
    ClientSession client(&ev, ClientOptions(false));
    client.Start();
    std::string server(1 + 2 * 1536, '\0');
    server[0] = 3;  // S0 version, S1 and S2
    server += Command({Amf0Value::String("_result"), Amf0Value::Number(1), Amf0Value::Null(),
                       Amf0Value::Object({{"code", Amf0Value::String("NetConnection.Connect.Success")}})});
    REQUIRE(client.Consume(server).ok());
    const base::Status st = client.Consume(
        Command({Amf0Value::String("_result"), Amf0Value::Number(2), Amf0Value::Null(), Amf0Value::Number(id)}));
    CHECK_FALSE(st.ok());
    CHECK(st.message().find("without a valid stream id") != std::string::npos);
    CHECK(ev.ready == 0);
  }
}

}  // namespace cdn::rtmp
