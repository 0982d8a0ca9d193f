#include "lib/rtmp/chunk_reader.h"

#include <algorithm>

#include "lib/base/bytes.h"

namespace cdn::rtmp {

using base::Status;

namespace {
// What a message header alone may make us allocate. The declared length is the peer's word: a
// peer declaring max_message_size on each of max_chunk_streams streams, then sending one chunk
// each, would otherwise hold 64 x 8 MiB per connection for ~9 KB sent. Beyond this the buffer
// grows with the bytes that really arrive (geometrically: a few reallocations per large frame).
constexpr size_t kMaxUpFrontReserve = 64 << 10;
}  // namespace

Status ChunkReader::Consume(std::string_view in, std::vector<Message>* out) {
  if (!status_.ok()) return status_;  // errors are final: the chunk stream is out of sync
  bytes_received_ += in.size();
  // Fast path: nothing buffered, parse straight from `in`, buffering only the tail.
  std::string_view data;
  if (buf_.empty()) {
    data = in;
  } else {
    buf_.append(in);
    data = buf_;
  }
  size_t pos = 0;
  while (pos < data.size()) {
    auto r = ParseOne(data.substr(pos), out);
    if (!r.ok()) {
      status_ = r.status();
      buf_.clear();
      return status_;
    }
    if (*r == 0) break;
    pos += *r;
  }
  if (data.data() == buf_.data() && !buf_.empty()) {
    buf_.erase(0, pos);
  } else {
    buf_.assign(data.substr(pos));
  }
  return Status::Ok();
}

base::Result<size_t> ChunkReader::ParseOne(std::string_view data, std::vector<Message>* out) {
  base::ByteReader r(data);
  uint8_t b0;
  if (!r.ReadU8(&b0)) return size_t{0};
  const uint8_t fmt = b0 >> 6;
  uint32_t csid = b0 & 0x3f;
  if (csid == 0) {  // section 5.3.1.1: 2-byte form
    uint8_t b1;
    if (!r.ReadU8(&b1)) return size_t{0};
    csid = 64 + b1;
  } else if (csid == 1) {  // 3-byte form
    uint8_t b1, b2;
    if (!r.ReadU8(&b1) || !r.ReadU8(&b2)) return size_t{0};
    csid = 64 + b1 + 256u * b2;
  }

  auto it = streams_.find(csid);
  if (it == streams_.end()) {
    if (streams_.size() >= limits_.max_chunk_streams)
      return Status::TooLarge("too many chunk streams (" + std::to_string(streams_.size()) + ")");
    if (fmt != 0) {
      // Lenient like nginx-rtmp: a first chunk without fmt 0 is only acceptable as fmt 1
      // (it carries length and type); stream id then defaults to 0.
      if (fmt != 1) return Status::Invalid("chunk stream " + std::to_string(csid) + " starts with fmt " + std::to_string(fmt));
    }
    it = streams_.emplace(csid, StreamState{}).first;
  }
  StreamState& st = it->second;

  // Section 5.3.1.2: message header.
  uint32_t ts_field = 0;
  uint32_t length = st.length;
  uint8_t type = st.type;
  uint32_t stream_id = st.stream_id;
  if (fmt <= 2) {
    if (!r.ReadU24(&ts_field)) return size_t{0};
  }
  if (fmt <= 1) {
    uint8_t t;
    if (!r.ReadU24(&length) || !r.ReadU8(&t)) return size_t{0};
    type = t;
  }
  if (fmt == 0) {
    std::string_view sid;
    if (!r.ReadBytes(4, &sid)) return size_t{0};
    stream_id = static_cast<uint8_t>(sid[0]) | static_cast<uint8_t>(sid[1]) << 8 |
                static_cast<uint8_t>(sid[2]) << 16 | static_cast<uint32_t>(static_cast<uint8_t>(sid[3])) << 24;
  }
  // Section 5.3.1.3: extended timestamp.
  bool extended = false;
  uint32_t ext = 0;
  if (fmt <= 2) {
    if (ts_field == 0xFFFFFF) {
      if (!r.ReadU32(&ext)) return size_t{0};
      extended = true;
      ts_field = ext;
    }
  } else if (st.extended) {
    // fmt 3 after an extended header repeats the extended timestamp (Adobe, librtmp, ffmpeg);
    // some encoders omit it on continuation chunks: accept both, as SRS does.
    uint32_t peek;
    base::ByteReader probe(r.rest());
    if (!probe.ReadU32(&peek)) return size_t{0};
    if (!st.in_progress || peek == st.ext_value) {
      r.Skip(4);
      ext = peek;
      extended = true;
    }
  }

  // The cap is checked as soon as the header is in, before waiting for (and buffering) up to a
  // whole chunk of a message that will be refused anyway.
  if (!st.in_progress && length > limits_.max_message_size)
    return Status::TooLarge("message of " + std::to_string(length) + " bytes over the cap of " +
                            std::to_string(limits_.max_message_size));

  // Nothing changes until the whole chunk is here: a partial chunk is parsed again later.
  {
    const size_t body = st.in_progress ? std::min<size_t>(chunk_size_, st.length - st.partial.size())
                                       : std::min<size_t>(chunk_size_, length);
    if (r.remaining() < body) return size_t{0};
  }
  if (!st.in_progress) {
    // Apply the header to the chunk stream state: this chunk starts a new message.
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
    st.length = length;
    st.type = type;
    st.stream_id = stream_id;
    st.seen = true;
    st.partial.clear();
    st.partial.reserve(std::min<size_t>(length, kMaxUpFrontReserve));
    st.in_progress = true;
  } else if (fmt != 3) {
    // A new header in the middle of a message: the sender abandoned it (librtmp does this
    // only after Abort). Treat as protocol error, like nginx-rtmp.
    return Status::Invalid("chunk header fmt " + std::to_string(fmt) + " inside a message on csid " + std::to_string(csid));
  }

  const size_t want = std::min<size_t>(chunk_size_, st.length - st.partial.size());
  std::string_view body;
  if (!r.ReadBytes(want, &body)) return size_t{0};
  st.partial.append(body);
  const size_t used = r.position();

  if (st.partial.size() == st.length) {
    Message m;
    m.type = st.type;
    m.timestamp = st.timestamp;
    m.stream_id = st.stream_id;
    m.csid = csid;
    m.payload = std::move(st.partial);
    st.partial = std::string();
    st.in_progress = false;
    if (m.type == kMsgSetChunkSize || m.type == kMsgAbort) {
      CDN_RETURN_IF_ERROR(HandleControl(m));
    }
    out->push_back(std::move(m));
  }
  return used;
}

size_t ChunkReader::buffered_bytes() const {
  size_t n = buf_.capacity();
  for (const auto& [csid, st] : streams_) n += st.partial.capacity();
  return n;
}

Status ChunkReader::HandleControl(const Message& m) {
  base::ByteReader r(m.payload);
  uint32_t v;
  if (!r.ReadU32(&v)) return Status::Invalid("short protocol control message type " + std::to_string(m.type));
  if (m.type == kMsgSetChunkSize) {
    v &= 0x7fffffff;  // section 5.4.1: the top bit must be zero
    if (v == 0 || v > kMaxChunkSize) return Status::Invalid("bad chunk size " + std::to_string(v));
    chunk_size_ = v;
  } else {
    auto it = streams_.find(v);
    if (it != streams_.end()) {
      it->second.partial.clear();
      it->second.in_progress = false;
    }
  }
  return Status::Ok();
}

}  // namespace cdn::rtmp
