// Tests for lib/live/stream_hub, driven by a fake clock (times are plain arguments): one live
// publisher per stream (Busy), takeover of a silent one (kick callback), unpublish and the
// reconnect grace (OnPublisherGone, republish, Tick -> OnStreamEnd), streams freed when nothing
// holds them (1000 short streams leave size() at 0), and consumers that leave from inside their
// callbacks.
#include "lib/live/stream_hub.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "lib/base/log.h"
#include "tests/lib/live/live_test_util.h"

namespace cdn::live {
namespace {

using namespace testing;  // NOLINT: test helpers
using Code = base::Status::Code;

// The hub logs every takeover and grace expiry; 1000 of them would bury the test report.
const bool kQuietLogs = (base::SetLogLevel(base::LogLevel::kError), true);

StreamKey Key(const std::string& name = "room") { return {"push.example.com", "live", name}; }

HubOptions Options() {
  HubOptions o;
  o.takeover_idle_ms = 5000;
  o.stream.reconnect_grace_ms = 10000;
  return o;
}

TEST_CASE("publish creates the stream; a second live publisher is Busy") {
  StreamHub hub(Options());
  CHECK(hub.size() == 0);
  CHECK(hub.Find(Key()) == nullptr);
  const uint64_t a = hub.NextPublisherId(), b = hub.NextPublisherId();
  CHECK(a != b);
  auto s = hub.Publish(Key(), a, 0);
  REQUIRE(s.ok());
  CHECK(hub.Find(Key()) == *s);
  CHECK(hub.FindOrCreate(Key()) == *s);
  CHECK(hub.size() == 1);
  CHECK(hub.live_count() == 1);
  bool kicked = false;
  auto busy = hub.Publish(Key(), b, 1000, [&](uint64_t) { kicked = true; });
  CHECK(busy.status().code() == Code::kBusy);
  CHECK(!kicked);
  CHECK((*s)->publisher() == a);
  // A publisher that keeps sending is never replaced.
  for (int64_t t = 1000; t <= 60000; t += 1000) (*s)->OnMessage(PacketType::kAudio, t, AacFrame(), t);
  CHECK(hub.Publish(Key(), b, 60000 + 4999, [&](uint64_t) { kicked = true; }).status().code() == Code::kBusy);
  CHECK(!kicked);
  // Another stream name is independent.
  CHECK(hub.Publish(Key("other"), b, 0).ok());
  CHECK(hub.live_count() == 2);
}

TEST_CASE("a publisher silent for takeover_idle is replaced; the kick callback gets the old id") {
  StreamHub hub(Options());
  auto s = hub.Publish(Key(), 1, 0);
  REQUIRE(s.ok());
  (*s)->OnMessage(PacketType::kVideo, 0, KeyFrame(), 1000);
  RecordingConsumer viewer;
  (*s)->AddConsumer(&viewer);
  std::vector<uint64_t> kicked;
  auto kick = [&](uint64_t id) { kicked.push_back(id); };
  CHECK(hub.Publish(Key(), 2, 1000 + 4999, kick).status().code() == Code::kBusy);
  // Without a kick callback there is no takeover at all.
  CHECK(hub.Publish(Key(), 2, 1000 + 5000).status().code() == Code::kBusy);
  auto t = hub.Publish(Key(), 2, 1000 + 5000, kick);
  REQUIRE(t.ok());
  CHECK(*t == *s);
  CHECK(kicked == std::vector<uint64_t>{1});
  CHECK((*t)->publisher() == 2);
  CHECK(viewer.events == std::vector<std::string>{"start", "packet", "gone", "start"});
  // The old publisher's late unpublish does nothing to the new one.
  hub.Unpublish(*t, 1, 7000);
  CHECK((*t)->publisher() == 2);
  CHECK(hub.size() == 1);
}

TEST_CASE("takeover where the kick unpublishes the old publisher at once (as the server does)") {
  StreamHub hub(Options());
  Stream* s = *hub.Publish(Key(), 1, 0);
  auto t = hub.Publish(Key(), 2, 6000, [&](uint64_t old) { hub.Unpublish(s, old, 6000); });
  REQUIRE(t.ok());
  CHECK((*t)->publisher() == 2);
  CHECK(hub.size() == 1);
}

TEST_CASE("unpublish: viewers are told, wait out the grace, and see a republish continue") {
  StreamHub hub(Options());
  Stream* s = hub.FindOrCreate(Key());
  RecordingConsumer viewer;
  s->AddConsumer(&viewer);
  REQUIRE(hub.Publish(Key(), 1, 0).ok());
  s->OnMessage(PacketType::kVideo, 0, AvcSequenceHeader(), 0);
  s->OnMessage(PacketType::kVideo, 0, KeyFrame(), 0);
  s->OnMessage(PacketType::kVideo, 3000, InterFrame(), 3000);
  hub.Unpublish(s, 99, 3500);  // not the publisher: ignored
  CHECK(s->has_publisher());
  hub.Unpublish(s, 1, 4000);
  CHECK(viewer.gone == 1);
  CHECK(hub.size() == 1);
  CHECK(hub.live_count() == 0);
  hub.Tick(4000 + 9999);
  CHECK(viewer.ends == 0);
  // Back within the grace: same stream, timestamps continue.
  auto again = hub.Publish(Key(), 2, 4000 + 9999);
  REQUIRE(again.ok());
  CHECK(*again == s);
  CHECK(viewer.starts == 2);
  auto k = s->OnMessage(PacketType::kVideo, 0, KeyFrame(), 4000 + 9999);
  CHECK(k->timestamp() == 3001);
  CHECK(viewer.packets.back().get() == k.get());
  hub.Tick(100000);  // live again: no grace running
  CHECK(viewer.ends == 0);
}

TEST_CASE("grace expiry via Tick ends the stream for its viewers and frees it") {
  StreamHub hub(Options());
  Stream* s = *hub.Publish(Key(), 1, 0);
  RecordingConsumer a, b;
  s->AddConsumer(&a);
  s->AddConsumer(&b);
  hub.Unpublish(s, 1, 1000);
  hub.Tick(1000 + 9999);
  CHECK(hub.size() == 1);
  hub.Tick(1000 + 10000);
  CHECK(a.ends == 1);
  CHECK(b.ends == 1);
  CHECK(a.events == std::vector<std::string>{"start", "gone", "end"});
  CHECK(hub.size() == 0);
  CHECK(hub.Find(Key()) == nullptr);
  hub.Tick(1000 + 20000);  // nothing left to end
  CHECK(a.ends == 1);
}

TEST_CASE("streams are freed when the publisher and the last viewer are gone") {
  StreamHub hub(Options());
  SUBCASE("publisher alone") {
    Stream* s = *hub.Publish(Key(), 1, 0);
    hub.Unpublish(s, 1, 10);
    CHECK(hub.size() == 0);
  }
  SUBCASE("viewer alone") {
    Stream* s = hub.FindOrCreate(Key());
    RecordingConsumer v;
    s->AddConsumer(&v);
    hub.RemoveConsumer(s, &v);
    CHECK(hub.size() == 0);
  }
  SUBCASE("viewer leaves during the grace") {
    Stream* s = *hub.Publish(Key(), 1, 0);
    RecordingConsumer v;
    s->AddConsumer(&v);
    hub.Unpublish(s, 1, 10);
    CHECK(hub.size() == 1);
    hub.RemoveConsumer(s, &v);
    CHECK(hub.size() == 0);
  }
  SUBCASE("publisher leaves after the viewer") {
    Stream* s = *hub.Publish(Key(), 1, 0);
    RecordingConsumer v;
    s->AddConsumer(&v);
    hub.RemoveConsumer(s, &v);
    CHECK(hub.size() == 1);
    hub.Unpublish(s, 1, 10);
    CHECK(hub.size() == 0);
  }
  SUBCASE("looked up but never used: freed by the next Tick") {
    hub.FindOrCreate(Key());
    CHECK(hub.size() == 1);
    hub.Tick(1);
    CHECK(hub.size() == 0);
  }
}

TEST_CASE("1000 short streams leave nothing behind") {
  StreamHub hub(Options());
  int64_t now = 0;
  for (int i = 0; i < 1000; ++i) {
    const StreamKey key = Key("s" + std::to_string(i % 37) + "_" + std::to_string(i));
    const uint64_t id = hub.NextPublisherId();
    RecordingConsumer early, late;
    Stream* s = hub.FindOrCreate(key);
    s->AddConsumer(&early);
    auto p = hub.Publish(key, id, now);
    REQUIRE(p.ok());
    s->OnMessage(PacketType::kVideo, 0, AvcSequenceHeader(), now);
    s->OnMessage(PacketType::kVideo, 0, KeyFrame(), now);
    s->AddConsumer(&late);
    s->OnMessage(PacketType::kVideo, 40, InterFrame(), now);
    now += 10;
    switch (i % 3) {
      case 0:  // everyone leaves
        hub.RemoveConsumer(s, &early);
        hub.Unpublish(s, id, now);
        hub.RemoveConsumer(s, &late);
        break;
      case 1:  // the viewers wait out the grace
        hub.Unpublish(s, id, now);
        now += Options().stream.reconnect_grace_ms;
        hub.Tick(now);
        CHECK(early.ends == 1);
        CHECK(late.ends == 1);
        break;
      case 2:  // viewers leave from inside OnPublisherGone
        early.on_gone = [&] { hub.RemoveConsumer(s, &early); };
        late.on_gone = [&] { hub.RemoveConsumer(s, &late); };
        hub.Unpublish(s, id, now);
        break;
    }
    REQUIRE(hub.size() == 0);
  }
  CHECK(hub.live_count() == 0);
}

TEST_CASE("the last viewer leaving from inside OnPublisherGone or OnStreamEnd is safe") {
  StreamHub hub(Options());
  SUBCASE("OnPublisherGone during Unpublish") {
    Stream* s = *hub.Publish(Key(), 1, 0);
    RecordingConsumer v;
    v.on_gone = [&] { hub.RemoveConsumer(s, &v); };
    s->AddConsumer(&v);
    hub.Unpublish(s, 1, 10);
    CHECK(v.gone == 1);
    CHECK(hub.size() == 0);
  }
  SUBCASE("OnStreamEnd during Tick, also for a second stream") {
    Stream* s1 = *hub.Publish(Key("a"), 1, 0);
    Stream* s2 = *hub.Publish(Key("b"), 2, 0);
    RecordingConsumer v1, v2;
    v1.on_end = [&] { hub.RemoveConsumer(s1, &v1); };
    v2.on_end = [&] { hub.RemoveConsumer(s2, &v2); };
    s1->AddConsumer(&v1);
    s2->AddConsumer(&v2);
    hub.Unpublish(s1, 1, 0);
    hub.Unpublish(s2, 2, 0);
    hub.Tick(20000);
    CHECK(v1.ends == 1);
    CHECK(v2.ends == 1);
    CHECK(hub.size() == 0);
  }
  SUBCASE("OnPublisherGone during a takeover") {
    Stream* s = *hub.Publish(Key(), 1, 0);
    RecordingConsumer v;
    v.on_gone = [&] { hub.RemoveConsumer(s, &v); };
    s->AddConsumer(&v);
    auto t = hub.Publish(Key(), 2, 10000, [](uint64_t) {});
    REQUIRE(t.ok());
    CHECK(*t == s);
    CHECK(s->publisher() == 2);
    CHECK(hub.size() == 1);
  }
  SUBCASE("viewers leaving during the fan-out") {
    Stream* s = *hub.Publish(Key(), 1, 0);
    std::vector<std::unique_ptr<RecordingConsumer>> vs;
    for (int i = 0; i < 10; ++i) {
      vs.push_back(std::make_unique<RecordingConsumer>());
      RecordingConsumer* v = vs.back().get();
      if (i % 2) v->on_packet = [&hub, s, v](const PacketPtr&) { hub.RemoveConsumer(s, v); };
      s->AddConsumer(v);
    }
    s->OnMessage(PacketType::kVideo, 0, KeyFrame(), 0);
    CHECK(s->consumer_count() == 5);
    s->OnMessage(PacketType::kVideo, 40, InterFrame(), 0);
    for (int i = 0; i < 10; ++i) CHECK(vs[i]->packets.size() == (i % 2 ? 1u : 2u));
    for (int i = 0; i < 10; i += 2) hub.RemoveConsumer(s, vs[i].get());
    hub.Unpublish(s, 1, 0);
    CHECK(hub.size() == 0);
  }
}

TEST_CASE("ForEach visits every stream") {
  StreamHub hub(Options());
  REQUIRE(hub.Publish(Key("a"), 1, 0).ok());
  REQUIRE(hub.Publish(Key("b"), 2, 0).ok());
  hub.FindOrCreate(Key("c"));
  std::vector<std::string> names;
  hub.ForEach([&](const Stream& s) { names.push_back(s.key().ToString()); });
  CHECK(names == std::vector<std::string>{"push.example.com/live/a", "push.example.com/live/b",
                                          "push.example.com/live/c"});
  CHECK(hub.live_count() == 2);
}

}  // namespace
}  // namespace cdn::live
