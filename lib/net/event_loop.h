// EventLoop: one libevent event_base per thread, with timers, deferred calls and signal
// handling. Owned by the thread that runs it; every method except Stop() and RunInLoop() must be
// called on that thread. Timers are owned by their Timer object: destroying it cancels the callback.
#pragma once

#include <sys/time.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

struct event_base;
struct event;

namespace cdn::net {

class EventLoop;

// A duration in milliseconds as libevent's timeval.
inline struct timeval MsToTimeval(int64_t ms) {
  return {static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

// A one-shot or periodic timer. Destroying it (or Cancel) guarantees the callback will not run.
class Timer {
 public:
  Timer(EventLoop* loop, std::function<void()> cb);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  void Start(int64_t delay_ms, bool repeat = false);
  void Cancel();
  bool pending() const;

 private:
  static void OnFire(int, short, void* arg);
  std::function<void()> cb_;
  struct event* ev_ = nullptr;
};

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  struct event_base* base() const { return base_; }
  void Run();   // until Stop() or no events
  void Stop();  // thread-safe

  // Runs cb on the next loop iteration (never inside the caller's stack): the safe way to
  // destroy an object from its own callback.
  void Defer(std::function<void()> cb);

  // Thread-safe: queues cb to run on this loop's thread (FIFO per calling thread), waking the
  // loop. The cross-thread channel of the edge's workers. Calls still queued when the loop is
  // destroyed are dropped (destroyed, not run), so what they capture must be safe to free there.
  void RunInLoop(std::function<void()> cb);

  // Calls cb on SIGINT/SIGTERM (the loop keeps running; cb decides), SIGHUP separately.
  void OnSignal(int signo, std::function<void()> cb);

 private:
  struct SignalHandler;
  static void OnDeferred(int, short, void* arg);
  static void OnPosted(int, short, void* arg);
  struct event_base* base_;
  struct event* defer_ev_ = nullptr;
  std::vector<std::function<void()>> deferred_;
  struct event* posted_ev_ = nullptr;
  std::mutex posted_mu_;
  std::vector<std::function<void()>> posted_;  // guarded by posted_mu_
  std::vector<std::unique_ptr<SignalHandler>> signals_;
};

}  // namespace cdn::net
