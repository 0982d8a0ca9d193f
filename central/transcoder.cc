#include "central/transcoder.h"

#include <signal.h>

#include <algorithm>

#include "lib/base/clock.h"
#include "lib/base/log.h"

namespace cdn::central {

namespace {
constexpr int64_t kMaxBackoffMs = 30000;
constexpr int64_t kStableRunMs = 60000;  // a run this long resets the backoff
constexpr int64_t kStopGraceMs = 700;    // stdin closed -> SIGKILL after this

std::string Kbps(uint64_t bps) { return std::to_string(std::max<uint64_t>(bps / 1000, 1)) + "k"; }
}  // namespace

std::vector<std::string> TranscodeArgs(const std::string& ffmpeg, const TranscodeTemplate& t) {
  std::vector<std::string> a = {ffmpeg, "-hide_banner", "-loglevel", "warning", "-nostats",
                                // Start encoding as soon as the sequence headers and a key frame are in.
                                "-fflags", "+nobuffer", "-probesize", "262144", "-analyzeduration", "500000",
                                "-f", "flv", "-i", "pipe:0", "-map", "0:v:0?", "-map", "0:a:0?"};
  auto add = [&a](std::initializer_list<std::string> v) { a.insert(a.end(), v); };
  add({"-c:v", t.video_codec});
  if (t.video_codec == "libx264") add({"-preset", t.preset, "-tune", "zerolatency", "-pix_fmt", "yuv420p"});
  if (t.width > 0 || t.height > 0) {
    // One side given: keep the aspect ratio (and an even size, as H.264 4:2:0 needs).
    add({"-vf", "scale=" + (t.width > 0 ? std::to_string(t.width) : std::string("-2")) + ":" +
                    (t.height > 0 ? std::to_string(t.height) : std::string("-2"))});
  }
  if (t.fps > 0) add({"-r", std::to_string(t.fps)});
  if (t.video_bitrate > 0) {
    add({"-b:v", Kbps(t.video_bitrate), "-maxrate", Kbps(t.video_bitrate), "-bufsize", Kbps(2 * t.video_bitrate)});
  }
  // Key frames where the source has them: renditions' segments line up for ABR switching.
  add({"-force_key_frames", "source", "-c:a", "aac"});
  if (t.audio_bitrate > 0) add({"-b:a", Kbps(t.audio_bitrate)});
  add({"-f", "flv", "-flvflags", "no_duration_filesize", "pipe:1"});
  return a;
}

// Adapts a child's pipe (a TcpConnection) to callbacks.
class Transcoder::Pipe : public net::TcpConnection::Delegate {
 public:
  explicit Pipe(std::function<void(std::string_view)> on_data) : on_data_(std::move(on_data)) {}
  void OnData(std::string_view data) override {
    if (on_data_) on_data_(data);
  }
  void OnClosed(std::string_view) override {}

