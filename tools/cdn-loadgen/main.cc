// cdn-loadgen: RTMP, HTTP-FLV and HLS viewers and RTMP publishers by the thousand, on one or
// more event-loop threads, for integration tests, benchmarks and operators. Usage: --help.
#include <sys/resource.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lib/base/log.h"
#include "lib/net/event_loop.h"
#include "tools/cdn-loadgen/client.h"
#include "tools/cdn-loadgen/flv_player.h"
#include "tools/cdn-loadgen/hls_player.h"
#include "tools/cdn-loadgen/report.h"
#include "tools/cdn-loadgen/rtmp_player.h"
#include "tools/cdn-loadgen/rtmp_publisher.h"

namespace cdn::loadgen {
namespace {

constexpr int kMaxConnections = 100000;
constexpr int kMaxThreads = 64;
constexpr double kMaxDuration = 24 * 3600;
constexpr int64_t kRampTickMs = 10;

std::atomic<bool> g_stop{false};

const char kUsage[] =
    "usage: cdn-loadgen MODE [options]\n"
    "modes (one):\n"
    "  --rtmp-play URL        RTMP viewers: rtmp://host:port/app/stream[?query]\n"
    "  --flv-play URL         HTTP-FLV viewers: http://host:port/app/stream.flv[?query]\n"
    "  --hls-play URL         HLS viewers (playlist polling + segments, like hls.js)\n"
    "  --rtmp-publish URL --file F.flv\n"
    "                         RTMP publishers sending F.flv in real time, looped\n"
    "  '{i}' in the URL is replaced by the client's index (0..N-1).\n"
    "options:\n"
    "  -n, --connections N    clients (default 1, at most 100000)\n"
    "  --ramp R               new connections per second (default 500)\n"
    "  --duration S           seconds from the first connect to the end (default 10)\n"
    "  --threads T            event-loop threads (default 1)\n"
    "  --timeout MS           connect timeout; idle reads fail after twice this (default 5000)\n"
    "  --json                 one JSON object instead of the text report\n"
    "Exit status: 0 when every client connected and ran to the end, 1 otherwise, 2 on bad usage.\n";

struct Options {
  std::string mode, url, file;
  int connections = 1;
  double ramp = 500;
  double duration = 10;
  int threads = 1;
  int64_t timeout_ms = 5000;
  bool json = false;
};

bool ParseArgs(int argc, char** argv, Options* o, std::string* err) {
  auto value = [&](int& i) -> const char* {
    if (i + 1 >= argc) return nullptr;
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    const char* v = nullptr;
    if (a == "--rtmp-play" || a == "--flv-play" || a == "--hls-play" || a == "--rtmp-publish") {
      if (!o->mode.empty()) return *err = "only one mode per run", false;
      if (!(v = value(i))) return *err = a + " needs a URL", false;
      o->mode = a.substr(2);
      o->url = v;
    } else if (a == "--file") {
      if (!(v = value(i))) return *err = "--file needs a path", false;
      o->file = v;
    } else if (a == "-n" || a == "--connections") {
      if (!(v = value(i))) return *err = a + " needs a number", false;
      o->connections = atoi(v);
    } else if (a == "--ramp") {
      if (!(v = value(i))) return *err = "--ramp needs a rate", false;
      o->ramp = atof(v);  // "200" or "200/s"
    } else if (a == "--duration") {
      if (!(v = value(i))) return *err = "--duration needs seconds", false;
      o->duration = atof(v);
    } else if (a == "--threads") {
      if (!(v = value(i))) return *err = "--threads needs a number", false;
      o->threads = atoi(v);
    } else if (a == "--timeout") {
      if (!(v = value(i))) return *err = "--timeout needs milliseconds", false;
      o->timeout_ms = atoll(v);
    } else if (a == "--json") {
      o->json = true;
    } else if (a == "-h" || a == "--help") {
      return *err = "", false;
    } else {
      return *err = "unknown argument " + a, false;
    }
  }
  if (o->mode.empty()) return *err = "a mode is required", false;
  if (o->mode == "rtmp-publish" && o->file.empty()) return *err = "--rtmp-publish needs --file", false;
  if (o->connections < 1 || o->connections > kMaxConnections) return *err = "--connections must be 1..100000", false;
  if (!(o->ramp > 0)) return *err = "--ramp must be > 0", false;
  if (!(o->duration > 0) || o->duration > kMaxDuration) return *err = "--duration must be in (0, 86400]", false;
  if (o->threads < 1 || o->threads > kMaxThreads) return *err = "--threads must be 1..64", false;
  if (o->timeout_ms < 100 || o->timeout_ms > 600000) return *err = "--timeout must be 100..600000", false;
  return true;
}

std::string ForIndex(const std::string& url, int i) {
  std::string out = url;
  for (size_t p; (p = out.find("{i}")) != std::string::npos;) out.replace(p, 3, std::to_string(i));
  return out;
}

// Builds client `i` or says why the URL is unusable.
base::Result<std::unique_ptr<Client>> MakeClient(const Options& o, int i, net::EventLoop* loop,
                                                 const std::shared_ptr<const FlvFile>& file) {
  const std::string url = ForIndex(o.url, i);
  if (o.mode == "rtmp-play" || o.mode == "rtmp-publish") {
    auto t = ParseRtmpUrl(url);
    if (!t.ok()) return t.status();
    if (o.mode == "rtmp-play") return std::unique_ptr<Client>(new RtmpPlayer(loop, *t, o.timeout_ms));
    return std::unique_ptr<Client>(new RtmpPublisher(loop, *t, file, o.timeout_ms));
  }
  if (o.mode == "flv-play") {
    auto t = ParseHttpUrl(url);
    if (!t.ok()) return t.status();
    return std::unique_ptr<Client>(new FlvPlayer(loop, *t, o.timeout_ms));
  }
  return std::unique_ptr<Client>(new HlsPlayer(loop, url, o.timeout_ms));
}

// One event-loop thread running clients w, w+T, w+2T, ... ramped at R/T per second.
void RunWorker(const Options& o, int w, int64_t t0_us, const std::shared_ptr<const FlvFile>& file,
               std::vector<ClientStats>* out) {
  net::EventLoop loop;
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<int> indices;
  for (int i = w; i < o.connections; i += o.threads) indices.push_back(i);
  const double rate = o.ramp / o.threads;
  const int64_t end_us = t0_us + static_cast<int64_t>(o.duration * 1e6);
  size_t started = 0;
  std::vector<ClientStats> bad;  // clients whose URL did not even parse

  auto finish = [&] {
    for (auto& c : clients) c->Finish();
    loop.Stop();
  };
  std::function<void()> tick;
  net::Timer ramp(&loop, [&] { tick(); });
  tick = [&] {
    const int64_t now = NowUs();
    const size_t due = std::min(indices.size(), static_cast<size_t>(static_cast<double>(now - t0_us) / 1e6 * rate) + 1);
    for (; started < due; ++started) {
      auto c = MakeClient(o, indices[started], &loop, file);
      if (!c.ok()) {
        ClientStats s;
        s.start_us = s.end_us = now;
        s.failure = c.status().message();
        bad.push_back(s);
        continue;
      }
      clients.push_back(std::move(*c));
      clients.back()->Start();
    }
    if (started == indices.size()) ramp.Cancel();
  };
  net::Timer end(&loop, finish);
  net::Timer watch(&loop, [&] {
    if (g_stop.load()) return finish();
    // Every client of this thread started and ended (failed, say): nothing left to wait for.
    if (started < indices.size()) return;
    for (auto& c : clients)
      if (!c->stats().end_us) return;
    finish();
  });
  ramp.Start(kRampTickMs, true);
  tick();
  end.Start(std::max<int64_t>(0, (end_us - NowUs()) / 1000));
  watch.Start(100, true);
  loop.Run();
  ramp.Cancel();
  watch.Cancel();
  for (auto& c : clients) out->push_back(c->stats());
  for (auto& s : bad) out->push_back(s);
  clients.clear();  // on this thread, while the loop still exists
}

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int Main(int argc, char** argv) {
  Options o;
  std::string err;
  if (!ParseArgs(argc, argv, &o, &err)) {
    fprintf(stderr, "%s%s%s", err.c_str(), err.empty() ? "" : "\n", kUsage);
    return err.empty() ? 0 : 2;
  }
  base::SetLogLevel(base::LogLevel::kWarn);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGINT, [](int) { g_stop = true; });
  signal(SIGTERM, [](int) { g_stop = true; });
  // Each connection is a descriptor: take the hard limit.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }

