#include "dns-scheduler/dns_server.h"

#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <random>
#include <unordered_map>

#include "dns-scheduler/query_handler.h"
#include "lib/base/log.h"
#include "lib/dns/wire.h"
#include "lib/net/event_loop.h"
#include "lib/net/tcp_connection.h"
#include "lib/net/udp_socket.h"

namespace cdn::sched {
namespace {

IpAddr FromSockaddr(const sockaddr* sa) {
  IpAddr a;
  if (sa->sa_family == AF_INET) {
    a.family = 4;
    std::memcpy(a.bytes, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, 4);
  } else if (sa->sa_family == AF_INET6) {
    const auto* s6 = reinterpret_cast<const sockaddr_in6*>(sa);
    if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
      a.family = 4;
      std::memcpy(a.bytes, reinterpret_cast<const uint8_t*>(&s6->sin6_addr) + 12, 4);
    } else {
      a.family = 6;
      std::memcpy(a.bytes, &s6->sin6_addr, 16);
    }
  }
  return a;
}

constexpr size_t kTcpMaxPendingOutput = 256 * 1024;  // stop reading a peer that does not read

}  // namespace

struct DnsServer::Worker {
  net::EventLoop loop;
  WorkerStats stats;
  std::unique_ptr<QueryHandler> handler;
  std::vector<std::unique_ptr<net::UdpServer>> udp;
  std::vector<std::unique_ptr<net::TcpListener>> tcp;
  std::unordered_map<TcpSession*, std::unique_ptr<TcpSession>> sessions;
  std::vector<uint8_t> tcp_out = std::vector<uint8_t>(2 + dns::kMaxMessage);
  std::thread thread;
  std::atomic<bool> exited{false};
};

// One TCP client: length-prefixed messages (RFC 1035 4.2.2), any number per connection,
// answered in order as they complete (RFC 7766 6.2.1.1 pipelining).
class DnsServer::TcpSession : public net::TcpConnection::Delegate {
 public:
  TcpSession(Worker* w, int fd, const sockaddr* peer, int64_t idle_ms)
      : w_(w), peer_(FromSockaddr(peer)), conn_(&w->loop, fd, net::SockaddrToString(peer)) {
    conn_.Start(this, 0);
    conn_.SetReadTimeout(idle_ms);
  }

  void OnData(std::string_view data) override {
    buf_.append(data);
    size_t off = 0;
    while (buf_.size() - off >= 2) {
      size_t len = (static_cast<uint8_t>(buf_[off]) << 8) | static_cast<uint8_t>(buf_[off + 1]);
      if (buf_.size() - off - 2 < len) break;
      std::string_view msg(buf_.data() + off + 2, len);
      off += 2 + len;
      uint8_t* out = w_->tcp_out.data();
      size_t n = w_->handler->Handle(msg, peer_, /*tcp=*/true, out + 2);
      if (n == 0) {
        // Garbage on a stream: stop talking to it.
        conn_.Close(true);
        break;
      }
      out[0] = static_cast<uint8_t>(n >> 8);
      out[1] = static_cast<uint8_t>(n & 0xff);
      conn_.Write(std::string_view(reinterpret_cast<char*>(out), n + 2));
    }
    buf_.erase(0, off);
    if (conn_.pending_output() > kTcpMaxPendingOutput) conn_.PauseReading(true);
  }
  void OnWritable() override { conn_.PauseReading(false); }
  void OnClosed(std::string_view) override {
    Worker* w = w_;
    TcpSession* self = this;
    w->stats.tcp_open.Set(w->stats.tcp_open.value() - 1);
    // Never destroy the connection inside its own callback.
    w->loop.Defer([w, self] { w->sessions.erase(self); });
  }

 private:
  Worker* w_;
  IpAddr peer_;
  net::TcpConnection conn_;
  std::string buf_;
};

DnsServer::DnsServer(const SchedulerConfig& config, const RoutingHolder* routing)
    : config_(config), routing_(routing) {}

DnsServer::~DnsServer() { Stop(); }

