#include "lib/net/hls_sessions.h"

#include "lib/base/log.h"
#include "lib/net/http_server.h"

namespace cdn::net {

HlsViewer MakeHlsViewer(const HttpExchange& ex, std::string domain, live::StreamKey key) {
  HlsViewer v;
  v.peer = ex.peer();
  const size_t colon = v.peer.rfind(':');
  v.id = v.peer.substr(0, colon == std::string::npos ? v.peer.size() : colon);
  v.id += '\n';
  const std::string ua = ex.header("User-Agent");
  v.relay = IsEdgeClient(ua);
  v.id += ua;
  v.id += '\n';
  v.id += ex.query();
  v.domain = std::move(domain);
  v.key = std::move(key);
  return v;
}

HlsSessions::HlsSessions(LiveStats* stats, LivePolicy* policy, int64_t idle_ms, size_t max_sessions)
    : stats_(stats), policy_(policy), idle_ms_(idle_ms), max_sessions_(max_sessions) {}

void HlsSessions::Count(const HlsViewer& viewer, uint64_t bytes, int64_t now_ms) {
  if (viewer.relay) return;
  const std::string stream = viewer.key.ToString();
  std::string id = viewer.id;
  id += '\n';
  id += stream;
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    if (sessions_.size() >= max_sessions_) {
      ++untracked_;
      return;
    }
    it = sessions_.emplace(std::move(id), Entry{}).first;
    stats_->StartSession(&it->second.session, Session::Kind::kPlay, "hls", viewer.domain, viewer.key, viewer.peer);
    stats_->Accept("play", "hls");
    it->second.session.domain_total = nullptr;  // HLS bytes reach the domain totals per response
    PerStream& ps = streams_[stream];
    ps.key = viewer.key;
    ++ps.viewers;
  }
  it->second.session.bytes += bytes;
  it->second.last_ms = now_ms;
}

void HlsSessions::End(std::unordered_map<std::string, Entry>::iterator it) {
  Session done = std::move(it->second.session);
  done.end_ms = it->second.last_ms;
  const std::string stream = done.key.ToString();
  sessions_.erase(it);
  auto ps = streams_.find(stream);
  if (ps != streams_.end() && --ps->second.viewers == 0) streams_.erase(ps);
  if (policy_) policy_->OnSessionEnded(done);
}

void HlsSessions::Tick(int64_t now_ms) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    auto next = std::next(it);
    if (now_ms - it->second.last_ms >= idle_ms_) End(it);
    it = next;
  }
}

void HlsSessions::EndAll() {
  while (!sessions_.empty()) End(sessions_.begin());
}

size_t HlsSessions::viewers(const live::StreamKey& key) const {
  auto it = streams_.find(key.ToString());
  return it == streams_.end() ? 0 : it->second.viewers;
}

void HlsSessions::ForEachStream(const std::function<void(const live::StreamKey&, size_t)>& fn) const {
  for (const auto& [k, ps] : streams_) fn(ps.key, ps.viewers);
}

}  // namespace cdn::net
