// FlvScanner: reads an HTTP-FLV response (HTTP/1.1 status line and headers, then a chunked or
// plain body holding an FLV stream, FLV 10.1 Annex E) the cheap way a load generator needs:
// tags are followed by their 11-byte headers and first few data bytes, never copied. No I/O;
// one per connection; single-threaded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/base/status.h"

namespace cdn::loadgen {

class FlvScanner {
 public:
  static constexpr size_t kMaxHead = 16 << 10;     // HTTP response head
  static constexpr size_t kHeadBytes = 16;         // data bytes kept of each tag
  static constexpr uint32_t kMaxTag = 16 << 20;

  class Delegate {
   public:
    virtual ~Delegate() = default;
    // The response head is in: status 200 (other statuses end the scan with an error).
    virtual void OnResponse() = 0;
    // A complete audio/video/script tag: type, timestamp, data size, first data bytes.
    virtual void OnTag(uint8_t type, uint32_t timestamp, uint32_t size, std::string_view head) = 0;
  };

  explicit FlvScanner(Delegate* delegate) : delegate_(delegate) {}

  // Any split of the response bytes. Errors are final. The end of a chunked body is reported as
  // an error "end of stream" (a live stream has none).
  base::Status Consume(std::string_view in);

 private:
  enum class HttpState { kHead, kChunkSize, kChunkData, kChunkCrlf, kPlain };
  enum class FlvState { kFileHeader, kSkipHeader, kTagHeader, kTagData, kPrevSize };
  base::Status ParseHead();
  base::Status ScanFlv(std::string_view in);

  Delegate* delegate_;
  base::Status status_;
  HttpState http_ = HttpState::kHead;
  std::string line_;         // response head, then a chunk-size line
  uint64_t chunk_left_ = 0;  // data bytes (or CRLF bytes) left in the current HTTP chunk

  FlvState flv_ = FlvState::kFileHeader;
  char hdr_[16];
  size_t hdr_len_ = 0;
  uint64_t skip_ = 0;        // bytes left to skip in kSkipHeader / kTagData / kPrevSize
  uint8_t tag_type_ = 0;
  uint32_t tag_size_ = 0;
  uint32_t tag_ts_ = 0;
  char head_[kHeadBytes];
  size_t head_len_ = 0;
};

}  // namespace cdn::loadgen
