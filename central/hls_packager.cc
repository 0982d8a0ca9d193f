#include "central/hls_packager.h"

#include <algorithm>
#include <chrono>
#include <charconv>

#include "lib/base/log.h"
#include "lib/media/flv_codec.h"
#include "lib/media/m3u8.h"

namespace cdn::central {

namespace {
// ADTS frames are gathered into one PES until they span this long: one AAC frame per PES would
// spend ~45% of the audio bytes on TS/PES headers at 64 kb/s; ~90 ms keeps it under 10% while
// the audio stays close to the video it plays with.
constexpr int64_t kAudioPesMs = 90;
constexpr uint64_t kAacFrameSamples = 1024;  // ISO/IEC 14496-3: one raw_data_block, core rate
}  // namespace

HlsPackager::HlsPackager(std::string name, std::string uri_prefix, std::string session, HlsOptions options)
    : name_(std::move(name)), uri_prefix_(std::move(uri_prefix)), session_(std::move(session)), options_(std::move(options)) {
  target_s_ = std::max<int64_t>(1, (options_.fragment_ms + 999) / 1000);
}

HlsPackager::~HlsPackager() = default;

int64_t HlsPackager::WallMs() const {
  if (options_.wall_ms) return options_.wall_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void HlsPackager::OnPacket(const live::PacketPtr& packet) {
  if (ended_ || unsupported_) return;
  if (packet->type() == live::PacketType::kVideo) {
    OnVideo(*packet);
  } else if (packet->type() == live::PacketType::kAudio) {
    OnAudio(*packet);
  }
}

void HlsPackager::OnVideo(const live::MediaPacket& p) {
  auto info = media::ParseVideoTag(p.payload());
  if (!info.ok() || info->codec == media::VideoCodec::kUnknown) return;
  if (info->codec != media::VideoCodec::kAvc) {
    // A configuration for another codec (HEVC, AV1, ...) says what the stream is; a stray
    // coded frame of one is just skipped.
    if (info->sequence_header) {
      LOG(WARN) << "hls " << name_ << ": video is not H.264: the stream is not packaged for HLS";
      unsupported_ = true;
      FinishSegment(last_ts_);
    }
    return;
  }
  const std::string_view body = std::string_view(p.payload()).substr(std::min(info->payload_offset, p.size()));
  if (info->sequence_header) {
    if (avc_ && body == avc_record_) return;  // the same configuration again (a reconnect, a replay)
    auto config = media::ParseAvcDecoderConfig(body);
    if (!config.ok()) {
      if (!warned_header_) {
        LOG(WARN) << "hls " << name_ << ": bad AVC sequence header (ignored; logged once): "
                  << config.status().message();
        warned_header_ = true;
      }
      return;
    }
    if (avc_ || open_) MarkDiscontinuity();  // new parameters (or video after audio-only): start afresh
    avc_ = std::move(*config);
    avc_record_ = std::string(body);
    return;
  }
  if (!avc_ || info->end_of_sequence || info->metadata || info->frame_type == media::kVideoFrameCommand) return;
  const int64_t ts = p.timestamp();
  const bool key = p.keyframe();
  if (!open_) {
    if (!key) return;  // a segment starts on a key frame
    OpenSegment(ts);
  } else if ((key && ts - start_ts_ >= options_.fragment_ms) || buf_.size() >= options_.max_segment_bytes) {
    FinishSegment(ts);
    OpenSegment(ts);
  }
  if (!muxer_.has_video()) return;
  scratch_.clear();
  if (!media::AvccToAnnexB(body, *avc_, key, &scratch_).ok()) return;  // a broken frame is skipped
  muxer_.WriteVideo(ts * 90, (ts + info->composition_time) * 90, key, scratch_, &buf_);
  if (last_video_ts_ >= 0 && ts > last_video_ts_) last_video_delta_ = ts - last_video_ts_;
  last_video_ts_ = ts;
  last_ts_ = std::max(last_ts_, ts + last_video_delta_);
}

void HlsPackager::OnAudio(const live::MediaPacket& p) {
  auto info = media::ParseAudioTag(p.payload());
  if (!info.ok() || info->codec == media::AudioCodec::kUnknown) return;
  if (info->codec != media::AudioCodec::kAac) {
    if (!warned_audio_) {
      LOG(WARN) << "hls " << name_ << ": audio is not AAC: HLS segments carry video only";
      warned_audio_ = true;
    }
    return;
  }
  const std::string_view body = std::string_view(p.payload()).substr(std::min(info->payload_offset, p.size()));
  if (info->sequence_header) {
    if (aac_ && body == aac_record_) return;
    auto config = media::ParseAudioSpecificConfig(body);
    if (!config.ok()) {
      if (!warned_header_) {
        LOG(WARN) << "hls " << name_ << ": bad AAC sequence header (ignored; logged once): "
                  << config.status().message();
        warned_header_ = true;
      }
      return;
    }
    if (aac_) MarkDiscontinuity();
    aac_ = *config;
    aac_record_ = std::string(body);
    return;
  }
  if (!aac_ || body.empty()) return;
  const int64_t ts = p.timestamp();
  if (!avc_) {
    // Audio only: cut by time.
    if (!open_) {
      OpenSegment(ts);
    } else if (ts - start_ts_ >= options_.fragment_ms || buf_.size() >= options_.max_segment_bytes) {
      FinishSegment(ts);
      OpenSegment(ts);
    }
  } else if (!open_) {
    return;  // waits for the first video key frame
  }
  if (!muxer_.has_audio()) return;  // the segment began before the audio configuration
  if (audio_pes_.empty()) audio_pes_ts_ = ts;
  if (!media::AppendAdtsHeader(*aac_, body.size(), &audio_pes_)) return;  // appends nothing then
  audio_pes_.append(body);
  const int64_t rate = aac_->core_sample_rate > 0 ? aac_->core_sample_rate : 44100;
  last_ts_ = std::max(last_ts_, ts + static_cast<int64_t>(kAacFrameSamples * 1000 / rate));
  if (ts - audio_pes_ts_ >= kAudioPesMs) FlushAudio();
}

void HlsPackager::FlushAudio() {
  if (audio_pes_.empty()) return;
  muxer_.WriteAudio(audio_pes_ts_ * 90, audio_pes_, &buf_);
  audio_pes_.clear();
}

void HlsPackager::OpenSegment(int64_t ts) {
  if (!anchored_) {
    anchored_ = true;
    anchor_wall_ms_ = WallMs();
    anchor_ts_ = ts;
  }
  open_ = true;
  start_ts_ = ts;
  last_ts_ = ts;
  buf_.clear();
  audio_pes_.clear();
  segment_discontinuity_ = next_discontinuity_ && next_sequence_ > 0;
  next_discontinuity_ = false;
  muxer_.SetTracks(avc_.has_value(), aac_.has_value());
  muxer_.WriteTables(&buf_);
}

void HlsPackager::FinishSegment(int64_t end_ts) {
  if (!open_) return;
  FlushAudio();
  open_ = false;
  if (buf_.size() <= 2 * media::kTsPacketSize) return;  // tables only: nothing to play
  Segment s;
  s.sequence = next_sequence_++;
  s.duration_ms = std::max<int64_t>(1, end_ts - start_ts_);
  s.discontinuity = segment_discontinuity_;
  s.program_date_ms = anchor_wall_ms_ + (start_ts_ - anchor_ts_);
  s.data = base::MakeShared(std::move(buf_));
  buf_ = std::string();
  segments_.push_back(std::move(s));
  const size_t keep = static_cast<size_t>(std::max<int64_t>(1, options_.window) + std::max<int64_t>(0, options_.extra_segments));
  while (segments_.size() > keep) {
    dropped_discontinuities_ += segments_.front().discontinuity;
    segments_.pop_front();
  }
  // Never lowered: EXT-X-TARGETDURATION must not change over the playlist's life (RFC 8216 6.2.1).
  target_s_ = std::max(target_s_, (segments_.back().duration_ms + 999) / 1000);
  Publish();
}

void HlsPackager::MarkDiscontinuity() {
  FinishSegment(last_ts_);
  next_discontinuity_ = true;
}

void HlsPackager::Publish() {
  if (segments_.empty()) return;
  const size_t window = static_cast<size_t>(std::max<int64_t>(1, options_.window));
  const size_t first = segments_.size() > window ? segments_.size() - window : 0;
  media::MediaPlaylist pl;
  pl.discontinuity_sequence = dropped_discontinuities_;
  for (size_t i = 0; i < first; ++i) pl.discontinuity_sequence += segments_[i].discontinuity;
  for (size_t i = first; i < segments_.size(); ++i) {
    const Segment& s = segments_[i];
    pl.segments.push_back({s.sequence, s.duration_ms, uri_prefix_ + SegmentFileName(s.sequence), s.discontinuity,
                           s.program_date_ms});
  }
  pl.min_target_duration_s = target_s_;
  pl.ended = ended_;
  auto snap = std::make_shared<HlsPlaylist>();
  snap->text = media::WriteMediaPlaylist(pl, &snap->uri_ends);
  snap->media_sequence = pl.segments.front().sequence;
  snap->segments = pl.segments.size();
  snap->ended = ended_;
  playlist_ = std::move(snap);
  if (on_update_) on_update_();
}

void HlsPackager::OnPublisherGone() {
  if (ended_) return;
  FinishSegment(last_ts_);
  next_discontinuity_ = true;
  anchored_ = false;
  last_video_ts_ = -1;
}

void HlsPackager::OnStreamEnd() {
  if (ended_) return;
  FinishSegment(last_ts_);
  ended_ = true;
  Publish();  // the last snapshot carries EXT-X-ENDLIST
}

std::string HlsPackager::SegmentFileName(uint64_t sequence) const {
  return session_ + "-" + std::to_string(sequence) + ".ts";
}

base::SharedBytes HlsPackager::segment(std::string_view file) const {
  if (file.size() <= session_.size() + 4 || file.compare(0, session_.size(), session_) != 0 ||
      file[session_.size()] != '-' || file.substr(file.size() - 3) != ".ts")
    return nullptr;
  const std::string_view digits = file.substr(session_.size() + 1, file.size() - session_.size() - 4);
  if (digits.empty() || digits.size() > 19 || (digits.size() > 1 && digits[0] == '0')) return nullptr;
  uint64_t seq = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return nullptr;
  if (segments_.empty() || seq < segments_.front().sequence) return nullptr;
  const uint64_t index = seq - segments_.front().sequence;
  if (index >= segments_.size()) return nullptr;
  return segments_[index].data;
}

size_t HlsPackager::bytes_held() const {
  size_t n = buf_.size();
  for (const auto& s : segments_) n += s.data->size();
  return n;
}

HlsPackager::Variant HlsPackager::variant() const {
  Variant v;
  if (avc_) {
    v.codecs = media::AvcCodecString(*avc_);
    v.width = avc_->width;
    v.height = avc_->height;
  }
  if (aac_) v.codecs += std::string(v.codecs.empty() ? "" : ",") + "mp4a.40." + std::to_string(aac_->object_type);
  uint64_t bytes = 0;
  int64_t ms = 0;
  for (const Segment& s : segments_) {
    if (s.duration_ms <= 0) continue;
    bytes += s.data->size();
    ms += s.duration_ms;
    v.peak_bps = std::max<uint64_t>(v.peak_bps, s.data->size() * 8000 / uint64_t(s.duration_ms));
  }
  if (ms > 0) v.average_bps = bytes * 8000 / uint64_t(ms);
  return v;
}

}  // namespace cdn::central
