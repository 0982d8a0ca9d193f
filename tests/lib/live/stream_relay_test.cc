// Tests for Stream::Relay, how an edge worker's hub mirrors a stream of the main hub: the same
// packet objects (shared, never copied) reach the mirror's viewers and GOP cache, timestamps
// are kept as the source made them (no rebase across a source publisher's return).
#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include "lib/live/stream.h"
#include "tests/lib/live/live_test_util.h"

namespace cdn::live {
namespace {

using namespace testing;  // NOLINT: test helpers

// Forwards every packet of the source into the mirror (what the bridge does across threads).
class Forward : public Consumer {
 public:
  explicit Forward(Stream* mirror) : mirror_(mirror) {}
  void OnPacket(const PacketPtr& p) override { mirror_->Relay(p, 0); }
  void OnStreamEnd() override {}

 private:
  Stream* mirror_;
};

class Record : public Consumer {
 public:
  void OnPacket(const PacketPtr& p) override { got.push_back(p); }
  void OnStreamEnd() override {}
  std::vector<PacketPtr> got;
};

StreamKey Key() { return {"push.example.com", "live", "room"}; }

TEST_CASE("a mirror fed by Relay shares the source's packets and caches its GOP") {
  Stream source(Key(), {}), mirror(Key(), {});
  Forward fwd(&mirror);
  source.AttachPublisher(1, 0);
  mirror.AttachPublisher(7, 0);
  source.AddConsumer(&fwd);
  Record live;
  mirror.AddConsumer(&live);
  auto meta = source.OnMessage(PacketType::kData, 0, Metadata(), 0);
  auto vseq = source.OnMessage(PacketType::kVideo, 0, AvcSequenceHeader(), 0);
  auto k1 = source.OnMessage(PacketType::kVideo, 0, KeyFrame(), 0);
  auto i1 = source.OnMessage(PacketType::kVideo, 40, InterFrame(), 0);
  REQUIRE(live.got.size() == 4);
  CHECK(live.got[0].get() == meta.get());
  CHECK(live.got[2].get() == k1.get());
  CHECK(live.got[3].get() == i1.get());
  CHECK(mirror.metadata().get() == meta.get());
  CHECK(mirror.video_sequence_header().get() == vseq.get());
  // A late viewer of the mirror starts from its GOP cache: the same objects again.
  Record late;
  mirror.AddConsumer(&late);
  REQUIRE(late.got.size() == 4);
  CHECK(late.got[2].get() == k1.get());
  CHECK(late.got[3].get() == i1.get());
}

TEST_CASE("Relay keeps the source's timestamps when the mirror's publisher returns") {
  Stream mirror(Key(), {});
  Record r;
  mirror.AddConsumer(&r);
  mirror.AttachPublisher(7, 0);
  mirror.Relay(Make(PacketType::kVideo, 5000, KeyFrame()), 0);
  mirror.DetachPublisher(10);
  mirror.AttachPublisher(7, 20);  // a rebase would be armed here for OnMessage
  auto p = Make(PacketType::kVideo, 5040, InterFrame());
  mirror.Relay(p, 20);
  REQUIRE(r.got.size() == 2);
  CHECK(r.got[1].get() == p.get());
  CHECK(r.got[1]->timestamp() == 5040);
}

}  // namespace
}  // namespace cdn::live
