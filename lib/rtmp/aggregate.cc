#include "lib/rtmp/aggregate.h"

#include "lib/base/bytes.h"

namespace cdn::rtmp {

base::Status SplitAggregate(const Message& m, std::vector<Message>* out) {
  base::ByteReader r(m.payload);
  bool first = true;
  uint32_t base_ts = 0;
  while (!r.empty()) {
    uint8_t type, ts_ext;
    uint32_t size, ts, sid, prev;
    std::string_view body;
    if (!r.ReadU8(&type) || !r.ReadU24(&size) || !r.ReadU24(&ts) || !r.ReadU8(&ts_ext) || !r.ReadU24(&sid) ||
        !r.ReadBytes(size, &body) || !r.ReadU32(&prev))
      return base::Status::Invalid("malformed aggregate message");
    ts |= static_cast<uint32_t>(ts_ext) << 24;
    if (first) {
      base_ts = ts;
      first = false;
    }
    Message sub;
    sub.type = type;
    sub.timestamp = m.timestamp + (ts - base_ts);
    sub.stream_id = m.stream_id;
    sub.csid = m.csid;
    sub.payload.assign(body);
    out->push_back(std::move(sub));
  }
  return base::Status::Ok();
}

}  // namespace cdn::rtmp
