// dns-cares-client: resolves a name through c-ares against one server, the way an application
// does (ares_gethostbyname follows the CNAME chain), for the integration tests.
//   dns-cares-client --server 127.0.0.1:5353 [--source 127.0.2.5] [--timeout-ms 2000] <name>
// Prints "cname <alias>" for each alias, "name <canonical>", then "A <address>" lines; exit 0
// on success, 1 on a DNS error (printed), 2 on usage errors.
#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/select.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace {

struct Result {
  bool done = false;
  int status = ARES_SUCCESS;
};

void OnHost(void* arg, int status, int, struct hostent* h) {
  auto* r = static_cast<Result*>(arg);
  r->done = true;
  r->status = status;
  if (status != ARES_SUCCESS || h == nullptr) return;
  for (char** a = h->h_aliases; a != nullptr && *a != nullptr; ++a) printf("cname %s\n", *a);
  printf("name %s\n", h->h_name);
  for (char** p = h->h_addr_list; p != nullptr && *p != nullptr; ++p) {
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(h->h_addrtype, *p, buf, sizeof buf);
    printf("%s %s\n", h->h_addrtype == AF_INET ? "A" : "AAAA", buf);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string server, source, name;
  int timeout_ms = 2000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--server" && i + 1 < argc) server = argv[++i];
    else if (a == "--source" && i + 1 < argc) source = argv[++i];
    else if (a == "--timeout-ms" && i + 1 < argc) timeout_ms = std::stoi(argv[++i]);
    else name = a;
  }
  if (server.empty() || name.empty()) {
    fprintf(stderr, "usage: dns-cares-client --server host:port [--source ip] <name>\n");
    return 2;
  }
  if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) return 2;
  ares_channel channel;
  struct ares_options opts;
  memset(&opts, 0, sizeof opts);
  opts.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
  opts.timeout = timeout_ms;
  opts.tries = 2;
  opts.lookups = const_cast<char*>("b");  // DNS only, not /etc/hosts
  int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS;
  if (ares_init_options(&channel, &opts, mask) != ARES_SUCCESS) return 2;
  if (ares_set_servers_ports_csv(channel, server.c_str()) != ARES_SUCCESS) {
    fprintf(stderr, "bad server %s\n", server.c_str());
    return 2;
  }
  if (!source.empty()) {
    in_addr a;
    if (inet_pton(AF_INET, source.c_str(), &a) != 1) return 2;
    ares_set_local_ip4(channel, ntohl(a.s_addr));
  }
  Result r;
  ares_gethostbyname(channel, name.c_str(), AF_INET, &OnHost, &r);
  for (int rounds = 0; !r.done && rounds < 1000; ++rounds) {
    fd_set readers, writers;
    FD_ZERO(&readers);
    FD_ZERO(&writers);
    int nfds = ares_fds(channel, &readers, &writers);
    if (nfds == 0) break;
    struct timeval tv;
    struct timeval* tvp = ares_timeout(channel, nullptr, &tv);
    select(nfds, &readers, &writers, nullptr, tvp);
    ares_process(channel, &readers, &writers);
  }
  ares_destroy(channel);
  ares_library_cleanup();
  if (!r.done || r.status != ARES_SUCCESS) {
    printf("error %s\n", r.done ? ares_strerror(r.status) : "no answer");
    return 1;
  }
  return 0;
}