  std::shared_ptr<const FlvFile> file;
  if (o.mode == "rtmp-publish") {
    auto f = LoadFlvFile(o.file);
    if (!f.ok()) {
      fprintf(stderr, "cdn-loadgen: %s\n", f.status().message().c_str());
      return 2;
    }
    file = *f;
  }

  const double cpu0 = CpuSeconds();
  const int64_t t0 = NowUs();
  std::vector<std::vector<ClientStats>> results(o.threads);
  std::vector<std::thread> threads;
  for (int w = 0; w < o.threads; ++w) {
    threads.emplace_back([&, w] { RunWorker(o, w, t0, file, &results[w]); });
  }
  for (auto& t : threads) t.join();

  RunInfo run;
  run.mode = o.mode;
  run.url = o.url;
  run.connections = o.connections;
  run.threads = o.threads;
  run.ramp_per_s = o.ramp;
  run.duration_s = o.duration;
  run.wall_s = static_cast<double>(NowUs() - t0) / 1e6;
  run.cpu_s = CpuSeconds() - cpu0;
  std::vector<const ClientStats*> all;
  for (auto& r : results)
    for (auto& s : r) all.push_back(&s);
  Summary s = Summarize(all);
  const std::string text = o.json ? FormatJson(run, s) : FormatText(run, s);
  fwrite(text.data(), 1, text.size(), stdout);
  return s.failed == 0 && s.connected == s.connections ? 0 : 1;
}

}  // namespace
}  // namespace cdn::loadgen

int main(int argc, char** argv) { return cdn::loadgen::Main(argc, argv); }
