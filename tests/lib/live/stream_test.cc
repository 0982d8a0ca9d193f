// Tests for lib/live/stream: the GOP cache (metadata, sequence headers, then the packets from the
// last key frame), audio-only and capped caches, packets shared by pointer across consumers,
// consumers that arrive before the publisher, consumers added or removed during the fan-out,
// timestamp continuity across a republish, grace and EndAll.
#include "lib/live/stream.h"

#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include "tests/lib/live/live_test_util.h"

namespace cdn::live {
namespace {

using namespace testing;  // NOLINT: test helpers

StreamKey Key() { return {"push.example.com", "live", "room"}; }

struct Published {
  PacketPtr meta, vseq, aseq, k1, i1, a1, k2, i2, a2;
};

// metadata, headers, GOP 1 (key, inter, audio), GOP 2 (key, inter, audio).
Published PublishTwoGops(Stream* s, int64_t now = 0) {
  Published p;
  p.meta = s->OnMessage(PacketType::kData, 0, Metadata(), now);
  p.vseq = s->OnMessage(PacketType::kVideo, 0, AvcSequenceHeader(), now);
  p.aseq = s->OnMessage(PacketType::kAudio, 0, AacSequenceHeader(), now);
  p.k1 = s->OnMessage(PacketType::kVideo, 0, KeyFrame(), now);
  p.i1 = s->OnMessage(PacketType::kVideo, 40, InterFrame(), now);
  p.a1 = s->OnMessage(PacketType::kAudio, 46, AacFrame(), now);
  p.k2 = s->OnMessage(PacketType::kVideo, 1000, KeyFrame(), now);
  p.i2 = s->OnMessage(PacketType::kVideo, 1040, InterFrame(), now);
  p.a2 = s->OnMessage(PacketType::kAudio, 1046, AacFrame(), now);
  return p;
}

std::vector<const MediaPacket*> Ptrs(const std::vector<PacketPtr>& v) {
  std::vector<const MediaPacket*> out;
  for (const auto& p : v) out.push_back(p.get());
  return out;
}

TEST_CASE("a new consumer gets metadata, sequence headers, then the GOP from the last key frame") {
  Stream s(Key(), {});
  s.AttachPublisher(1, 0);
  Published p = PublishTwoGops(&s);
  CHECK(s.gop_packets() == 3);
  CHECK(s.metadata().get() == p.meta.get());
  CHECK(s.video_sequence_header().get() == p.vseq.get());
  CHECK(s.audio_sequence_header().get() == p.aseq.get());
  RecordingConsumer c;
  s.AddConsumer(&c);
  CHECK(c.starts == 1);
  CHECK(c.events.front() == "start");
  CHECK(Ptrs(c.packets) == Ptrs({p.meta, p.vseq, p.aseq, p.k2, p.i2, p.a2}));
  // Live packets follow.
  auto next = s.OnMessage(PacketType::kVideo, 1080, InterFrame(), 0);
  CHECK(c.packets.back().get() == next.get());
  CHECK(s.consumer_count() == 1);
}

TEST_CASE("before the first key frame nothing but the headers is cached") {
  Stream s(Key(), {});
  s.AttachPublisher(1, 0);
  s.OnMessage(PacketType::kVideo, 0, AvcSequenceHeader(), 0);
  s.OnMessage(PacketType::kAudio, 0, AacSequenceHeader(), 0);
  s.OnMessage(PacketType::kVideo, 40, InterFrame(), 0);
  s.OnMessage(PacketType::kAudio, 46, AacFrame(), 0);
  CHECK(s.gop_packets() == 0);
  RecordingConsumer c;
  s.AddConsumer(&c);
  CHECK(c.packets.size() == 2);
}

TEST_CASE("the end-of-sequence tag does not restart the GOP cache") {
  Stream s(Key(), {});
  s.AttachPublisher(1, 0);
  Published p = PublishTwoGops(&s);
  s.OnMessage(PacketType::kVideo, 1100, AvcEndOfSequence(), 0);
  CHECK(s.gop_packets() == 4);
  RecordingConsumer c;
  s.AddConsumer(&c);
  REQUIRE(c.packets.size() == 7);
  CHECK(c.packets[3].get() == p.k2.get());
}

TEST_CASE("audio-only streams cache audio, bounded by gop_cache_max_bytes") {
  StreamOptions o;
  o.gop_cache_max_bytes = 1000;
  Stream s(Key(), o);
  s.AttachPublisher(1, 0);
  s.OnMessage(PacketType::kAudio, 0, AacSequenceHeader(), 0);
  for (int i = 0; i < 50; ++i) s.OnMessage(PacketType::kAudio, i * 23, AacFrame(98), 0);  // 100 bytes each
  CHECK(s.gop_packets() > 0);
  CHECK(s.gop_packets() <= 10);
  RecordingConsumer c;
  s.AddConsumer(&c);
  CHECK(c.packets.size() == 1 + s.gop_packets());
  CHECK(c.packets.back()->timestamp() == 49 * 23);
}

TEST_CASE("a GOP over the cap empties the cache until the next key frame") {
  StreamOptions o;
  o.gop_cache_max_bytes = 500;
  Stream s(Key(), o);
  s.AttachPublisher(1, 0);
  s.OnMessage(PacketType::kVideo, 0, AvcSequenceHeader(), 0);
  s.OnMessage(PacketType::kVideo, 0, KeyFrame(200), 0);
  s.OnMessage(PacketType::kVideo, 40, InterFrame(200), 0);
  CHECK(s.gop_packets() == 2);
  s.OnMessage(PacketType::kVideo, 80, InterFrame(200), 0);  // over: restarted, not a key frame
  CHECK(s.gop_packets() == 0);
  s.OnMessage(PacketType::kVideo, 120, InterFrame(10), 0);
  CHECK(s.gop_packets() == 0);
  s.OnMessage(PacketType::kVideo, 160, KeyFrame(10), 0);
  CHECK(s.gop_packets() == 1);
}

TEST_CASE("gop_cache off: a new consumer gets only metadata and headers") {
  StreamOptions o;
  o.gop_cache = false;
  Stream s(Key(), o);
  s.AttachPublisher(1, 0);
  PublishTwoGops(&s);
  CHECK(s.gop_packets() == 0);
  RecordingConsumer c;
  s.AddConsumer(&c);
  CHECK(c.packets.size() == 3);
}

TEST_CASE("packets are shared: every consumer gets the same pointer, wire forms built once") {
  Stream s(Key(), {});
  s.AttachPublisher(1, 0);
  std::vector<std::unique_ptr<RecordingConsumer>> cs;
  for (int i = 0; i < 5; ++i) {
    cs.push_back(std::make_unique<RecordingConsumer>());
    s.AddConsumer(cs.back().get());
  }
  Published p = PublishTwoGops(&s);
  RecordingConsumer late;
  s.AddConsumer(&late);
  for (auto& c : cs) {
    REQUIRE(c->packets.size() == 9);
    CHECK(c->packets[6].get() == p.k2.get());
    CHECK(c->packets[6]->rtmp_wire().get() == late.packets[3]->rtmp_wire().get());
    CHECK(c->packets[6]->flv_wire().get() == late.packets[3]->flv_wire().get());
  }
  CHECK(late.packets[3].get() == p.k2.get());
  // The cache, 6 consumers and our handle: one packet object.
  CHECK(p.k2.use_count() >= 8);
}

TEST_CASE("a consumer that arrives before the publisher waits for OnStreamStart") {
  Stream s(Key(), {});
  RecordingConsumer c;
  s.AddConsumer(&c);
  CHECK(c.events.empty());
  s.AttachPublisher(7, 100);
  CHECK(c.events == std::vector<std::string>{"start"});
  CHECK(s.has_publisher());
  CHECK(s.publisher() == 7);
  CHECK(s.publish_start_ms() == 100);
  s.OnMessage(PacketType::kVideo, 0, KeyFrame(), 150);
  CHECK(c.packets.size() == 1);
  CHECK(s.last_packet_ms() == 150);
  CHECK(s.bytes_in() == KeyFrame().size());
}

TEST_CASE("consumers removing themselves (or others) during the fan-out") {
  Stream s(Key(), {});
  s.AttachPublisher(1, 0);
  RecordingConsumer a, b, c, d;
  a.on_packet = [&](const PacketPtr&) { s.RemoveConsumer(&a); };  // itself, first in line
  b.on_packet = [&](const PacketPtr&) { s.RemoveConsumer(&c); };  // the next one
  d.on_packet = [&](const PacketPtr&) { s.RemoveConsumer(&d); };  // itself, last in line
  for (auto* x : {&a, &b, &c, &d}) s.AddConsumer(x);
  auto p1 = s.OnMessage(PacketType::kVideo, 0, KeyFrame(), 0);
  CHECK(a.packets.size() == 1);
  CHECK(b.packets.size() == 1);
  CHECK(c.packets.empty());  // removed before its turn
  CHECK(d.packets.size() == 1);
  CHECK(s.consumer_count() == 1);
  s.OnMessage(PacketType::kVideo, 40, InterFrame(), 0);
  CHECK(a.packets.size() == 1);
  CHECK(b.packets.size() == 2);
  CHECK(d.packets.size() == 1);
  s.RemoveConsumer(&b);
  s.RemoveConsumer(&b);  // twice: harmless
  CHECK(s.consumer_count() == 0);
  CHECK(s.Idle() == false);  // the publisher is still there
}

TEST_CASE("a consumer added during the fan-out gets the current packet once") {
  Stream s(Key(), {});
  s.AttachPublisher(1, 0);
  RecordingConsumer a, late;
  bool added = false;
  a.on_packet = [&](const PacketPtr&) {
    if (!added) {
      added = true;
      s.AddConsumer(&late);
    }
  };
  s.AddConsumer(&a);
  auto key = s.OnMessage(PacketType::kVideo, 0, KeyFrame(), 0);
  REQUIRE(late.packets.size() == 1);  // from the GOP cache, not again from the fan-out
  CHECK(late.packets[0].get() == key.get());
  s.OnMessage(PacketType::kVideo, 40, InterFrame(), 0);
  CHECK(late.packets.size() == 2);
}

TEST_CASE("republish: the new publisher's timestamps continue after the old ones") {
  Stream s(Key(), {});
  RecordingConsumer c;
  s.AddConsumer(&c);
  s.AttachPublisher(1, 0);
  PublishTwoGops(&s);
  s.OnMessage(PacketType::kVideo, 5000, KeyFrame(), 0);
  s.DetachPublisher(100);
  CHECK(c.gone == 1);
  CHECK(!s.has_publisher());
  CHECK(s.ever_published());
  s.AttachPublisher(2, 200);
  CHECK(c.starts == 2);
  CHECK(s.gop_packets() == 0);  // the old GOP is not replayed
  // The new publisher starts from 0 again, headers first.
  auto md = s.OnMessage(PacketType::kData, 0, Metadata(), 200);
  auto vs = s.OnMessage(PacketType::kVideo, 0, AvcSequenceHeader(), 200);
  auto k = s.OnMessage(PacketType::kVideo, 0, KeyFrame(), 200);
  auto a = s.OnMessage(PacketType::kAudio, 20, AacFrame(), 200);
  auto i = s.OnMessage(PacketType::kVideo, 40, InterFrame(), 200);
  CHECK(vs->timestamp() == 5001);
  CHECK(k->timestamp() == 5001);
  CHECK(a->timestamp() == 5021);
  CHECK(i->timestamp() == 5041);
  (void)md;
  // What the consumer saw in media timestamps never goes back.
  uint32_t last = 0;
  for (const auto& p : c.packets) {
    if (p->type() == PacketType::kData) continue;
    if (p->sequence_header()) continue;
    CHECK(p->timestamp() >= last);
    last = p->timestamp();
  }
  // A third publisher whose clock starts high also continues right after.
  s.DetachPublisher(300);
  s.AttachPublisher(3, 400);
  auto k3 = s.OnMessage(PacketType::kVideo, 900000, KeyFrame(), 400);
  CHECK(k3->timestamp() == 5042);
}

TEST_CASE("grace: expired only after the publisher has been gone that long") {
  StreamOptions o;
  o.reconnect_grace_ms = 1000;
  Stream s(Key(), o);
  CHECK(!s.GraceExpired(1000000));  // never published
  s.AttachPublisher(1, 0);
  CHECK(!s.GraceExpired(1000000));  // live
  s.DetachPublisher(500);
  CHECK(!s.GraceExpired(1499));
  CHECK(s.GraceExpired(1500));
  s.AttachPublisher(2, 1600);
  CHECK(!s.GraceExpired(100000));
}

TEST_CASE("EndAll detaches every consumer and tells each once") {
  Stream s(Key(), {});
  RecordingConsumer a, b;
  s.AddConsumer(&a);
  s.AddConsumer(&b);
  a.on_end = [&] { s.RemoveConsumer(&a); };  // already detached: harmless
  s.EndAll();
  CHECK(a.ends == 1);
  CHECK(b.ends == 1);
  CHECK(s.consumer_count() == 0);
  CHECK(s.Idle());
}

}  // namespace
}  // namespace cdn::live
