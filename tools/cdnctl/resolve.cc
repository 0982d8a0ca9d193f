// cdnctl resolve: asks a DNS server through c-ares, as an application would, following the
// CNAME chain; --client-ip adds EDNS Client Subnet (RFC 7871) to a hand-built query sent with
// ares_send, so one machine can see what a client elsewhere would get; --explain asks the
// scheduler's admin API which rule picked which edge.
#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/select.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "lib/base/bytes.h"
#include "lib/http/query.h"
#include "tools/cdnctl/commands.h"

namespace cdn::cdnctl {

namespace {

struct Answer {
  bool done = false;
  int status = ARES_SUCCESS;
  std::vector<unsigned char> buf;
};

// RFC 1035 4.1 query for `name` type A with RD, plus an OPT RR (RFC 6891) carrying ECS
// (RFC 7871 6: family 1, source prefix /24 for IPv4 clients, scope 0) when `client` is set.
std::string BuildQuery(const std::string& name, const std::string& client, uint16_t id) {
  std::string q;
  base::PutU16(&q, id);
  base::PutU16(&q, 0x0100);  // RD
  base::PutU16(&q, 1);
  base::PutU16(&q, 0);
  base::PutU16(&q, 0);
  base::PutU16(&q, client.empty() ? 0 : 1);
  size_t start = 0;
  std::string n = name;
  if (!n.empty() && n.back() == '.') n.pop_back();
  while (start <= n.size()) {
    size_t dot = n.find('.', start);
    std::string label = n.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (label.empty()) break;
    base::PutU8(&q, static_cast<uint8_t>(label.size()));
    q += label;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  base::PutU8(&q, 0);
  base::PutU16(&q, 1);  // A
  base::PutU16(&q, 1);  // IN
  if (!client.empty()) {
    in_addr a;
    inet_pton(AF_INET, client.c_str(), &a);
    const unsigned char* b = reinterpret_cast<const unsigned char*>(&a);
    base::PutU8(&q, 0);          // root
    base::PutU16(&q, 41);        // OPT
    base::PutU16(&q, 1232);      // UDP payload size
    base::PutU32(&q, 0);         // ext rcode, version, flags
    base::PutU16(&q, 4 + 2 + 2 + 3);
    base::PutU16(&q, 8);         // option ECS
    base::PutU16(&q, 2 + 2 + 3);
    base::PutU16(&q, 1);         // IPv4
    base::PutU8(&q, 24);         // source prefix
    base::PutU8(&q, 0);          // scope
    q.append(reinterpret_cast<const char*>(b), 3);
  }
  return q;
}

void OnAnswer(void* arg, int status, int, unsigned char* abuf, int alen) {
  auto* a = static_cast<Answer*>(arg);
  a->done = true;
  a->status = status;
  if (abuf && alen > 0) a->buf.assign(abuf, abuf + alen);
}

}  // namespace

int ResolveCommand(const Args& a) {
  if (a.positional.size() < 2) {
    fprintf(stderr, "usage: cdnctl resolve <name> [--server H:P] [--client-ip IP] [--explain [--admin H:P]] [--json]\n");
    return 2;
  }
  const std::string name = a.positional[1];
  const std::string server = a.Get("server", "127.0.0.1:5353");
  const std::string client = a.Get("client-ip");
  if (!client.empty()) {
    in_addr tmp;
    if (inet_pton(AF_INET, client.c_str(), &tmp) != 1) return fprintf(stderr, "cdnctl: --client-ip must be an IPv4 address\n"), 2;
  }
  if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) return 1;
  ares_channel channel;
  struct ares_options opts;
  memset(&opts, 0, sizeof opts);
  opts.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_EDNS;
  opts.timeout = 2000;
  opts.tries = 2;
  opts.lookups = const_cast<char*>("b");
  if (ares_init_options(&channel, &opts, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS) != ARES_SUCCESS)
    return 1;
  if (ares_set_servers_ports_csv(channel, server.c_str()) != ARES_SUCCESS) {
    ares_destroy(channel);
    return fprintf(stderr, "cdnctl: bad --server %s\n", server.c_str()), 2;
  }
  std::vector<std::string> chain;  // names that were CNAMEs, in order
  std::string canonical_;
  std::vector<std::pair<std::string, int>> addrs;
  std::string current = name;
  std::string error;
  for (int hop = 0; hop < 8 && addrs.empty() && error.empty(); ++hop) {
    std::string q = BuildQuery(current, client, static_cast<uint16_t>(0x4c00 + hop));
    Answer ans;
    ares_send(channel, reinterpret_cast<const unsigned char*>(q.data()), static_cast<int>(q.size()), &OnAnswer, &ans);
    for (int rounds = 0; !ans.done && rounds < 1000; ++rounds) {
      fd_set r, w;
      FD_ZERO(&r);
      FD_ZERO(&w);
      int nfds = ares_fds(channel, &r, &w);
      if (nfds == 0) break;
      struct timeval tv;
      struct timeval* tvp = ares_timeout(channel, nullptr, &tv);
      select(nfds, &r, &w, nullptr, tvp);
      ares_process(channel, &r, &w);
    }
    if (!ans.done || ans.status != ARES_SUCCESS) {
      error = ans.done ? ares_strerror(ans.status) : "no answer";
      break;
    }
    struct hostent* host = nullptr;
    struct ares_addrttl ttls[16];
    int nttl = 16;
    int st = ares_parse_a_reply(ans.buf.data(), static_cast<int>(ans.buf.size()), &host, ttls, &nttl);
    if (st != ARES_SUCCESS && st != ARES_ENODATA) {
      error = ares_strerror(st);
      break;
    }
    if (host) {
      for (char** al = host->h_aliases; al && *al; ++al) chain.push_back(*al);
      std::string canonical = host->h_name ? host->h_name : current;
      canonical_ = canonical;
      for (int i = 0; i < nttl; ++i) {
        char buf[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &ttls[i].ipaddr, buf, sizeof buf);
        addrs.emplace_back(buf, ttls[i].ttl);
      }
      ares_free_hostent(host);
      if (addrs.empty() && canonical != current) {
        current = canonical;  // a CNAME pointing outside the answer: follow it
        continue;
      }
    }
    if (addrs.empty()) error = "no A records";
  }
  ares_destroy(channel);
  ares_library_cleanup();
  if (a.Has("json")) {
    printf("{\"name\": %s, \"canonical\": %s, \"cnames\": [", base::JsonQuote(name).c_str(),
           base::JsonQuote(canonical_.empty() ? name : canonical_).c_str());
    for (size_t i = 0; i < chain.size(); ++i) printf("%s%s", i ? ", " : "", base::JsonQuote(chain[i]).c_str());
    printf("], \"addresses\": [");
    for (size_t i = 0; i < addrs.size(); ++i) printf("%s{\"address\": \"%s\", \"ttl\": %d}", i ? ", " : "", addrs[i].first.c_str(), addrs[i].second);
    printf("]%s%s}\n", error.empty() ? "" : ", \"error\": ", error.empty() ? "" : base::JsonQuote(error).c_str());
  } else {
    printf("%s%s\n", name.c_str(), client.empty() ? "" : (" (as seen from client subnet " + client + "/24)").c_str());
    for (size_t i = 0; i < chain.size(); ++i) {
      const std::string& next = i + 1 < chain.size() ? chain[i + 1] : canonical_;
      printf("  %s CNAME %s\n", chain[i].c_str(), next.c_str());
    }
    for (const auto& [ip, ttl] : addrs) printf("  A %s (ttl %d)\n", ip.c_str(), ttl);
    if (!error.empty()) printf("  error: %s\n", error.c_str());
  }
  if (a.Has("explain")) {
    const std::string admin = a.Get("admin", "127.0.0.1:8083");
    std::string target = canonical_.empty() ? name : canonical_;
    std::string url = "http://" + admin + "/api/v1/resolve?name=" + http::PercentEncode(target) +
                      (client.empty() ? "" : "&ip=" + client);
    auto r = HttpCall("GET", url, {}, "", 5000);
    if (!r.ok()) {
      fprintf(stderr, "cdnctl: --explain: %s\n", r.status().message().c_str());
      return 1;
    }
    printf("explain (%s):\n%s", url.c_str(), r->body.c_str());
  }
  return error.empty() ? 0 : 1;
}

}  // namespace cdn::cdnctl