base::Status DnsServer::Start() {
  std::random_device rd;
  for (int i = 0; i < config_.workers; ++i) {
    auto w = std::make_unique<Worker>();
    uint64_t seed = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ static_cast<uint64_t>(i);
    w->handler = std::make_unique<QueryHandler>(routing_, &w->stats, config_.edns_udp_size, seed);
    workers_.push_back(std::move(w));
  }
  net::UdpOptions opt;
  opt.reuseport = true;
  opt.rcvbuf = config_.udp_rcvbuf;
  opt.sndbuf = config_.udp_sndbuf;
  opt.max_reply = std::max<size_t>(config_.edns_udp_size, dns::kMaxUdpNoEdns);
  // One address: a UDP socket per worker (SO_REUSEPORT) and one TCP listener on the same port.
  auto listen_on = [&](config::HostPort hp) -> base::Status {
    for (size_t wi = 0; wi < workers_.size(); ++wi) {
      Worker* w = workers_[wi].get();
      auto handler = [w](std::string_view in, const sockaddr* peer, uint8_t* out, size_t cap) -> size_t {
        (void)cap;  // QueryHandler keeps UDP answers within edns_udp_size, which sized `cap`
        return w->handler->Handle(in, FromSockaddr(peer), /*tcp=*/false, out);
      };
      auto udp = net::UdpServer::Bind(&w->loop, hp, opt, handler);
      if (!udp.ok()) {
        for (size_t k = 0; k < wi; ++k) workers_[k]->udp.pop_back();  // this address's UDP sockets
        return udp.status();
      }
      if (hp.port == 0) hp.port = (*udp)->port();  // every other socket joins this port
      rcvbuf_ = (*udp)->rcvbuf();
      w->udp.push_back(std::move(*udp));
    }
    Worker* w0 = workers_[0].get();
    int64_t idle = config_.tcp_idle_timeout_ms;
    int max_conns = config_.tcp_max_connections;
    auto tcp = net::TcpListener::Listen(&w0->loop, hp, [w0, idle, max_conns](int fd, const sockaddr* peer) {
      if (static_cast<int>(w0->sessions.size()) >= max_conns) {
        w0->stats.tcp_rejected.Inc();
        close(fd);
        return;
      }
      w0->stats.tcp_accepted.Inc();
      w0->stats.tcp_open.Set(w0->stats.tcp_open.value() + 1);
      auto s = std::make_unique<TcpSession>(w0, fd, peer, idle);
      TcpSession* key = s.get();
      w0->sessions.emplace(key, std::move(s));
    });
    if (!tcp.ok()) {
      for (auto& wk : workers_) wk->udp.pop_back();  // this address's UDP sockets
      return tcp.status().WithContext("DNS over TCP");
    }
    w0->tcp.push_back(std::move(*tcp));
    ports_.push_back(hp.port);
    LOG(INFO) << "DNS on " << hp.ToString() << " (UDP x" << workers_.size() << " workers, TCP), SO_RCVBUF "
              << rcvbuf_;
    return base::Status::Ok();
  };
  for (const auto& listen : config_.listen) {
    // Port 0 (tests): UDP picks a free port and TCP joins that number, which a TCP socket (any
    // client's ephemeral port) may hold already: pick again.
    base::Status st = listen_on(listen);
    for (int attempt = 1; !st.ok() && listen.port == 0 && attempt < 20; ++attempt) {
      LOG(INFO) << "port 0: " << st.message() << "; picking another port";
      st = listen_on(listen);
    }
    if (!st.ok()) return st;
  }
  for (auto& w : workers_) {
    Worker* wp = w.get();
    wp->thread = std::thread([wp] {
      wp->loop.Run();
      wp->exited = true;
    });
  }
  started_ = true;
  return base::Status::Ok();
}

void DnsServer::Stop() {
  if (!started_) return;
  started_ = false;
  for (auto& w : workers_) {
    // libevent forgets a loopbreak that lands before the loop started: repeat until it exits.
    for (int i = 0; i < 2000 && !w->exited; ++i) {
      w->loop.Stop();
      if (!w->exited) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (w->thread.joinable()) w->thread.join();
  }
  for (auto& w : workers_) {
    w->sessions.clear();
    w->tcp.clear();
    w->udp.clear();
  }
}

std::vector<const WorkerStats*> DnsServer::stats() const {
  std::vector<const WorkerStats*> out;
  for (const auto& w : workers_) out.push_back(&w->stats);
  return out;
}

void DnsServer::SampleKernelDrops() {
  for (auto& w : workers_) {
    uint64_t d = 0;
    for (const auto& u : w->udp) d += u->kernel_drops();
    w->stats.udp_rx_drops.Set(d);
  }
}

}  // namespace cdn::sched
