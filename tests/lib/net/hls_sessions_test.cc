// HlsSessions: a viewer's requests make one session per stream; it ends after the quiet spell
// with its bytes and first-to-last-request span; edges' cache fills are no sessions; the table is
// bounded; and ConnectionBudget, the node-wide max_connections the event loops share.
#include "lib/net/hls_sessions.h"

#include <doctest/doctest.h>

#include <thread>
#include <vector>

namespace cdn::net {
namespace {

class Recorder : public LivePolicy {
 public:
  base::Status AdmitConnect(const rtmp::ConnectInfo&) override { return base::Status::Ok(); }
  Admission AdmitPublish(const rtmp::ConnectInfo&, const rtmp::StreamRequest&) override { return {}; }
  Admission AdmitPlay(const PlayRequest&) override { return {}; }
  void OnSessionEnded(const Session& s) override { ended.push_back(s); }
  std::vector<Session> ended;
};

HlsViewer Viewer(std::string id, std::string stream, bool relay = false) {
  HlsViewer v;
  v.id = std::move(id);
  v.peer = "127.0.0.1:4000";
  v.domain = "pull.test";
  v.key = live::StreamKey{"push.test", "live", std::move(stream)};
  v.relay = relay;
  return v;
}

TEST_CASE("HLS requests of one viewer make one session per stream, ended after the quiet spell") {
  LiveStats stats;
  Recorder policy;
  HlsSessions s(&stats, &policy, 1000);
  s.Count(Viewer("a", "room"), 500, 10'000);
  s.Count(Viewer("a", "room"), 1500, 10'400);
  s.Count(Viewer("b", "room"), 100, 10'500);
  s.Count(Viewer("a", "other"), 7, 10'600);
  CHECK(s.size() == 3);
  CHECK(s.viewers(live::StreamKey{"push.test", "live", "room"}) == 2);
  CHECK(s.viewers(live::StreamKey{"push.test", "live", "other"}) == 1);
  CHECK(s.viewers(live::StreamKey{"push.test", "live", "none"}) == 0);

  s.Tick(11'300);  // "a"/room was last seen at 10'400: 900 ms of quiet, not yet
  CHECK(policy.ended.empty());
  s.Tick(11'450);
  REQUIRE(policy.ended.size() == 1);
  const Session& a = policy.ended[0];
  CHECK(a.protocol == "hls");
  CHECK(a.kind == Session::Kind::kPlay);
  CHECK(a.domain == "pull.test");
  CHECK(a.key.name == "room");
  CHECK(a.bytes == 2000);
  CHECK(a.end_ms == 10'400);
  CHECK(a.domain_total == nullptr);  // HLS bytes reach the domain totals per response, not twice
  CHECK(s.viewers(live::StreamKey{"push.test", "live", "room"}) == 1);

  s.EndAll();
  CHECK(policy.ended.size() == 3);
  CHECK(s.size() == 0);
  size_t streams = 0;
  s.ForEachStream([&](const live::StreamKey&, size_t) { ++streams; });
  CHECK(streams == 0);
}

TEST_CASE("an edge's cache fills are not viewers; the table is bounded") {
  LiveStats stats;
  Recorder policy;
  HlsSessions s(&stats, &policy, 1000, 2);
  s.Count(Viewer("edge", "room", true), 1000, 1);
  CHECK(s.size() == 0);
  s.Count(Viewer("a", "room"), 1, 1);
  s.Count(Viewer("b", "room"), 1, 1);
  s.Count(Viewer("c", "room"), 1, 1);  // past the bound: not tracked
  s.Count(Viewer("a", "room"), 1, 2);  // known viewers still count
  CHECK(s.size() == 2);
  CHECK(s.untracked() == 1);
  s.EndAll();
  REQUIRE(policy.ended.size() == 2);
  CHECK(policy.ended[0].bytes + policy.ended[1].bytes == 3);
}

TEST_CASE("ConnectionBudget: one cap for every thread") {
  ConnectionBudget b(100);
  std::vector<std::thread> threads;
  std::atomic<int> got{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) got += b.TryAcquire();
    });
  }
  for (auto& t : threads) t.join();
  CHECK(got == 100);
  CHECK(b.used() == 100);
  CHECK_FALSE(b.TryAcquire());
  b.Release();
  CHECK(b.TryAcquire());
  CHECK(b.used() == 100);
}

}  // namespace
}  // namespace cdn::net
