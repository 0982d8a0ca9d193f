#include "central/recorder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <random>
#include <sys/wait.h>

#include "lib/base/clock.h"
#include "lib/base/json.h"
#include "lib/base/log.h"
#include "lib/media/flv.h"

namespace cdn::central {

namespace {
constexpr std::string_view kPrefix = "record/";
constexpr int64_t kAudioOnlyFlushMs = 1000;

// A path component from a client-chosen name: no separators, no dot-dot, nothing odd.
std::string SafeComponent(const std::string& s) {
  std::string out;
  for (char c : s) out += (isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  if (out.empty() || out == "." || out == "..") out = "_" + out;
  if (out.size() > 128) out.resize(128);
  return out;
}

std::string UtcStamp(int64_t unix_ms) {
  time_t t = static_cast<time_t>(unix_ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace

int64_t RepairRecording(const std::string& path, uint64_t* bytes) {
  int fd = open(path.c_str(), O_RDWR);
  if (fd < 0) return -1;
  struct stat st;
  fstat(fd, &st);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  auto tag_at_end = [&](uint64_t end, int64_t* ts) {
    // A whole tag ends at `end` when the PreviousTagSize there matches the tag before it.
    if (end < media::kFlvHeaderSize + 4 + 4 + media::kFlvTagHeaderSize) return false;
    uint8_t p[4];
    if (pread(fd, p, 4, static_cast<off_t>(end - 4)) != 4) return false;
    const uint32_t prev = uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
    if (prev < media::kFlvTagHeaderSize || prev + 4 > end - media::kFlvHeaderSize - 4) return false;
    uint8_t h[11];
    if (pread(fd, h, 11, static_cast<off_t>(end - 4 - prev)) != 11) return false;
    const uint32_t data = uint32_t(h[1]) << 16 | uint32_t(h[2]) << 8 | h[3];
    const uint8_t type = h[0] & 0x1f;
    if (data + media::kFlvTagHeaderSize != prev || (type != 8 && type != 9 && type != 18)) return false;
    *ts = int64_t(uint32_t(h[7]) << 24 | uint32_t(h[4]) << 16 | uint32_t(h[5]) << 8 | h[6]);
    return true;
  };
  int64_t ts = 0;
  if (tag_at_end(size, &ts)) {
    close(fd);
    *bytes = size;
    return ts;
  }
  // Torn end: walk the tag headers from the start and cut after the last whole tag. A file that
  // is not FLV is left as it is.
  char sig[3];
  if (pread(fd, sig, 3, 0) != 3 || std::string_view(sig, 3) != "FLV") {
    close(fd);
    return -1;
  }
  uint64_t good = media::kFlvHeaderSize + 4;
  int64_t last = 0;
  for (;;) {
    uint8_t h[11];
    if (good + media::kFlvTagHeaderSize > size || pread(fd, h, 11, static_cast<off_t>(good)) != 11) break;
    const uint64_t data = uint32_t(h[1]) << 16 | uint32_t(h[2]) << 8 | h[3];
    const uint8_t type = h[0] & 0x1f;
    if ((type != 8 && type != 9 && type != 18) || good + media::kFlvTagHeaderSize + data + 4 > size) break;
    last = int64_t(uint32_t(h[7]) << 24 | uint32_t(h[4]) << 16 | uint32_t(h[5]) << 8 | h[6]);
    good += media::kFlvTagHeaderSize + data + 4;
  }
  if (good < size && ftruncate(fd, static_cast<off_t>(good)) != 0) good = size;
  close(fd);
  *bytes = good;
  return good > media::kFlvHeaderSize + 4 ? last : -1;
}

std::string RecordEntry::ToJson() const {
  std::string o = "{\"id\": " + base::JsonQuote(id) + ", \"domain\": " + base::JsonQuote(vhost) +
                  ", \"app\": " + base::JsonQuote(app) + ", \"stream\": " + base::JsonQuote(stream) +
                  ", \"start_ms\": " + std::to_string(start_ms) + ", \"end_ms\": " + std::to_string(end_ms) +
                  ", \"duration_ms\": " + std::to_string(duration_ms) + ", \"bytes\": " + std::to_string(bytes) +
                  ", \"path\": " + base::JsonQuote(path) + ", \"format\": " + base::JsonQuote(format) +
                  ", \"state\": " + base::JsonQuote(state);
  if (!error.empty()) o += ", \"error\": " + base::JsonQuote(error);
  if (recovered) o += ", \"recovered\": true";
  return o + "}";
}

base::Result<RecordEntry> RecordEntry::FromJson(std::string_view json) {
  auto v = base::JsonValue::Parse(json);
  if (!v.ok()) return v.status();
  const base::JsonValue& j = *v;
  RecordEntry e;
  auto str = [&j](const char* k) { return j[k].is_string() ? j[k].str() : std::string(); };
  auto num = [&j](const char* k) { return static_cast<int64_t>(j[k].uint_or(0)); };
  e.id = str("id");
  e.vhost = str("domain");
  e.app = str("app");
  e.stream = str("stream");
  e.start_ms = num("start_ms");
  e.end_ms = num("end_ms");
  e.duration_ms = num("duration_ms");
  e.bytes = static_cast<uint64_t>(num("bytes"));
  e.path = str("path");
  e.format = str("format");
  e.state = str("state");
  e.error = str("error");
  e.recovered = j.has("recovered") && j["recovered"].boolean();
  if (e.id.empty() || e.path.empty()) return base::Status::Invalid("record entry without id or path");
  return e;
}

// ---------------------------------------------------------------------------------------------
// RecordWriter

const char* RecordWriter::Result::reason() const {
  if (error == ENOSPC || error == EDQUOT) return "disk_full";
  return opening ? "open_error" : "write_error";
}

RecordWriter::RecordWriter(size_t max_queued_bytes) : max_queued_bytes_(max_queued_bytes) {
  thread_ = std::thread([this] { Run(); });
}

RecordWriter::~RecordWriter() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
  for (auto& [id, o] : open_) close(o.fd);
}

bool RecordWriter::Push(Job job) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (job.kind == Job::Kind::kWrite && queued_bytes_ + job.data.size() > max_queued_bytes_) return false;
    if (job.kind == Job::Kind::kWrite) queued_bytes_ += job.data.size();
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

bool RecordWriter::Open(uint64_t file, const std::string& path) { return Push(Job{Job::Kind::kOpen, file, path}); }
bool RecordWriter::Write(uint64_t file, std::string bytes) {
  return Push(Job{Job::Kind::kWrite, file, std::move(bytes)});
}
void RecordWriter::Close(uint64_t file) { Push(Job{Job::Kind::kClose, file, {}}); }

std::vector<RecordWriter::Result> RecordWriter::TakeResults() {
  std::lock_guard<std::mutex> l(mu_);
  return std::exchange(results_, {});
}

size_t RecordWriter::queued_bytes() const {
  std::lock_guard<std::mutex> l(mu_);
  return queued_bytes_;
}

void RecordWriter::Fail(uint64_t file, const std::string& why, int error, bool opening) {
  if (auto it = open_.find(file); it != open_.end()) {
    close(it->second.fd);
    it->second.fd = -1;
  }
  std::lock_guard<std::mutex> l(mu_);
  results_.push_back(Result{file, Result::Kind::kError, why, 0, error, opening});
}

void RecordWriter::Run() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stop_ and drained
      job = std::move(jobs_.front());
      jobs_.pop_front();
      if (job.kind == Job::Kind::kWrite) queued_bytes_ -= job.data.size();
    }
    switch (job.kind) {
      case Job::Kind::kOpen: {
        std::error_code ec;
        std::filesystem::create_directories(std::filesystem::path(job.data).parent_path(), ec);
        if (ec) {
          open_[job.file] = FileState{-1, 0};
          Fail(job.file, "mkdir " + std::filesystem::path(job.data).parent_path().string() + ": " + ec.message(),
               ec.value(), true);
          break;
        }
        int fd = open(job.data.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        open_[job.file] = FileState{fd, 0};
        if (fd < 0) {
          const int err = errno;
          Fail(job.file, "open " + job.data + ": " + strerror(err), err, true);
        }
        break;
      }
      case Job::Kind::kWrite: {
        auto it = open_.find(job.file);
        if (it == open_.end() || it->second.fd < 0) break;
        size_t off = 0;
        while (off < job.data.size()) {
          ssize_t n = write(it->second.fd, job.data.data() + off, job.data.size() - off);
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) {
            const int err = n < 0 ? errno : EIO;
            Fail(job.file, std::string("write: ") + (n < 0 ? strerror(err) : "no progress"), err, false);
            break;
          }
          off += static_cast<size_t>(n);
          it->second.bytes += static_cast<uint64_t>(n);
        }
        break;
      }
      case Job::Kind::kClose: {
        uint64_t bytes = 0;
        if (auto it = open_.find(job.file); it != open_.end()) {
          if (it->second.fd >= 0) {
            fdatasync(it->second.fd);
            close(it->second.fd);
          }
          bytes = it->second.bytes;
          open_.erase(it);
        }
        std::lock_guard<std::mutex> l(mu_);
        results_.push_back(Result{job.file, Result::Kind::kClosed, {}, bytes});
        break;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Recording

Recording::Recording(RecordManager* manager, live::Stream* stream) : manager_(manager), stream_(stream), key_(stream->key()) {
  stream->AddConsumer(this);  // the cached GOP comes first, from a key frame
}

Recording::~Recording() {
  CloseFile();
  if (stream_) manager_->hub_->RemoveConsumer(stream_, this);
  for (auto& [id, f] : manager_->files_)
    if (f.owner == this) f.owner = nullptr;
}

void Recording::OnStreamEnd() {
  CloseFile();
  stream_ = nullptr;
  ended_ = true;
}

void Recording::Fail(const std::string& why, const char* reason) {
  if (failed_) return;
  failed_ = true;
  gop_.clear();
  ++manager_->stats_.failures[reason];
  LOG(ERROR) << "record " << key_.ToString() << ": recording stopped: " << why << " (live delivery goes on)";
  if (auto it = manager_->entries_.find(entry_id_); it != manager_->entries_.end()) {
    it->second.state = "failed";
    it->second.error = why;
    manager_->Put(it->second);
  }
  if (file_) {
    manager_->writer_.Close(file_);
    manager_->files_[file_].closing = true;
    file_ = 0;
  }
}

void Recording::OnPacket(const live::PacketPtr& packet) {
  if (failed_) return;
  const live::MediaPacket& p = *packet;
  const int64_t ts = p.timestamp();
  // The publisher's onMetaData is not recorded: its duration/filesize describe the publish, not the
  // file (players then take the duration from the last tag).
  if (p.metadata()) return;
  if (p.sequence_header()) {
    // New decoder configuration mid-file (after a publisher's return): it goes in the file too.
    if (file_) Append(p, static_cast<uint32_t>(std::max<int64_t>(0, ts - base_ts_)));
    return;
  }
  const bool key = p.type() == live::PacketType::kVideo && p.keyframe();
  has_video_ = stream_ && stream_->video_sequence_header() != nullptr;
  if (!file_) {
    if (has_video_ && !key) return;  // a file starts on a key frame
    OpenFile(p);
    if (failed_) return;
  } else if (key) {
    FlushGop();
    if (ts - base_ts_ >= manager_->options_.segment_ms) {
      CloseFile();
      OpenFile(p);
      if (failed_) return;
    }
  } else if (!has_video_ && ts - flushed_ms_ >= kAudioOnlyFlushMs) {
    FlushGop();
  }
  if (ts < base_ts_) return;  // timestamps went back (a bad publisher): not written
  Append(p, static_cast<uint32_t>(ts - base_ts_));
  last_ts_ = ts;
}

void Recording::Append(const live::MediaPacket& p, uint32_t ts) {
  media::AppendFlvTag(static_cast<media::TagType>(p.type()), ts, p.payload(), &gop_);
}

void Recording::OpenFile(const live::MediaPacket& first) {
  const int64_t now = base::WallMs();
  std::string id;
  const std::string path = manager_->NewPath(key_, now, &id);
  file_ = ++manager_->next_file_;
  entry_id_ = id;
  base_ts_ = first.timestamp();
  last_ts_ = base_ts_;
  flushed_ms_ = base_ts_;
  RecordEntry e;
  e.id = id;
  e.vhost = key_.vhost;
  e.app = key_.app;
  e.stream = key_.name;
  e.start_ms = now;
  e.path = path;
  e.format = "flv";
  manager_->Put(e);
  manager_->files_[file_] = RecordManager::FileInfo{id, this};
  ++manager_->stats_.started;
  LOG(INFO) << "record " << key_.ToString() << ": recording to " << path;
  const bool audio = !stream_ || stream_->audio_sequence_header();
  gop_ = media::FlvFileHeader(audio, has_video_);
  if (stream_) {
    for (const live::PacketPtr& h : {stream_->video_sequence_header(), stream_->audio_sequence_header()})
      if (h) Append(*h, 0);
  }
  if (!manager_->writer_.Open(file_, path)) Fail("record queue full: the disk is not keeping up", "disk_slow");
}

void Recording::FlushGop() {
  if (!file_ || gop_.empty()) return;
  if (!manager_->writer_.Write(file_, std::move(gop_))) {
    Fail("record queue over " + std::to_string(manager_->options_.max_queued_bytes >> 20) +
             " MiB: the disk is not keeping up",
         "disk_slow");
    return;
  }
  gop_.clear();
  flushed_ms_ = last_ts_;
  manager_->files_[file_].duration_ms = last_ts_ - base_ts_;
}

void Recording::CloseFile() {
  if (!file_) return;
  FlushGop();
  if (!file_) return;  // the flush failed
  manager_->writer_.Close(file_);
  manager_->files_[file_].closing = true;
  file_ = 0;
}

// ---------------------------------------------------------------------------------------------
// RecordManager

RecordManager::RecordManager(net::EventLoop* loop, live::StreamHub* hub, store::KvStore* catalog, Options options)
    : loop_(loop), hub_(hub), catalog_(catalog), options_(std::move(options)), writer_(options_.max_queued_bytes) {}

RecordManager::~RecordManager() { CloseAll(); }

void RecordManager::Put(const RecordEntry& e) {
  entries_[e.id] = e;
  base::Status st = catalog_->Put(std::string(kPrefix) + e.id, e.ToJson());
  if (!st.ok()) LOG(ERROR) << "record catalog: cannot store " << e.id << ": " << st.message();
}

void RecordManager::Recover() {
  std::vector<RecordEntry> repair;
  catalog_->Scan(kPrefix, [&](std::string_view, std::string_view value) {
    auto e = RecordEntry::FromJson(value);
    if (!e.ok()) {
      LOG(WARN) << "record catalog: skipping a bad entry: " << e.status().message();
      return true;
    }
    if (e->state == "recording") repair.push_back(*e);
    entries_[e->id] = std::move(*e);
    return true;
  });
  for (RecordEntry& e : repair) {
    uint64_t bytes = 0;
    const int64_t duration = RepairRecording(e.path, &bytes);
    struct stat st;
    e.end_ms = stat(e.path.c_str(), &st) == 0 ? int64_t(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000
                                              : e.start_ms;
    e.recovered = true;
    if (duration < 0) {
      e.state = "failed";
      e.error = "no media in the file after a crash";
    } else {
      e.state = "done";
      e.duration_ms = duration;
      e.bytes = bytes;
    }
    LOG(WARN) << "record " << e.vhost << "/" << e.app << "/" << e.stream << ": repaired " << e.path
              << " after a crash (" << e.state << ", " << e.duration_ms << " ms, " << e.bytes << " bytes)";
    Put(e);
  }
  LOG(INFO) << "record catalog: " << entries_.size() << " recordings";
}

std::string RecordManager::NewPath(const live::StreamKey& key, int64_t start_ms, std::string* id) const {
  static std::mt19937_64 rng{std::random_device{}()};
  char hex[9];
  snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(rng()));
  *id = std::to_string(start_ms) + "-" + hex;
  if (!options_.file_for_test.empty()) return options_.file_for_test;
  const std::string dir = options_.dir + "/" + SafeComponent(key.vhost) + "/" + SafeComponent(key.app) + "/" +
                          SafeComponent(key.name) + "/";
  std::string base = dir + SafeComponent(key.name) + "-" + UtcStamp(start_ms);
  std::string path = base + ".flv";
  struct stat st;
  for (int n = 2; stat(path.c_str(), &st) == 0 && n < 1000; ++n) path = base + "-" + std::to_string(n) + ".flv";
  return path;
}

void RecordManager::OnPublishStarted(live::Stream* stream) {
  const std::string k = stream->key().ToString();
  if (auto it = recordings_.find(k); it != recordings_.end()) {
    if (!it->second->ended() && !it->second->failed()) return;  // a publisher back: the next file opens
    recordings_.erase(it);  // a new session retries a failed path
  }
  recordings_[k] = std::make_unique<Recording>(this, stream);
}

void RecordManager::Tick(int64_t now_ms) {
  for (const RecordWriter::Result& r : writer_.TakeResults()) {
    auto f = files_.find(r.file);
    if (f == files_.end()) continue;
    if (r.kind == RecordWriter::Result::Kind::kError) {
      if (f->second.owner) {
        f->second.owner->Fail(r.message, r.reason());
      } else if (auto e = entries_.find(f->second.entry_id); e != entries_.end()) {
        // The stream is gone and its last file was closing: that file still failed.
        ++stats_.failures[r.reason()];
        LOG(ERROR) << "record " << e->second.vhost << "/" << e->second.app << "/" << e->second.stream << ": "
                   << e->second.path << ": " << r.message;
        e->second.state = "failed";
        e->second.error = r.message;
        Put(e->second);
      }
      continue;
    }
    // Closed.
    FileInfo info = f->second;
    files_.erase(f);
    if (info.owner) info.owner->OnFileClosed(r.file);
    auto e = entries_.find(info.entry_id);
    if (e == entries_.end()) continue;
    RecordEntry& entry = e->second;
    entry.end_ms = base::WallMs();
    entry.bytes = r.bytes;
    entry.duration_ms = info.duration_ms;
    stats_.bytes += r.bytes;
    if (entry.state == "failed") {
      ++stats_.failed;
      Put(entry);
      continue;
    }
    entry.state = "done";
    ++stats_.done;
    Put(entry);
    LOG(INFO) << "record " << entry.vhost << "/" << entry.app << "/" << entry.stream << ": " << entry.path << " done ("
              << entry.duration_ms << " ms, " << entry.bytes << " bytes)";
    if (options_.format == "mp4") {
      Remux(entry);
    } else if (on_done) {
      on_done(entry);
    }
  }
  for (auto it = recordings_.begin(); it != recordings_.end();) {
    if (it->second->ended()) {
      it = recordings_.erase(it);
    } else {
      ++it;
    }
  }
  (void)now_ms;
}

void RecordManager::Remux(RecordEntry e) {
  const std::string mp4 = e.path.substr(0, e.path.size() - 4) + ".mp4";
  net::ChildOptions o;
  o.argv = {options_.ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-y", "-i", e.path, "-c", "copy",
            "-movflags", "+faststart", mp4};
  const std::string name = e.vhost + "/" + e.app + "/" + e.stream;
  o.on_stderr_line = [name](std::string_view line) { LOG(WARN) << "record " << name << ": mp4 remux: " << line; };
  const uint64_t id = ++next_remux_;
  auto child = net::ChildProcess::Spawn(loop_, std::move(o), [this, id, e, mp4](int status) mutable {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      struct stat st;
      if (stat(mp4.c_str(), &st) == 0) e.bytes = static_cast<uint64_t>(st.st_size);
      unlink(e.path.c_str());
      e.path = mp4;
      e.format = "mp4";
      ++stats_.remuxed;
    } else {
      ++stats_.remux_failed;
      e.error = "mp4 remux failed (" + net::ChildProcess::DescribeStatus(status) + "); the FLV is kept";
      LOG(ERROR) << "record " << e.path << ": " << e.error;
      unlink(mp4.c_str());
    }
    Put(e);
    if (on_done) on_done(e);
    loop_->Defer([this, id] { remuxers_.erase(id); });
  });
  if (!child.ok()) {
    ++stats_.remux_failed;
    LOG(ERROR) << "record " << e.path << ": cannot start the mp4 remux: " << child.status().message();
    if (on_done) on_done(e);
    return;
  }
  remuxers_[id] = std::move(*child);
}

void RecordManager::CloseAll() {
  recordings_.clear();  // closes files (queued; the writer finishes them when destroyed)
}

std::vector<RecordEntry> RecordManager::List(const std::string& vhost, const std::string& app,
                                             const std::string& stream) const {
  std::vector<RecordEntry> out;
  for (const auto& [id, e] : entries_) {
    if ((!vhost.empty() && e.vhost != vhost) || (!app.empty() && e.app != app) || (!stream.empty() && e.stream != stream))
      continue;
    out.push_back(e);
  }
  return out;
}

base::Result<RecordEntry> RecordManager::Find(const std::string& id) const {
  auto it = entries_.find(id);
  if (it == entries_.end()) return base::Status::NotFound("no recording " + id);
  return it->second;
}

size_t RecordManager::active() const {
  size_t n = 0;
  for (const auto& [k, r] : recordings_) n += r->recording();
  return n;
}

void RecordManager::AddMetrics(metrics::Exposition* e) const {
  e->Gauge("livecdn_recordings", "Recordings being written", {}, double(active()));
  e->Counter("livecdn_recordings_total", "Recording files finished, by result", {{"result", "done"}},
             double(stats_.done));
  e->Counter("livecdn_recordings_total", "Recording files finished, by result", {{"result", "failed"}},
             double(stats_.failed));
  e->Counter("livecdn_recording_bytes_total", "Bytes written to recording files", {}, double(stats_.bytes));
  for (const char* r : {"disk_full", "disk_slow", "open_error", "write_error"}) {
    auto it = stats_.failures.find(r);
    e->Counter("livecdn_recording_failures_total", "Recordings stopped by a storage error, by reason",
               {{"reason", r}}, it == stats_.failures.end() ? 0.0 : double(it->second));
  }
  e->Counter("livecdn_recording_remux_total", "MP4 remuxes of closed recordings, by result", {{"result", "ok"}},
             double(stats_.remuxed));
  e->Counter("livecdn_recording_remux_total", "MP4 remuxes of closed recordings, by result", {{"result", "failed"}},
             double(stats_.remux_failed));
}

}  // namespace cdn::central
