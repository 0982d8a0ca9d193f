#include "lib/net/resolver.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <netdb.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "lib/base/clock.h"
#include "lib/base/log.h"
#include "lib/http/query.h"

namespace cdn::net {

struct Resolver::Query {
  Resolver* resolver;
  std::weak_ptr<bool> alive;
  Callback cb;
};

Resolver::Resolver(EventLoop* loop, const std::string& servers)
    : loop_(loop), timer_(loop, [this] {
        ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
        ArmTimer();
      }) {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
  struct ares_options opts;
  memset(&opts, 0, sizeof opts);
  opts.sock_state_cb = &Resolver::OnSockState;
  opts.sock_state_cb_data = this;
  opts.timeout = 2000;
  opts.tries = 2;
  opts.lookups = const_cast<char*>("fb");  // /etc/hosts, then DNS
  ares_init_options(&channel_, &opts, ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS);
  if (!servers.empty()) ares_set_servers_ports_csv(channel_, servers.c_str());
}

Resolver::~Resolver() {
  *alive_ = false;
  timer_.Cancel();
  ares_destroy(channel_);  // runs pending callbacks with ARES_EDESTRUCTION; they see !alive
  for (auto& [fd, ev] : events_) event_free(ev);
}

void Resolver::Resolve(const std::string& host, Callback cb) {
  if (http::IsIpLiteral(host)) {
    Answer a;
    a.addresses.push_back(host);
    a.ttl_seconds = 86400;
    std::weak_ptr<bool> alive = alive_;
    loop_->Defer([alive, cb, a] {
      if (!alive.expired() && *alive.lock()) cb(a);
    });
    return;
  }
  auto* q = new Query{this, alive_, std::move(cb)};
  struct ares_addrinfo_hints hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_flags = ARES_AI_NOSORT;
  ares_getaddrinfo(channel_, host.c_str(), nullptr, &hints, &Resolver::OnAddrInfo, q);
  ArmTimer();
}

void Resolver::OnAddrInfo(void* arg, int status, int, struct ares_addrinfo* res) {
  std::unique_ptr<Query> q(static_cast<Query*>(arg));
  Answer a;
  if (status != ARES_SUCCESS) {
    a.error = ares_strerror(status);
  } else {
    int ttl = 3600;
    for (struct ares_addrinfo_node* n = res ? res->nodes : nullptr; n; n = n->ai_next) {
      if (n->ai_family != AF_INET) continue;
      char buf[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(n->ai_addr)->sin_addr, buf, sizeof buf);
      a.addresses.push_back(buf);
      ttl = std::min(ttl, n->ai_ttl > 0 ? n->ai_ttl : ttl);
    }
    a.ttl_seconds = ttl;
    if (a.addresses.empty()) a.error = "no IPv4 address";
  }
  if (res) ares_freeaddrinfo(res);
  auto alive = q->alive.lock();
  if (alive && *alive) q->cb(a);
}

void Resolver::OnSockState(void* data, ares_socket_t fd, int readable, int writable) {
  auto* self = static_cast<Resolver*>(data);
  auto it = self->events_.find(fd);
  if (it != self->events_.end()) {
    event_free(it->second);
    self->events_.erase(it);
  }
  if (!readable && !writable) return;
  short what = EV_PERSIST | (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0);
  struct event* ev = event_new(self->loop_->base(), fd, what, &Resolver::OnSocketEvent, self);
  event_add(ev, nullptr);
  self->events_[fd] = ev;
}

void Resolver::OnSocketEvent(int fd, short what, void* arg) {
  auto* self = static_cast<Resolver*>(arg);
  ares_process_fd(self->channel_, (what & EV_READ) ? fd : ARES_SOCKET_BAD, (what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
  self->ArmTimer();
}

void Resolver::ArmTimer() {
  struct timeval tv;
  struct timeval* t = ares_timeout(channel_, nullptr, &tv);
  if (!t) {
    timer_.Cancel();
    return;
  }
  timer_.Start(t->tv_sec * 1000 + t->tv_usec / 1000 + 1);
}

void HostCache::Track(const std::string& host) {
  if (http::IsIpLiteral(host) || entries_.count(host)) return;
  entries_[host] = Entry{};
  Refresh(host);
}

std::optional<std::string> HostCache::Lookup(const std::string& host) const {
  if (http::IsIpLiteral(host)) return host;
  auto it = entries_.find(host);
  if (it == entries_.end() || it->second.address.empty()) return std::nullopt;
  return it->second.address;
}

void HostCache::Tick(int64_t now_ms) {
  for (auto& [host, e] : entries_) {
    if (!e.in_flight && now_ms >= e.expires_ms) Refresh(host);
  }
}

void HostCache::Refresh(const std::string& host) {
  entries_[host].in_flight = true;
  resolver_->Resolve(host, [this, host](const Resolver::Answer& a) {
    Entry& e = entries_[host];
    e.in_flight = false;
    const int64_t now = base::MonoMs();
    if (!a.error.empty()) {
      if (e.last_error != a.error) LOG(WARN) << "resolve " << host << ": " << a.error << (e.address.empty() ? "" : "; keeping " + e.address);
      e.last_error = a.error;
      e.expires_ms = now + limits_.retry_ms;  // retry soon
      return;
    }
    if (e.address != a.addresses.front()) LOG(INFO) << "resolve " << host << ": " << a.addresses.front() << " (ttl " << a.ttl_seconds << " s)";
    e.last_error.clear();
    // Keep the current address while it is still offered (stable rendezvous targets).
    if (std::find(a.addresses.begin(), a.addresses.end(), e.address) == a.addresses.end()) e.address = a.addresses.front();
    e.expires_ms = now + std::clamp<int64_t>(a.ttl_seconds, limits_.min_ttl_s, limits_.max_ttl_s) * 1000;
  });
}

}  // namespace cdn::net
