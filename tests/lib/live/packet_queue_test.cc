// Tests for lib/live/packet_queue: FIFO of shared packets, the byte bound, the skip to the next
// key frame (headers and metadata kept), skips()/dropped_packets() counts, audio-only streams,
// and a randomized run checking the byte accounting and the bound.
#include "lib/live/packet_queue.h"

#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "tests/lib/live/live_test_util.h"

namespace cdn::live {
namespace {

using namespace testing;  // NOLINT: test helpers

std::vector<PacketPtr> Drain(PacketQueue* q) {
  std::vector<PacketPtr> out;
  while (auto p = q->Pop()) out.push_back(p);
  return out;
}

TEST_CASE("FIFO of the very same packets, bytes accounted") {
  PacketQueue q(1 << 20);
  CHECK(q.empty());
  CHECK(q.Pop() == nullptr);
  auto a = Make(PacketType::kVideo, 0, KeyFrame(100));
  auto b = Make(PacketType::kAudio, 0, AacFrame(50));
  auto c = Make(PacketType::kVideo, 40, InterFrame(70));
  q.Push(a);
  q.Push(b);
  q.Push(c);
  CHECK(q.size() == 3);
  CHECK(q.bytes() == a->size() + b->size() + c->size());
  CHECK(q.Pop().get() == a.get());  // shared, not copied
  CHECK(q.bytes() == b->size() + c->size());
  CHECK(q.Pop().get() == b.get());
  CHECK(q.Pop().get() == c.get());
  CHECK(q.empty());
  CHECK(q.bytes() == 0);
  CHECK(q.skips() == 0);
  CHECK(q.dropped_packets() == 0);
  CHECK(q.max_bytes() == (1 << 20));
}

TEST_CASE("over the bound: media dropped, headers and metadata kept, then wait for a key frame") {
  PacketQueue q(1000);
  auto meta = Make(PacketType::kData, 0, Metadata());
  auto vseq = Make(PacketType::kVideo, 0, AvcSequenceHeader());
  auto aseq = Make(PacketType::kAudio, 0, AacSequenceHeader());
  q.Push(meta);
  q.Push(vseq);
  q.Push(aseq);
  q.Push(Make(PacketType::kVideo, 0, KeyFrame(400)));
  q.Push(Make(PacketType::kAudio, 10, AacFrame(100)));
  q.Push(Make(PacketType::kVideo, 40, InterFrame(300)));
  CHECK(q.skips() == 0);
  q.Push(Make(PacketType::kVideo, 80, InterFrame(300)));  // over 1000 bytes
  CHECK(q.skips() == 1);
  CHECK(q.dropped_packets() == 4);
  CHECK(q.size() == 3);
  CHECK(q.bytes() == meta->size() + vseq->size() + aseq->size());

  // Still behind the stream: inter frames and audio are dropped until a key frame.
  q.Push(Make(PacketType::kVideo, 120, InterFrame(10)));
  q.Push(Make(PacketType::kAudio, 130, AacFrame(10)));
  CHECK(q.dropped_packets() == 6);
  CHECK(q.size() == 3);
  // Headers still get in while waiting.
  auto vseq2 = Make(PacketType::kVideo, 140, AvcSequenceHeader());
  q.Push(vseq2);
  CHECK(q.size() == 4);
  // The key frame resumes delivery, and what follows it flows.
  auto key = Make(PacketType::kVideo, 160, KeyFrame(10));
  auto audio = Make(PacketType::kAudio, 170, AacFrame(10));
  q.Push(key);
  q.Push(audio);
  auto out = Drain(&q);
  REQUIRE(out.size() == 6);
  CHECK(out[0].get() == meta.get());
  CHECK(out[1].get() == vseq.get());
  CHECK(out[2].get() == aseq.get());
  CHECK(out[3].get() == vseq2.get());
  CHECK(out[4].get() == key.get());
  CHECK(out[5].get() == audio.get());
  CHECK(q.skips() == 1);
}

TEST_CASE("ffmpeg's end-of-sequence tag does not end the wait for a key frame") {
  PacketQueue q(100);
  q.Push(Make(PacketType::kVideo, 0, KeyFrame(200)));  // over at once
  CHECK(q.skips() == 1);
  CHECK(q.empty());
  q.Push(Make(PacketType::kVideo, 40, AvcEndOfSequence()));
  CHECK(q.empty());
  q.Push(Make(PacketType::kVideo, 80, KeyFrame(10)));
  CHECK(q.size() == 1);
}

TEST_CASE("a single packet larger than the bound is dropped with a skip") {
  PacketQueue q(100);
  q.Push(Make(PacketType::kVideo, 0, AvcSequenceHeader()));
  q.Push(Make(PacketType::kVideo, 0, KeyFrame(500)));
  CHECK(q.skips() == 1);
  CHECK(q.size() == 1);
  CHECK(q.Pop()->sequence_header());
}

TEST_CASE("audio-only streams: after a skip the next audio frame resumes") {
  PacketQueue q(300);
  for (int i = 0; i < 4; ++i) q.Push(Make(PacketType::kAudio, i * 20, AacFrame(90)));  // 368 bytes
  CHECK(q.skips() == 1);
  CHECK(q.empty());
  q.Push(Make(PacketType::kAudio, 200, AacFrame(10)));
  CHECK(q.size() == 1);
}

TEST_CASE("a viewer that never reads keeps skipping; skips() counts each time") {
  PacketQueue q(1000);
  for (int gop = 0; gop < 10; ++gop) {
    q.Push(Make(PacketType::kVideo, gop * 1000, KeyFrame(300)));
    for (int i = 1; i < 5; ++i) q.Push(Make(PacketType::kVideo, gop * 1000 + i * 100, InterFrame(300)));
    CHECK(q.bytes() <= q.max_bytes());
  }
  CHECK(q.skips() >= 9);
  CHECK(q.skips() <= 11);
}

TEST_CASE("a stalled viewer keeps only the latest metadata and sequence headers") {
  PacketQueue q(2000);
  for (int i = 0; i < 200; ++i) {
    q.Push(Make(PacketType::kData, i, Metadata(i)));
    q.Push(Make(PacketType::kVideo, i, AvcSequenceHeader()));
    q.Push(Make(PacketType::kAudio, i, AacSequenceHeader()));
    q.Push(Make(PacketType::kVideo, i, KeyFrame(300)));
    q.Push(Make(PacketType::kVideo, i, InterFrame(300)));
  }
  CHECK(q.skips() > 50);
  CHECK(q.bytes() <= q.max_bytes());
  auto out = Drain(&q);
  // Whatever is left: the headers kept at the last skip plus those of the ~2 GOPs since; without
  // the dedup it would be ~100 of each.
  int meta = 0, vseq = 0, aseq = 0;
  for (const auto& p : out) {
    meta += p->metadata();
    vseq += p->sequence_header() && p->type() == PacketType::kVideo;
    aseq += p->sequence_header() && p->type() == PacketType::kAudio;
  }
  CHECK(meta <= 3);
  CHECK(vseq <= 3);
  CHECK(aseq <= 3);
  CHECK(out.size() <= 15);
}

TEST_CASE("after a skip the latest headers are kept, in their order") {
  PacketQueue q(500);
  auto v1 = Make(PacketType::kVideo, 0, AvcSequenceHeader());
  auto m1 = Make(PacketType::kData, 0, Metadata(1));
  auto a1 = Make(PacketType::kAudio, 0, AacSequenceHeader());
  auto v2 = Make(PacketType::kVideo, 10, AvcSequenceHeader());
  auto m2 = Make(PacketType::kData, 10, Metadata(2));
  for (const auto& p : {v1, m1, a1, v2, m2}) q.Push(p);
  q.Push(Make(PacketType::kVideo, 20, KeyFrame(600)));
  CHECK(q.skips() == 1);
  auto out = Drain(&q);
  REQUIRE(out.size() == 3);
  CHECK(out[0].get() == a1.get());
  CHECK(out[1].get() == v2.get());
  CHECK(out[2].get() == m2.get());
}

TEST_CASE("randomized pushes and pops: bytes() is exact and the bound holds") {
  std::mt19937 rng(99);
  for (int round = 0; round < 50; ++round) {
    PacketQueue q(2000 + rng() % 5000);
    std::vector<PacketPtr> popped;
    size_t popped_bytes_check = 0;
    for (int i = 0; i < 400; ++i) {
      const int kind = static_cast<int>(rng() % 10);
      PacketPtr p;
      if (kind == 0) p = Make(PacketType::kVideo, i, KeyFrame(rng() % 800));
      else if (kind < 5) p = Make(PacketType::kVideo, i, InterFrame(rng() % 400));
      else if (kind < 9) p = Make(PacketType::kAudio, i, AacFrame(rng() % 100));
      else p = Make(PacketType::kData, i, Metadata());
      q.Push(p);
      // Media never sits over the bound (headers and metadata alone might, and are tiny here).
      REQUIRE(q.bytes() <= q.max_bytes());
      if (rng() % 3 == 0) {
        if (auto x = q.Pop()) popped_bytes_check += x->size();
      }
    }
    size_t left = 0;
    for (auto& p : Drain(&q)) left += p->size();
    CHECK(q.bytes() == 0);
    CHECK(left + popped_bytes_check > 0);
  }
}

}  // namespace
}  // namespace cdn::live