 private:
  std::function<void(std::string_view)> on_data_;
};

Transcoder::Transcoder(TranscodeManager* manager, live::Stream* source, std::string template_name, TranscodeTemplate t)
    : manager_(manager),
      source_(source),
      source_key_(source->key()),
      out_key_{source->key().vhost, source->key().app, source->key().name + "_" + template_name},
      template_name_(std::move(template_name)),
      template_(std::move(t)) {
  want_running_ = source->has_publisher();
  if (want_running_) Start(/*send_headers=*/false);
  // Sends metadata, sequence headers and the cached GOP (from a key frame) at once.
  source->AddConsumer(this);
}

Transcoder::~Transcoder() {
  ReleaseOutput();
  if (source_) manager_->hub_->RemoveConsumer(source_, this);
  child_.reset();  // kills a running ffmpeg; it is still reaped
}

void Transcoder::Start(bool send_headers) {
  if (child_) return;
  net::ChildOptions o;
  o.argv = TranscodeArgs(manager_->options_.ffmpeg, template_);
  o.pipe_stdin = true;
  o.pipe_stdout = true;
  const std::string name = out_key_.ToString();
  o.on_stderr_line = [name](std::string_view line) { LOG(WARN) << "transcode " << name << ": ffmpeg: " << line; };
  auto child = net::ChildProcess::Spawn(manager_->loop_, std::move(o), [this](int status) { OnChildExit(status); });
  const int64_t now = base::MonoMs();
  if (!child.ok()) {
    LOG(ERROR) << "transcode " << name << ": cannot start ffmpeg: " << child.status().message();
    ++manager_->stats_.failures;
    restart_at_ms_ = now + backoff_ms_;
    backoff_ms_ = std::min(backoff_ms_ * 2, kMaxBackoffMs);
    return;
  }
  child_ = std::move(*child);
  in_pipe_ = std::make_unique<Pipe>(nullptr);
  out_pipe_ = std::make_unique<Pipe>([this](std::string_view b) { OnOutput(b); });
  child_->stdin_pipe()->Start(in_pipe_.get(), 0);
  child_->stdout_pipe()->Start(out_pipe_.get(), 0);
  reader_ = std::make_unique<media::FlvReader>();
  started_ms_ = now;
  ++manager_->stats_.started;
  LOG(INFO) << "transcode " << name << ": ffmpeg pid " << child_->pid() << " started";
  const bool has_video = !source_ || source_->video_sequence_header() || !source_->ever_published();
  const bool has_audio = !source_ || source_->audio_sequence_header() || !source_->ever_published();
  child_->stdin_pipe()->Write(media::FlvFileHeader(has_audio, has_video));
  need_keyframe_ = source_ ? source_->video_sequence_header() != nullptr : true;
  // A restart mid-stream: the decoder configuration first, then packets from the next key frame.
  if (send_headers && source_ && source_->has_publisher()) {
    for (const live::PacketPtr& p : {source_->metadata(), source_->video_sequence_header(), source_->audio_sequence_header()})
      if (p) child_->stdin_pipe()->WriteShared(p->flv_wire());
  }
}

void Transcoder::Stop(const char* why) {
  want_running_ = false;
  restart_at_ms_ = -1;
  ReleaseOutput();
  if (child_ && child_->running()) {
    LOG(INFO) << "transcode " << out_key_.ToString() << ": stopping ffmpeg pid " << child_->pid() << " (" << why << ")";
    // End of input: ffmpeg flushes and exits; SIGKILL if it has not within the grace.
    child_->stdin_pipe()->Close(false);
    stopping_ = true;
    kill_at_ms_ = base::MonoMs() + kStopGraceMs;
  }
}

void Transcoder::OnChildExit(int status) {
  const int64_t now = base::MonoMs();
  const std::string how = net::ChildProcess::DescribeStatus(status);
  // Freed from a deferred call: we are inside the child's exit callback.
  net::ChildProcess* dead = child_.release();
  Pipe* in = in_pipe_.release();
  Pipe* out = out_pipe_.release();
  manager_->loop_->Defer([dead, in, out] {
    delete dead;
    delete in;
    delete out;
  });
  kill_at_ms_ = -1;
  ReleaseOutput();
  const bool asked = stopping_ || !want_running_;
  stopping_ = false;
  if (asked) {
    LOG(INFO) << "transcode " << out_key_.ToString() << ": ffmpeg exited (" << how << ")";
    if (want_running_) Start(true);  // the source came back while it was stopping
    return;
  }
  ++manager_->stats_.failures;
  if (now - started_ms_ >= kStableRunMs) backoff_ms_ = 1000;
  restart_at_ms_ = now + backoff_ms_;
  LOG(WARN) << "transcode " << out_key_.ToString() << ": ffmpeg exited unexpectedly (" << how << "), restarting in "
            << backoff_ms_ << " ms";
  backoff_ms_ = std::min(backoff_ms_ * 2, kMaxBackoffMs);
}

void Transcoder::Tick(int64_t now_ms) {
  if (kill_at_ms_ >= 0 && now_ms >= kill_at_ms_) {
    kill_at_ms_ = -1;
    if (child_ && child_->running()) {
      LOG(WARN) << "transcode " << out_key_.ToString() << ": ffmpeg did not stop, killing pid " << child_->pid();
      child_->Kill(SIGKILL);
    }
  }
  if (restart_at_ms_ >= 0 && now_ms >= restart_at_ms_ && want_running_ && !child_) {
    restart_at_ms_ = -1;
    ++manager_->stats_.restarts;
    Start(true);
  }
}

void Transcoder::OnStreamStart() {
  if (want_running_) return;
  if (int64_t(manager_->active()) >= manager_->options_.max) {
    ++manager_->stats_.skipped;
    LOG(WARN) << "transcode " << out_key_.ToString() << ": not restarted, transcode.max (" << manager_->options_.max
              << ") reached";
    return;
  }
  want_running_ = true;
  backoff_ms_ = 1000;
  restart_at_ms_ = -1;
  if (!child_) Start(true);
}

void Transcoder::OnPublisherGone() { Stop("source publisher left"); }

void Transcoder::OnStreamEnd() {
  source_ = nullptr;  // already detached
  Stop("source stream ended");
  ended_ = true;
}

void Transcoder::OnPacket(const live::PacketPtr& p) {
  if (!want_running_ || !child_ || !child_->running() || child_->stdin_pipe()->closed()) return;
  WriteSource(p);
}

void Transcoder::WriteSource(const live::PacketPtr& p) {
  net::TcpConnection* in = child_->stdin_pipe();
  if (p->sequence_header() || p->metadata()) {
    in->WriteShared(p->flv_wire());
    return;
  }
  if (in->pending_output() > manager_->options_.max_pending_bytes) {
    // ffmpeg is behind (a slow encode): drop to the next key frame rather than buffer forever.
    if (!need_keyframe_) {
      LOG(WARN) << "transcode " << out_key_.ToString() << ": ffmpeg is behind, dropping to the next key frame";
    }
    need_keyframe_ = true;
    ++manager_->stats_.dropped;
    return;
  }
  if (need_keyframe_) {
    if (p->type() != live::PacketType::kVideo || !p->keyframe()) return;
    need_keyframe_ = false;
  }
  in->WriteShared(p->flv_wire());
}

void Transcoder::OnOutput(std::string_view bytes) {
  manager_->stats_.bytes_out += bytes.size();
  tags_.clear();
  base::Status st = reader_->Consume(bytes, &tags_);
  for (media::FlvTag& tag : tags_) PublishTag(tag);
  if (!st.ok()) {
    LOG(ERROR) << "transcode " << out_key_.ToString() << ": bad FLV from ffmpeg (" << st.message() << "), restarting it";
    if (child_) child_->Kill(SIGKILL);  // the exit handler restarts it
  }
}

void Transcoder::PublishTag(media::FlvTag& tag) {
  if (!want_running_) return;
  const int64_t now = base::MonoMs();
  if (!out_stream_) {
    if (now < next_publish_try_ms_) return;
    const uint64_t id = manager_->hub_->NextPublisherId();
    auto s = manager_->hub_->Publish(out_key_, id, now);
    if (!s.ok()) {
      LOG(WARN) << "transcode " << out_key_.ToString() << ": cannot publish the rendition: " << s.status().message();
      next_publish_try_ms_ = now + 1000;
      return;
    }
    out_stream_ = *s;
    out_id_ = id;
    LOG(INFO) << "transcode " << out_key_.ToString() << ": rendition live";
    if (manager_->on_output_started_) manager_->on_output_started_(out_stream_);
  }
  out_stream_->OnMessage(static_cast<live::PacketType>(tag.type), tag.timestamp, std::move(tag.data), now);
}

void Transcoder::ReleaseOutput() {
  if (!out_stream_) return;
  live::Stream* s = out_stream_;
  out_stream_ = nullptr;
  manager_->hub_->Unpublish(s, out_id_, base::MonoMs());
}

void Transcoder::OnOutputKicked() {
  out_stream_ = nullptr;
  out_id_ = 0;
}

TranscodeManager::TranscodeManager(net::EventLoop* loop, live::StreamHub* hub, Options options,
                                   std::function<void(live::Stream*)> on_output_started)
    : loop_(loop), hub_(hub), options_(std::move(options)), on_output_started_(std::move(on_output_started)) {}

TranscodeManager::~TranscodeManager() { CloseAll(); }

void TranscodeManager::OnPublishStarted(live::Stream* source, const std::vector<std::string>& templates) {
  if (IsRendition(source->key())) return;  // renditions are not transcoded again
  for (const std::string& name : templates) {
    auto tpl = options_.templates.find(name);
    if (tpl == options_.templates.end()) {
      LOG(WARN) << "transcode " << source->key().ToString() << ": no template '" << name << "'";
      continue;
    }
    const std::string k = live::StreamKey{source->key().vhost, source->key().app, source->key().name + "_" + name}.ToString();
    if (auto it = transcoders_.find(k); it != transcoders_.end()) {
      if (!it->second->ended()) continue;  // running, or restarted by OnStreamStart
      transcoders_.erase(it);
    }
    if (int64_t(active()) >= options_.max) {
      ++stats_.skipped;
      LOG(WARN) << "transcode " << k << ": not transcoded, transcode.max (" << options_.max << ") reached";
      continue;
    }
    transcoders_[k] = std::make_unique<Transcoder>(this, source, name, tpl->second);
  }
}

void TranscodeManager::OnKicked(uint64_t publisher) {
  if (publisher == 0) return;
  for (auto& [k, t] : transcoders_) {
    if (t->output_publisher() == publisher) t->OnOutputKicked();
  }
}

void TranscodeManager::Tick(int64_t now_ms) {
  for (auto it = transcoders_.begin(); it != transcoders_.end();) {
    it->second->Tick(now_ms);
    if (it->second->ended() && !it->second->running()) {
      it = transcoders_.erase(it);
    } else {
      ++it;
    }
  }
}

void TranscodeManager::CloseAll() { transcoders_.clear(); }

std::vector<std::string> TranscodeManager::Renditions(const live::StreamKey& source) const {
  std::vector<std::string> out;
  for (const auto& [k, t] : transcoders_) {
    const live::StreamKey& s = t->source_key();
    if (s.vhost == source.vhost && s.app == source.app && s.name == source.name) out.push_back(t->output_key().name);
  }
  return out;
}

bool TranscodeManager::IsRendition(const live::StreamKey& key) const {
  return transcoders_.count(key.ToString()) > 0;
}

size_t TranscodeManager::running() const {
  size_t n = 0;
  for (const auto& [k, t] : transcoders_) n += t->running();
  return n;
}

size_t TranscodeManager::active() const {
  size_t n = 0;
  for (const auto& [k, t] : transcoders_) n += t->active();
  return n;
}

std::vector<pid_t> TranscodeManager::pids() const {
  std::vector<pid_t> out;
  for (const auto& [k, t] : transcoders_)
    if (t->running()) out.push_back(t->pid());
  return out;
}

void TranscodeManager::AddMetrics(metrics::Exposition* e) const {
  e->Gauge("livecdn_transcoders", "ffmpeg transcoders running", {}, double(running()));
  e->Counter("livecdn_transcoder_starts_total", "ffmpeg transcoder processes started", {}, double(stats_.started));
  e->Counter("livecdn_transcoder_restarts_total", "ffmpeg transcoders restarted after a crash", {}, double(stats_.restarts));
  e->Counter("livecdn_transcoder_failures_total", "ffmpeg transcoder exits that were not asked for", {},
             double(stats_.failures));
  e->Counter("livecdn_transcoder_skipped_total", "Renditions not transcoded because transcode.max was reached", {},
             double(stats_.skipped));
  e->Counter("livecdn_transcoder_dropped_packets_total", "Source packets dropped because ffmpeg fell behind", {},
             double(stats_.dropped));
}

}  // namespace cdn::central
