#include "tools/cdn-loadgen/rtmp_publisher.h"

#include <fstream>
#include <sstream>

#include "lib/rtmp/message.h"

namespace cdn::loadgen {

using base::Status;

namespace {
constexpr int64_t kPumpMs = 10;
constexpr size_t kMaxFile = size_t{1} << 30;
constexpr size_t kMaxPendingOutput = 8 << 20;  // the server stopped reading: drop, don't grow

// Sequence headers (AVC/HEVC config, AAC config) and script data are sent on the first loop only.
bool IsConfig(const media::FlvTag& t) {
  if (t.type == media::TagType::kScript) return true;
  if (t.data.size() < 2) return false;
  const uint8_t b0 = static_cast<uint8_t>(t.data[0]);
  if (t.type == media::TagType::kVideo) return ((b0 & 0x0f) == 7 || (b0 & 0x0f) == 12) && t.data[1] == 0;
  return (b0 >> 4) == 10 && t.data[1] == 0;  // E.4.2.1 SoundFormat 10 = AAC, AACPacketType 0
}
}  // namespace

base::Result<std::shared_ptr<const FlvFile>> LoadFlvFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Io("cannot open " + path);
  auto file = std::make_shared<FlvFile>();
  media::FlvReader reader;
  std::string buf(1 << 20, '\0');
  size_t total = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const size_t n = static_cast<size_t>(in.gcount());
    if (n == 0) break;
    total += n;
    if (total > kMaxFile) return Status::TooLarge(path + ": over 1 GiB");
    CDN_RETURN_IF_ERROR(reader.Consume(std::string_view(buf.data(), n), &file->tags).WithContext(path));
  }
  if (file->tags.empty()) return Status::Invalid(path + ": no FLV tags");
  uint32_t first = file->tags.front().timestamp, last = first, video_prev = 0, video_step = 40;
  bool have_video = false;
  for (const auto& t : file->tags) {
    first = std::min(first, t.timestamp);
    last = std::max(last, t.timestamp);
    if (t.type == media::TagType::kVideo && !IsConfig(t)) {
      if (have_video && t.timestamp > video_prev) video_step = t.timestamp - video_prev;
      video_prev = t.timestamp;
      have_video = true;
    }
  }
  for (auto& t : file->tags) t.timestamp -= first;
  file->loop_ms = last - first + video_step;
  return std::shared_ptr<const FlvFile>(std::move(file));
}

RtmpPublisher::RtmpPublisher(net::EventLoop* loop, RtmpTarget target, std::shared_ptr<const FlvFile> file,
                             int64_t timeout_ms)
    : loop_(loop), target_(std::move(target)), file_(std::move(file)), timeout_ms_(timeout_ms),
      pump_(loop, [this] { Pump(); }) {}

RtmpPublisher::~RtmpPublisher() = default;

void RtmpPublisher::Start() {
  stats_.start_us = NowUs();
  rtmp::ClientSession::Options o;
  o.tc_url = target_.tc_url;
  o.app = target_.app;
  o.stream = target_.stream;
  o.publish = true;
  session_ = std::make_unique<rtmp::ClientSession>(this, std::move(o));
  tcp_ = net::TcpConnection::Connect(loop_, target_.addr, this, 0, timeout_ms_);
}

void RtmpPublisher::Finish() {
  if (stats_.end_us) return;
  pump_.Cancel();
  stats_.Close(NowUs(), "");
  if (session_ && tcp_ && !tcp_->closed()) {
    session_->Stop();  // FCUnpublish + deleteStream, flushed before the close
    Flush();
    tcp_->Close(false);
  }
}

void RtmpPublisher::Fail(std::string why) {
  if (stats_.end_us) return;
  pump_.Cancel();
  stats_.Close(NowUs(), stats_.connected_us < 0 ? std::move(why) : "dropped: " + why);
  if (tcp_) tcp_->Close(false);
}

void RtmpPublisher::Flush() {
  std::string* out = session_->output();
  if (!out->empty() && tcp_ && !tcp_->closed()) {
    stats_.bytes += out->size();
    tcp_->Write(*out);
    out->clear();
  }
}

void RtmpPublisher::OnConnected() {
  tcp_->SetReadTimeout(timeout_ms_ * 2);
  session_->Start();
  Flush();
}

void RtmpPublisher::OnData(std::string_view data) {
  if (stats_.end_us) return;
  Status st = session_->Consume(data);
  Flush();
  if (!st.ok()) Fail(st.message());
}

void RtmpPublisher::OnReady() {
  stats_.connected_us = NowUs();
  tcp_->SetReadTimeout(0);  // a server says little to a publisher
  epoch_us_ = NowUs();
  Pump();
  pump_.Start(kPumpMs, true);
}

void RtmpPublisher::Pump() {
  if (stats_.end_us || !session_->ready()) return;
  const int64_t now = NowUs();
  const auto& tags = file_->tags;
  // Bounded per call: at most one pass over the file.
  for (size_t sent = 0; sent < tags.size(); ++sent) {
    const media::FlvTag& t = tags[next_];
    const uint64_t ts = static_cast<uint64_t>(loops_) * file_->loop_ms + t.timestamp;
    if (epoch_us_ + static_cast<int64_t>(ts) * 1000 > now) break;
    if (loops_ == 0 || !IsConfig(t)) {
      if (tcp_->pending_output() < kMaxPendingOutput) {
        session_->SendMedia(static_cast<uint8_t>(t.type), static_cast<uint32_t>(ts), t.data);
        Flush();
      }
      if (t.type != media::TagType::kScript) {
        stats_.OnMedia(now, static_cast<uint32_t>(ts), t.type == media::TagType::kVideo && IsVideoKeyFrame(t.data));
      }
    }
    if (++next_ == tags.size()) {
      next_ = 0;
      ++loops_;
    }
  }
}

void RtmpPublisher::OnStatus(std::string_view level, std::string_view code, std::string_view description) {
  if (level == "error") last_status_ = std::string(code) + (description.empty() ? "" : ": " + std::string(description));
}

void RtmpPublisher::OnClosed(std::string_view reason) {
  if (stats_.end_us) return;
  pump_.Cancel();
  std::string why(reason);
  if (!last_status_.empty()) why = last_status_ + " (" + why + ")";
  stats_.Close(NowUs(), stats_.connected_us < 0 ? why : "dropped: " + why);
}

}  // namespace cdn::loadgen
