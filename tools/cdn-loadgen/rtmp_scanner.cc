#include "tools/cdn-loadgen/rtmp_scanner.h"

#include <algorithm>
#include <cstring>

#include "lib/base/bytes.h"

namespace cdn::loadgen {

using base::Status;

namespace {
// Basic header (<= 3) + message header (<= 11) + extended timestamp (4), section 5.3.1.
constexpr size_t kMaxHeader = 18;
}  // namespace

Status RtmpScanner::Consume(std::string_view in) {
  if (!status_.ok()) return status_;
  while (!in.empty()) {
    if (!cur_) {
      size_t used = 0;
      if (hdr_len_ > 0) {
        // Complete a split header from the buffered bytes plus the start of `in`.
        const size_t take = std::min(in.size(), sizeof hdr_ - hdr_len_);
        memcpy(hdr_ + hdr_len_, in.data(), take);
        auto r = ParseHeader(std::string_view(hdr_, hdr_len_ + take));
        if (!r.ok()) return status_ = r.status();
        if (*r == 0) {
          hdr_len_ += take;
          if (hdr_len_ >= kMaxHeader) return status_ = Status::Invalid("unparseable chunk header");
          return Status::Ok();
        }
        used = *r - hdr_len_;
        hdr_len_ = 0;
      } else {
        auto r = ParseHeader(in);
        if (!r.ok()) return status_ = r.status();
        if (*r == 0) {
          if (in.size() >= kMaxHeader) return status_ = Status::Invalid("unparseable chunk header");
          memcpy(hdr_, in.data(), in.size());
          hdr_len_ = in.size();
          return Status::Ok();
        }
        used = *r;
      }
      in.remove_prefix(used);
      if (chunk_left_ == 0) {  // an empty message
        if (Status st = EndChunk(); !st.ok()) return status_ = st;
        continue;
      }
    }
    const size_t take = std::min(in.size(), chunk_left_);
    Body(in.substr(0, take));
    in.remove_prefix(take);
    chunk_left_ -= take;
    if (chunk_left_ == 0) {
      if (Status st = EndChunk(); !st.ok()) return status_ = st;
    }
  }
  return Status::Ok();
}

base::Result<size_t> RtmpScanner::ParseHeader(std::string_view data) {
  base::ByteReader r(data);
  uint8_t b0;
  if (!r.ReadU8(&b0)) return size_t{0};
  const uint8_t fmt = b0 >> 6;
  uint32_t csid = b0 & 0x3f;
  if (csid == 0) {  // 5.3.1.1: 2-byte form
    uint8_t b1;
    if (!r.ReadU8(&b1)) return size_t{0};
    csid = 64 + b1;
  } else if (csid == 1) {  // 3-byte form
    uint8_t b1, b2;
    if (!r.ReadU8(&b1) || !r.ReadU8(&b2)) return size_t{0};
    csid = 64 + b1 + 256u * b2;
  }
  uint32_t ts_field = 0, length = 0, stream_id = 0;
  uint8_t type = 0;
  if (fmt <= 2 && !r.ReadU24(&ts_field)) return size_t{0};
  if (fmt <= 1 && (!r.ReadU24(&length) || !r.ReadU8(&type))) return size_t{0};
  if (fmt == 0) {
    std::string_view sid;
    if (!r.ReadBytes(4, &sid)) return size_t{0};
    stream_id = static_cast<uint8_t>(sid[0]) | static_cast<uint8_t>(sid[1]) << 8 |
                static_cast<uint8_t>(sid[2]) << 16 | static_cast<uint32_t>(static_cast<uint8_t>(sid[3])) << 24;
  }
  auto it = streams_.find(csid);
  if (it == streams_.end()) {
    if (fmt > 1) return Status::Invalid("chunk stream " + std::to_string(csid) + " starts with fmt " + std::to_string(fmt));
    if (streams_.size() >= kMaxChunkStreams) return Status::TooLarge("too many chunk streams");
  }
  // Looked up, not created, until the header is complete: need-more must change nothing.
  const StreamState* known = it == streams_.end() ? nullptr : &it->second;
  bool extended = false;
  uint32_t ext = 0;
  if (fmt <= 2) {
    if (ts_field == 0xFFFFFF) {  // 5.3.1.3
      if (!r.ReadU32(&ext)) return size_t{0};
      extended = true;
      ts_field = ext;
    }
  } else if (known && known->extended) {
    // As ChunkReader: fmt 3 repeats the extended timestamp, except on continuation chunks of
    // encoders that omit it.
    uint32_t peek;
    base::ByteReader probe(r.rest());
    if (!probe.ReadU32(&peek)) return size_t{0};
    if (!known->in_progress || peek == known->ext_value) {
      r.Skip(4);
      ext = peek;
      extended = true;
    }
  }
  StreamState& st = it == streams_.end() ? streams_[csid] : it->second;
  if (!st.in_progress) {
    if (fmt == 0) {
      st.timestamp = ts_field;
      st.delta = ts_field;
    } else if (fmt == 1 || fmt == 2) {
      st.delta = ts_field;
      st.timestamp += ts_field;
    } else {
      if (st.extended && extended) st.delta = ext;
      if (st.seen) st.timestamp += st.delta;
    }
    if (fmt <= 2) st.extended = extended;
    if (extended) st.ext_value = ext;
    if (fmt <= 1) {
      st.length = length;
      st.type = type;
    }
    if (fmt == 0) st.stream_id = stream_id;
    st.seen = true;
    st.in_progress = true;
    st.received = 0;
    st.head_len = 0;
    if (!IsMedia(st.type)) {
      if (st.length > kMaxOtherMessage)
        return Status::TooLarge("message type " + std::to_string(st.type) + " of " + std::to_string(st.length) + " bytes");
      st.partial.clear();
      st.partial.reserve(st.length);
    }
  } else if (fmt != 3) {
    return Status::Invalid("chunk header fmt " + std::to_string(fmt) + " inside a message on csid " + std::to_string(csid));
  }
  cur_ = &st;
  cur_csid_ = csid;
  chunk_left_ = std::min<size_t>(chunk_size_, st.length - st.received);
  return r.position();
}

void RtmpScanner::Body(std::string_view bytes) {
  StreamState& st = *cur_;
  if (IsMedia(st.type)) {
    if (st.head_len < kHeadBytes) {
      const size_t n = std::min(bytes.size(), kHeadBytes - st.head_len);
      memcpy(st.head + st.head_len, bytes.data(), n);
      st.head_len = static_cast<uint8_t>(st.head_len + n);
    }
  } else {
    st.partial.append(bytes);
  }
  st.received += static_cast<uint32_t>(bytes.size());
}

Status RtmpScanner::EndChunk() {
  StreamState& st = *cur_;
  const uint32_t csid = cur_csid_;
  cur_ = nullptr;
  if (st.received < st.length) return Status::Ok();
  st.in_progress = false;
  if (IsMedia(st.type)) {
    delegate_->OnMediaHeader(st.type, st.timestamp, st.length, std::string_view(st.head, st.head_len));
    return Status::Ok();
  }
  rtmp::Message m;
  m.type = st.type;
  m.timestamp = st.timestamp;
  m.stream_id = st.stream_id;
  m.csid = csid;
  m.payload = std::move(st.partial);
  st.partial = std::string();
  if (m.type == rtmp::kMsgSetChunkSize || m.type == rtmp::kMsgAbort) {
    base::ByteReader r(m.payload);
    uint32_t v;
    if (!r.ReadU32(&v)) return Status::Invalid("short protocol control message");
    if (m.type == rtmp::kMsgSetChunkSize) {
      v &= 0x7fffffff;  // 5.4.1
      if (v == 0 || v > rtmp::kMaxChunkSize) return Status::Invalid("bad chunk size " + std::to_string(v));
      chunk_size_ = v;
    } else if (auto it = streams_.find(v); it != streams_.end()) {  // 5.4.2 Abort
      it->second.in_progress = false;
      it->second.partial.clear();
    }
  }
  return delegate_->OnOtherMessage(std::move(m));
}

}  // namespace cdn::loadgen
