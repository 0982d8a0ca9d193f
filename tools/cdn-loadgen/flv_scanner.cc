#include "tools/cdn-loadgen/flv_scanner.h"

#include <algorithm>
#include <cstring>

#include "lib/base/bytes.h"
#include "lib/http/query.h"

namespace cdn::loadgen {

using base::Status;

namespace {
constexpr size_t kFlvHeader = 9;     // E.2
constexpr size_t kTagHeader = 11;    // E.4.1
constexpr size_t kPrevTagSize = 4;   // E.3
constexpr size_t kMaxChunkLine = 64;
}  // namespace

Status FlvScanner::Consume(std::string_view in) {
  if (!status_.ok()) return status_;
  while (!in.empty()) {
    switch (http_) {
      case HttpState::kHead: {
        const size_t old = line_.size();
        line_.append(in.substr(0, kMaxHead - std::min(kMaxHead, old)));
        const size_t end = line_.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
        if (end == std::string::npos) {
          if (line_.size() >= kMaxHead) return status_ = Status::TooLarge("HTTP response head over 16 KiB");
          return Status::Ok();
        }
        const size_t body_from = end + 4 - old;  // offset in `in`
        line_.resize(end + 2);
        if (Status st = ParseHead(); !st.ok()) return status_ = st;
        line_.clear();
        in.remove_prefix(body_from);
        delegate_->OnResponse();
        break;
      }
      case HttpState::kChunkSize: {
        const size_t nl = in.find('\n');
        const size_t take = nl == std::string_view::npos ? in.size() : nl + 1;
        line_.append(in.substr(0, take));
        in.remove_prefix(take);
        if (line_.size() > kMaxChunkLine) return status_ = Status::Invalid("chunk size line too long");
        if (nl == std::string_view::npos) break;
        uint64_t n = 0;
        size_t digits = 0;
        for (char c : line_) {
          int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
          if (v < 0) break;
          if (++digits > 8) return status_ = Status::Invalid("chunk size too large");
          n = n * 16 + static_cast<uint64_t>(v);
        }
        if (digits == 0) return status_ = Status::Invalid("bad chunk size line");
        line_.clear();
        if (n == 0) return status_ = Status::Io("end of stream");
        chunk_left_ = n;
        http_ = HttpState::kChunkData;
        break;
      }
      case HttpState::kChunkData: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(in.size(), chunk_left_));
        if (Status st = ScanFlv(in.substr(0, take)); !st.ok()) return status_ = st;
        in.remove_prefix(take);
        chunk_left_ -= take;
        if (chunk_left_ == 0) {
          chunk_left_ = 2;
          http_ = HttpState::kChunkCrlf;
        }
        break;
      }
      case HttpState::kChunkCrlf: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(in.size(), chunk_left_));
        in.remove_prefix(take);
        chunk_left_ -= take;
        if (chunk_left_ == 0) http_ = HttpState::kChunkSize;
        break;
      }
      case HttpState::kPlain:
        if (Status st = ScanFlv(in); !st.ok()) return status_ = st;
        in = {};
        break;
    }
  }
  return Status::Ok();
}

Status FlvScanner::ParseHead() {
  // "HTTP/1.1 200 OK\r\n" then headers, each ending in CRLF.
  const size_t eol = line_.find("\r\n");
  std::string_view status_line(line_.data(), eol);
  if (status_line.substr(0, 5) != "HTTP/" || status_line.size() < 12) return Status::Invalid("not an HTTP response");
  const std::string_view code = status_line.substr(9, 3);
  if (code != "200") return Status::NotFound("HTTP " + std::string(code));
  http_ = HttpState::kPlain;
  const std::string lower = http::ToLower(line_);
  size_t p = lower.find("\r\ntransfer-encoding:");
  if (p != std::string::npos && lower.find("chunked", p) < lower.find("\r\n", p + 2)) http_ = HttpState::kChunkSize;
  return Status::Ok();
}

Status FlvScanner::ScanFlv(std::string_view in) {
  while (!in.empty()) {
    switch (flv_) {
      case FlvState::kFileHeader:
      case FlvState::kTagHeader: {
        const size_t need = flv_ == FlvState::kFileHeader ? kFlvHeader : kTagHeader;
        const size_t take = std::min(in.size(), need - hdr_len_);
        memcpy(hdr_ + hdr_len_, in.data(), take);
        hdr_len_ += take;
        in.remove_prefix(take);
        if (hdr_len_ < need) return Status::Ok();
        hdr_len_ = 0;
        std::string_view h(hdr_, need);
        if (flv_ == FlvState::kFileHeader) {
          if (h.substr(0, 3) != "FLV") return Status::Invalid("not an FLV stream");
          const uint32_t offset = base::GetBE(h, 5, 4);
          if (offset < kFlvHeader || offset > 1024) return Status::Invalid("bad FLV DataOffset");
          skip_ = offset - kFlvHeader + kPrevTagSize;
          flv_ = FlvState::kSkipHeader;
        } else {
          tag_type_ = static_cast<uint8_t>(h[0]) & 0x1f;
          tag_size_ = base::GetBE(h, 1, 3);
          tag_ts_ = base::GetBE(h, 4, 3) | static_cast<uint32_t>(static_cast<uint8_t>(h[7])) << 24;
          if (tag_size_ > kMaxTag) return Status::TooLarge("FLV tag of " + std::to_string(tag_size_) + " bytes");
          head_len_ = 0;
          skip_ = tag_size_;
          flv_ = FlvState::kTagData;
          if (skip_ == 0) {
            delegate_->OnTag(tag_type_, tag_ts_, 0, {});
            skip_ = kPrevTagSize;
            flv_ = FlvState::kPrevSize;
          }
        }
        break;
      }
      case FlvState::kSkipHeader:
      case FlvState::kPrevSize: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(in.size(), skip_));
        in.remove_prefix(take);
        skip_ -= take;
        if (skip_ == 0) flv_ = FlvState::kTagHeader;
        break;
      }
      case FlvState::kTagData: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(in.size(), skip_));
        if (head_len_ < kHeadBytes) {
          const size_t n = std::min(take, kHeadBytes - head_len_);
          memcpy(head_ + head_len_, in.data(), n);
          head_len_ += n;
        }
        in.remove_prefix(take);
        skip_ -= take;
        if (skip_ == 0) {
          delegate_->OnTag(tag_type_, tag_ts_, tag_size_, std::string_view(head_, head_len_));
          skip_ = kPrevTagSize;
          flv_ = FlvState::kPrevSize;
        }
        break;
      }
    }
  }
  return Status::Ok();
}

}  // namespace cdn::loadgen
