// Recording (DESIGN.md: recorder is a hub sink). A Recording is one stream's recorder: FLV files
// under record.path (default data_dir/record) named <vhost>/<app>/<stream>/<stream>-<UTC start>.flv,
// each starting on a key frame with timestamps from 0, rotated at the first key frame after
// `record.segment` and when the publisher leaves. Data goes to the file one whole GOP at a time
// (audio-only: about a second at a time), so after a kill -9 the file decodes up to the last GOP
// written. File I/O runs on one writer thread (RecordWriter), never on the media loop: a slow or
// full disk cannot stall viewers. A write error (ENOSPC, EACCES, a path that is not a directory)
// stops that stream's recording with an error log and a metric; live delivery is untouched.
// The catalog lives in RocksDB (`record/<id>`, data_dir/catalog): stream, start, end, duration,
// bytes, path, format, state. Entries left "recording" by a crash are repaired at start (the
// file's last tag gives the duration; a torn last tag is cut off). With `record.format: mp4` a
// closed file is remuxed (ffmpeg -c copy -movflags +faststart) and the FLV removed on success.
// Loop thread only, except RecordWriter's own thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lib/base/status.h"
#include "lib/live/stream_hub.h"
#include "lib/metrics/exposition.h"
#include "lib/net/child_process.h"
#include "lib/net/event_loop.h"
#include "lib/store/kv_store.h"

namespace cdn::central {

// One catalog entry.
struct RecordEntry {
  std::string id;  // "<start unix ms>-<8 hex>": sorts by time, safe in a URL
  std::string vhost, app, stream;
  int64_t start_ms = 0, end_ms = 0;  // wall clock, Unix ms
  int64_t duration_ms = 0;           // media time in the file
  uint64_t bytes = 0;
  std::string path, format = "flv";
  std::string state = "recording";  // recording | done | failed
  std::string error;
  bool recovered = false;  // repaired after a crash

  std::string ToJson() const;
  static base::Result<RecordEntry> FromJson(std::string_view json);
};

// The media duration (ms) of an FLV recording whose timestamps start at 0, from its last tag;
// a torn last tag (a crash mid-write) is cut off the file. -1 when no whole tag is in it.
// *bytes: the file's size after the repair.
int64_t RepairRecording(const std::string& path, uint64_t* bytes);

// The file I/O thread. Jobs run in order; results are collected by the loop (TakeResults).
class RecordWriter {
 public:
  struct Result {
    uint64_t file = 0;
    enum class Kind { kError, kClosed } kind;
    std::string message;
    uint64_t bytes = 0;
    int error = 0;         // kError: the errno
    bool opening = false;  // kError: from mkdir/open, not from a write
    // The metric label of a kError: disk_full (ENOSPC, EDQUOT), open_error or write_error.
    const char* reason() const;
  };
  explicit RecordWriter(size_t max_queued_bytes);
  ~RecordWriter();  // finishes queued jobs, then joins

  // False (nothing queued) when the queue is over its byte bound: the disk is not keeping up.
  bool Open(uint64_t file, const std::string& path);
  bool Write(uint64_t file, std::string bytes);
  void Close(uint64_t file);
  std::vector<Result> TakeResults();
  size_t queued_bytes() const;

 private:
  struct Job {
    enum class Kind { kOpen, kWrite, kClose } kind;
    uint64_t file;
    std::string data;  // path for kOpen
  };
  bool Push(Job job);
  void Run();
  void Fail(uint64_t file, const std::string& why, int error, bool opening);

  const size_t max_queued_bytes_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  size_t queued_bytes_ = 0;
  bool stop_ = false;
  std::vector<Result> results_;
  struct FileState { int fd; uint64_t bytes; };
  std::map<uint64_t, FileState> open_;  // writer thread only
  std::thread thread_;
};

struct RecordStats {
  uint64_t started = 0, done = 0, failed = 0, bytes = 0, remuxed = 0, remux_failed = 0;
  std::map<std::string, uint64_t> failures;  // reason -> count
};

class RecordManager;

class Recording : public live::Consumer {
 public:
  Recording(RecordManager* manager, live::Stream* stream);
  ~Recording() override;
  void OnStreamStart() override {}
  void OnPacket(const live::PacketPtr& packet) override;
  void OnPublisherGone() override { CloseFile(); }
  void OnStreamEnd() override;
  bool is_viewer() const override { return false; }

  bool ended() const { return ended_; }
  bool failed() const { return failed_; }
  bool recording() const { return file_ != 0; }
  // Stops this stream's recording; `reason` labels the failure metric.
  void Fail(const std::string& why, const char* reason);
  void OnFileClosed(uint64_t file) {
    if (file == file_) file_ = 0;
  }

 private:
  void OpenFile(const live::MediaPacket& first);
  void Append(const live::MediaPacket& p, uint32_t ts);
  void FlushGop();
  void CloseFile();

  RecordManager* manager_;
  live::Stream* stream_;
  live::StreamKey key_;
  uint64_t file_ = 0;      // writer file id; 0: no file open
  std::string entry_id_;
  int64_t base_ts_ = 0;    // stream timestamp that is 0 in the file
  int64_t last_ts_ = 0;
  int64_t flushed_ms_ = 0;
  bool has_video_ = false;
  std::string gop_;        // FLV tags of the GOP being collected
  bool failed_ = false;
  bool ended_ = false;
};

class RecordManager {
 public:
  struct Options {
    std::string dir;              // record.path
    std::string format = "flv";   // flv | mp4
    int64_t segment_ms = 30 * 60 * 1000;
    std::string ffmpeg = "ffmpeg";
    size_t max_queued_bytes = 64 << 20;
    // Tests only: the file every recording is written to instead of a generated name (e.g.
    // /dev/full, where each write fails with ENOSPC).
    std::string file_for_test;
  };
  RecordManager(net::EventLoop* loop, live::StreamHub* hub, store::KvStore* catalog, Options options);
  ~RecordManager();

  // Repairs entries a crash left "recording". Before any recording starts.
  void Recover();
  void OnPublishStarted(live::Stream* stream);
  void Tick(int64_t now_ms);  // writer results, frees ended recorders
  void CloseAll();

  std::vector<RecordEntry> List(const std::string& vhost, const std::string& app, const std::string& stream) const;
  base::Result<RecordEntry> Find(const std::string& id) const;
  void AddMetrics(metrics::Exposition* e) const;
  size_t active() const;

  // Runs after a file is final (closed, and remuxed when mp4), e.g. for the record_done webhook.
  std::function<void(const RecordEntry&)> on_done;

 private:
  friend class Recording;
  void Put(const RecordEntry& e);
  void Remux(RecordEntry e);
  std::string NewPath(const live::StreamKey& key, int64_t start_ms, std::string* id) const;

  net::EventLoop* loop_;
  live::StreamHub* hub_;
  store::KvStore* catalog_;
  Options options_;
  RecordWriter writer_;
  std::map<std::string, std::unique_ptr<Recording>> recordings_;  // by StreamKey::ToString()
  struct FileInfo {
    std::string entry_id;
    Recording* owner;  // null once the recording is gone
    int64_t duration_ms = 0;
    bool closing = false;
  };
  std::map<uint64_t, FileInfo> files_;
  std::map<std::string, RecordEntry> entries_;  // the catalog, by id
  std::map<uint64_t, std::unique_ptr<net::ChildProcess>> remuxers_;
  uint64_t next_file_ = 0;
  uint64_t next_remux_ = 0;
  RecordStats stats_;
};

}  // namespace cdn::central
