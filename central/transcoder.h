// Transcoding ladder (DESIGN.md "Life of a publish": transcoders are hub sinks whose output comes
// back as new streams). A Transcoder is one rendition of one published stream: a supervised
// ffmpeg fed the source as FLV on its stdin (shared FLV tags written by reference, no copy),
// whose FLV output on stdout is published into the hub as `<stream>_<template>`, an ordinary
// stream that edges pull, HLS packages and `<stream>_abr.m3u8` lists.
// Supervision: ffmpeg's stderr is logged under the rendition's name; a crash restarts it with
// backoff (1 s doubling to 30 s, reset after a minute of running); the source's publisher
// leaving stops it at once (stdin closed, SIGKILL after a 700 ms grace, checked on the 250 ms
// tick) and its return starts it again; the source ending removes it. `transcode.max` caps live
// ffmpeg processes across streams (excess templates are skipped, logged and counted). Children get
// PR_SET_PDEATHSIG and a closed pipe when central dies, so none outlives it. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "central/central_config.h"
#include "lib/live/stream_hub.h"
#include "lib/media/flv.h"
#include "lib/metrics/exposition.h"
#include "lib/net/child_process.h"
#include "lib/net/event_loop.h"

namespace cdn::central {

// The ffmpeg command line of one template: FLV in on stdin, FLV out on stdout.
std::vector<std::string> TranscodeArgs(const std::string& ffmpeg, const TranscodeTemplate& t);

struct TranscodeStats {
  uint64_t started = 0;    // ffmpeg processes started (first starts and restarts)
  uint64_t restarts = 0;   // after a crash
  uint64_t failures = 0;   // exits that were not asked for
  uint64_t skipped = 0;    // templates not run because transcode.max was reached
  uint64_t dropped = 0;    // source packets dropped because ffmpeg fell behind
  uint64_t bytes_out = 0;  // FLV bytes ffmpeg returned
};

class TranscodeManager;

class Transcoder : public live::Consumer {
 public:
  Transcoder(TranscodeManager* manager, live::Stream* source, std::string template_name, TranscodeTemplate t);
  ~Transcoder() override;

  // live::Consumer (the source stream).
  void OnStreamStart() override;
  void OnPacket(const live::PacketPtr& packet) override;
  void OnPublisherGone() override;
  void OnStreamEnd() override;
  bool is_viewer() const override { return false; }

  const live::StreamKey& output_key() const { return out_key_; }
  const live::StreamKey& source_key() const { return source_key_; }
  bool ended() const { return ended_; }
  // Holds one of transcode.max's slots: its source is live (ffmpeg runs or is being restarted).
  bool active() const { return want_running_ && !ended_; }
  bool running() const { return child_ && child_->running(); }
  pid_t pid() const { return child_ ? child_->pid() : -1; }
  uint64_t output_publisher() const { return out_id_; }
  // The output stream was kicked by an operator: forget it (it is re-published on the next tag).
  void OnOutputKicked();
  void Tick(int64_t now_ms);

 private:
  class Pipe;
  void Start(bool send_headers);
  void Stop(const char* why);
  void OnChildExit(int status);
  void OnOutput(std::string_view bytes);
  void PublishTag(media::FlvTag& tag);
  void ReleaseOutput();
  void WriteSource(const live::PacketPtr& p);

  TranscodeManager* manager_;
  live::Stream* source_;  // null once the source ended
  live::StreamKey source_key_, out_key_;
  std::string template_name_;
  TranscodeTemplate template_;
  std::unique_ptr<net::ChildProcess> child_;
  std::unique_ptr<Pipe> in_pipe_, out_pipe_;
  std::unique_ptr<media::FlvReader> reader_;  // new per ffmpeg run
  std::vector<media::FlvTag> tags_;
  bool want_running_ = false;  // the source is live: ffmpeg should run
  bool need_keyframe_ = true;  // skip source packets until a video key frame (start, overflow)
  bool ended_ = false;
  bool stopping_ = false;      // stdin closed on purpose; the exit is not a crash
  int64_t started_ms_ = 0;
  int64_t restart_at_ms_ = -1;
  int64_t kill_at_ms_ = -1;
  int64_t backoff_ms_ = 1000;
  int64_t next_publish_try_ms_ = 0;
  live::Stream* out_stream_ = nullptr;  // while we hold its publisher slot
  uint64_t out_id_ = 0;
};

class TranscodeManager {
 public:
  struct Options {
    std::string ffmpeg = "ffmpeg";
    int64_t max = 4;
    std::map<std::string, TranscodeTemplate> templates;
    size_t max_pending_bytes = 8 << 20;  // ffmpeg's unread input before packets are dropped
  };
  // `on_output_started(stream)` runs when a rendition's publisher slot is taken (central gives it
  // an HLS packager, as for any publish).
  TranscodeManager(net::EventLoop* loop, live::StreamHub* hub, Options options,
                   std::function<void(live::Stream*)> on_output_started);
  ~TranscodeManager();

  // A publisher started on `source`: run the templates that are not running yet.
  void OnPublishStarted(live::Stream* source, const std::vector<std::string>& templates);
  // A stream was ended by an operator; `publisher` was its publisher id.
  void OnKicked(uint64_t publisher);
  // Restarts crashed ffmpegs after their backoff, enforces stop deadlines, frees ended ones.
  void Tick(int64_t now_ms);
  void CloseAll();

  // Renditions of `source` (for the ABR master playlist).
  std::vector<std::string> Renditions(const live::StreamKey& source) const;
  bool IsRendition(const live::StreamKey& key) const;
  size_t running() const;
  size_t active() const;
  std::vector<pid_t> pids() const;
  const TranscodeStats& stats() const { return stats_; }
  void AddMetrics(metrics::Exposition* e) const;

 private:
  friend class Transcoder;
  net::EventLoop* loop_;
  live::StreamHub* hub_;
  Options options_;
  std::function<void(live::Stream*)> on_output_started_;
  std::map<std::string, std::unique_ptr<Transcoder>> transcoders_;  // by output StreamKey::ToString()
  TranscodeStats stats_;
  bool warned_max_ = false;
};

}  // namespace cdn::central
