#include "lib/net/event_loop.h"

#include <event2/event.h>
#include <event2/thread.h>

#include <csignal>
#include <mutex>

namespace cdn::net {

Timer::Timer(EventLoop* loop, std::function<void()> cb) : cb_(std::move(cb)) {
  ev_ = event_new(loop->base(), -1, 0, &Timer::OnFire, this);
}

Timer::~Timer() {
  if (ev_) event_free(ev_);
}

void Timer::Start(int64_t delay_ms, bool repeat) {
  event_del(ev_);
  event_assign(ev_, event_get_base(ev_), -1, repeat ? EV_PERSIST : 0, &Timer::OnFire, this);
  struct timeval tv;
  tv.tv_sec = delay_ms / 1000;
  tv.tv_usec = (delay_ms % 1000) * 1000;
  event_add(ev_, &tv);
}

void Timer::Cancel() { event_del(ev_); }

bool Timer::pending() const { return event_pending(ev_, EV_TIMEOUT, nullptr) != 0; }

void Timer::OnFire(int, short, void* arg) {
  auto* t = static_cast<Timer*>(arg);
  // Copy: the callback may destroy the timer.
  auto cb = t->cb_;
  cb();
}

struct EventLoop::SignalHandler {
  std::function<void()> cb;
  struct event* ev = nullptr;
  ~SignalHandler() {
    if (ev) event_free(ev);
  }
};

EventLoop::EventLoop() {
  static std::once_flag once;
  std::call_once(once, [] {
    evthread_use_pthreads();
    signal(SIGPIPE, SIG_IGN);
  });
  // The epoll changelist merges the interest changes a loop pass makes on one descriptor into at
  // most one epoll_ctl (evhttp turns read and write interest on and off around every request).
  // Its documented caveat is descriptors cloned with dup(), which this process does not use.
  struct event_config* cfg = event_config_new();
  event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
  base_ = event_base_new_with_config(cfg);
  event_config_free(cfg);
  defer_ev_ = event_new(base_, -1, 0, &EventLoop::OnDeferred, this);
  posted_ev_ = event_new(base_, -1, 0, &EventLoop::OnPosted, this);
}

EventLoop::~EventLoop() {
  signals_.clear();
  if (defer_ev_) event_free(defer_ev_);
  if (posted_ev_) event_free(posted_ev_);
  event_base_free(base_);
}

void EventLoop::Run() { event_base_dispatch(base_); }

void EventLoop::Stop() { event_base_loopbreak(base_); }

void EventLoop::Defer(std::function<void()> cb) {
  deferred_.push_back(std::move(cb));
  if (!event_pending(defer_ev_, EV_TIMEOUT, nullptr)) {
    struct timeval zero = {0, 0};
    event_add(defer_ev_, &zero);
  }
}

void EventLoop::OnDeferred(int, short, void* arg) {
  auto* loop = static_cast<EventLoop*>(arg);
  auto work = std::move(loop->deferred_);
  loop->deferred_.clear();
  for (auto& cb : work) cb();
}

void EventLoop::RunInLoop(std::function<void()> cb) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(posted_mu_);
    wake = posted_.empty();
    posted_.push_back(std::move(cb));
  }
  // With evthread_use_pthreads (constructor), event_active from another thread is safe and
  // wakes the base. One activation per batch: the handler takes everything queued.
  if (wake) event_active(posted_ev_, EV_TIMEOUT, 0);
}

void EventLoop::OnPosted(int, short, void* arg) {
  auto* loop = static_cast<EventLoop*>(arg);
  std::vector<std::function<void()>> work;
  {
    std::lock_guard<std::mutex> lock(loop->posted_mu_);
    work.swap(loop->posted_);
  }
  for (auto& cb : work) cb();
}

void EventLoop::OnSignal(int signo, std::function<void()> cb) {
  auto h = std::make_unique<SignalHandler>();
  h->cb = std::move(cb);
  h->ev = evsignal_new(
      base_, signo, [](int, short, void* arg) { static_cast<SignalHandler*>(arg)->cb(); }, h.get());
  event_add(h->ev, nullptr);
  signals_.push_back(std::move(h));
}

}  // namespace cdn::net
