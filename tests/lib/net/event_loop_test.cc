// Tests for lib/net/event_loop's cross-thread channel (RunInLoop): calls posted from other
// threads all run, on the loop's thread, in each poster's order, and wake a loop that is idle.
#include "lib/net/event_loop.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace cdn::net {
namespace {

TEST_CASE("RunInLoop from several threads runs everything on the loop thread, in order per thread") {
  EventLoop loop;
  Timer keepalive(&loop, [] {});
  keepalive.Start(10000);  // the loop blocks idle until posts arrive
  constexpr int kThreads = 4, kPosts = 2000;
  std::vector<int> last(kThreads, -1);
  int total = 0;
  bool in_order = true, on_loop_thread = true;
  std::thread::id loop_thread;
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&, t] {
      for (int i = 0; i < kPosts; ++i) {
        loop.RunInLoop([&, t, i] {
          on_loop_thread = on_loop_thread && std::this_thread::get_id() == loop_thread;
          in_order = in_order && last[t] == i - 1;
          last[t] = i;
          if (++total == kThreads * kPosts) loop.Stop();
        });
      }
    });
  }
  loop_thread = std::this_thread::get_id();
  loop.Run();
  for (auto& p : posters) p.join();
  CHECK(total == kThreads * kPosts);
  CHECK(in_order);
  CHECK(on_loop_thread);
}

TEST_CASE("RunInLoop from the loop's own thread runs on a later iteration") {
  EventLoop loop;
  std::vector<int> order;
  loop.RunInLoop([&] {
    order.push_back(1);
    loop.RunInLoop([&] {
      order.push_back(3);
      loop.Stop();
    });
    order.push_back(2);
  });
  loop.Run();
  CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("calls still queued when the loop is destroyed are dropped, not run") {
  auto token = std::make_shared<int>(0);
  bool ran = false;
  {
    EventLoop loop;
    loop.RunInLoop([&ran, token] { ran = true; });
    CHECK(token.use_count() == 2);
  }
  CHECK_FALSE(ran);
  CHECK(token.use_count() == 1);
}

}  // namespace
}  // namespace cdn::net
