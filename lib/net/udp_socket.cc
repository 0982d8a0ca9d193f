#include "lib/net/udp_socket.h"

#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lib/net/tcp_connection.h"  // MakeSockaddr

namespace cdn::net {

// Per-datagram buffers, reused for every batch.
struct UdpServer::Slots {
  mmsghdr in_msgs[kBatch];
  iovec in_iov[kBatch];
  sockaddr_storage peers[kBatch];
  alignas(cmsghdr) char in_ctl[kBatch][128];
  mmsghdr out_msgs[kBatch];
  iovec out_iov[kBatch];
  alignas(cmsghdr) char out_ctl[kBatch][64];
  std::vector<uint8_t> in_buf;
  std::vector<uint8_t> out_buf;
};

base::Result<std::unique_ptr<UdpServer>> UdpServer::Bind(EventLoop* loop, const config::HostPort& addr,
                                                         const UdpOptions& options, Handler handler) {
  sockaddr_storage ss;
  socklen_t len;
  CDN_RETURN_IF_ERROR(MakeSockaddr(addr, &ss, &len));
  std::unique_ptr<UdpServer> s(new UdpServer());
  s->options_ = options;
  s->handler_ = std::move(handler);
  s->family_ = ss.ss_family;
  s->fd_ = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->fd_ < 0) return base::Status::Io(std::string("socket: ") + strerror(errno));
  int one = 1;
  if (options.reuseport) setsockopt(s->fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (options.rcvbuf > 0) {
    int v = static_cast<int>(std::min<size_t>(options.rcvbuf, 1u << 30));
    // FORCE lifts the rmem_max cap when we may (root / CAP_NET_ADMIN), else the plain option.
    if (setsockopt(s->fd_, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) != 0) {
      setsockopt(s->fd_, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
    }
  }
  if (options.sndbuf > 0) {
    int v = static_cast<int>(std::min<size_t>(options.sndbuf, 1u << 30));
    if (setsockopt(s->fd_, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v) != 0) {
      setsockopt(s->fd_, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    }
  }
  setsockopt(s->fd_, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  if (ss.ss_family == AF_INET) {
    s->wildcard_ = reinterpret_cast<sockaddr_in*>(&ss)->sin_addr.s_addr == htonl(INADDR_ANY);
    if (s->wildcard_) setsockopt(s->fd_, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
  } else {
    s->wildcard_ = IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr);
    if (s->wildcard_) setsockopt(s->fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
  }
  if (bind(s->fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    int e = errno;
    close(s->fd_);
    s->fd_ = -1;
    return base::Status::Io("cannot bind UDP " + addr.ToString() + ": " + strerror(e));
  }
  sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  getsockname(s->fd_, reinterpret_cast<sockaddr*>(&bound), &blen);
  s->port_ = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                              : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  int granted = 0;
  socklen_t glen = sizeof granted;
  getsockopt(s->fd_, SOL_SOCKET, SO_RCVBUF, &granted, &glen);
  s->rcvbuf_ = static_cast<size_t>(granted);

  s->slots_ = std::make_unique<Slots>();
  s->slots_->in_buf.resize(kBatch * (options.max_datagram + 1));
  s->slots_->out_buf.resize(kBatch * options.max_reply);
  s->ev_ = event_new(loop->base(), s->fd_, EV_READ | EV_PERSIST, &UdpServer::OnReadable, s.get());
  event_add(s->ev_, nullptr);
  return s;
}

UdpServer::~UdpServer() {
  if (ev_) event_free(ev_);
  if (fd_ >= 0) close(fd_);
}

void UdpServer::OnReadable(int, short, void* arg) { static_cast<UdpServer*>(arg)->Drain(); }

void UdpServer::Drain() {
  Slots& s = *slots_;
  const size_t in_cap = options_.max_datagram + 1;  // +1 to notice oversized datagrams
  // Bounded: give other events on this loop (TCP, timers) a turn under sustained load.
  for (int round = 0; round < 16; ++round) {
    for (int i = 0; i < kBatch; ++i) {
      s.in_iov[i] = {s.in_buf.data() + i * in_cap, in_cap};
      msghdr& h = s.in_msgs[i].msg_hdr;
      h.msg_name = &s.peers[i];
      h.msg_namelen = sizeof(sockaddr_storage);
      h.msg_iov = &s.in_iov[i];
      h.msg_iovlen = 1;
      h.msg_control = s.in_ctl[i];
      h.msg_controllen = sizeof(s.in_ctl[i]);
      h.msg_flags = 0;
      s.in_msgs[i].msg_len = 0;
    }
    int n = recvmmsg(fd_, s.in_msgs, kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return;
    int out = 0;
    for (int i = 0; i < n; ++i) {
      msghdr& h = s.in_msgs[i].msg_hdr;
      // Control data: the kernel's drop counter, the local address the datagram came to.
      in_pktinfo* pi4 = nullptr;
      in6_pktinfo* pi6 = nullptr;
      for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
          uint32_t drops;
          std::memcpy(&drops, CMSG_DATA(c), sizeof drops);
          kernel_drops_.store(drops, std::memory_order_relaxed);
        } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
          pi4 = reinterpret_cast<in_pktinfo*>(CMSG_DATA(c));
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
          pi6 = reinterpret_cast<in6_pktinfo*>(CMSG_DATA(c));
        }
      }
      if ((h.msg_flags & MSG_TRUNC) || s.in_msgs[i].msg_len > options_.max_datagram) {
        oversized_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      uint8_t* reply = s.out_buf.data() + out * options_.max_reply;
      size_t rn = handler_(std::string_view(reinterpret_cast<char*>(s.in_iov[i].iov_base), s.in_msgs[i].msg_len),
                           reinterpret_cast<sockaddr*>(&s.peers[i]), reply, options_.max_reply);
      if (rn == 0) continue;
      s.out_iov[out] = {reply, rn};
      msghdr& o = s.out_msgs[out].msg_hdr;
      std::memset(&o, 0, sizeof o);
      o.msg_name = &s.peers[i];
      o.msg_namelen = h.msg_namelen;
      o.msg_iov = &s.out_iov[out];
      o.msg_iovlen = 1;
      if (wildcard_ && (pi4 != nullptr || pi6 != nullptr)) {
        // Answer from the address that was asked (a wildcard socket would pick its own).
        o.msg_control = s.out_ctl[out];
        if (pi4 != nullptr) {
          o.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
          cmsghdr* c = CMSG_FIRSTHDR(&o);
          c->cmsg_level = IPPROTO_IP;
          c->cmsg_type = IP_PKTINFO;
          c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
          in_pktinfo info;
          std::memset(&info, 0, sizeof info);
          info.ipi_spec_dst = pi4->ipi_addr;
          std::memcpy(CMSG_DATA(c), &info, sizeof info);
        } else {
          o.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
          cmsghdr* c = CMSG_FIRSTHDR(&o);
          c->cmsg_level = IPPROTO_IPV6;
          c->cmsg_type = IPV6_PKTINFO;
          c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
          in6_pktinfo info;
          std::memset(&info, 0, sizeof info);
          info.ipi6_addr = pi6->ipi6_addr;
          std::memcpy(CMSG_DATA(c), &info, sizeof info);
        }
      }
      ++out;
    }
    int sent = 0;
    while (sent < out) {
      int r = sendmmsg(fd_, s.out_msgs + sent, out - sent, MSG_DONTWAIT);
      if (r > 0) {
        sent += r;
        continue;
      }
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        // One bad destination (e.g. a spoofed, unroutable source) must not drop the rest.
        send_failures_.fetch_add(1, std::memory_order_relaxed);
        ++sent;
        continue;
      }
      send_failures_.fetch_add(out - sent, std::memory_order_relaxed);  // send buffer full: drop rather than block the loop
      break;
    }
    if (n < kBatch) return;
  }
}

}  // namespace cdn::net
