// libFuzzer target: arbitrary bytes -> ChunkReader (RTMP 1.0 section 5.3: chunk headers of every
// format, extended timestamps, Set Chunk Size, Abort). Byte 0 says how the stream is cut
// (fuzz_util.h Pieces), byte 1 picks the limits. Properties: fed whole and fed in pieces, the
// reader yields the same messages and the same error; errors are final; and every message it
// yields, written again by ChunkWriter (at a chunk size from byte 1), reads back identical.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/rtmp/chunk_reader.h"
#include "lib/rtmp/chunk_writer.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using cdn::base::Status;
using cdn::rtmp::ChunkReader;
using cdn::rtmp::ChunkReaderLimits;
using cdn::rtmp::Message;

bool Same(const Message& a, const Message& b) {
  return a.type == b.type && a.timestamp == b.timestamp && a.stream_id == b.stream_id && a.csid == b.csid &&
         a.payload == b.payload;
}

bool SameStatus(const Status& a, const Status& b) { return a.code() == b.code() && a.message() == b.message(); }

struct Fed {
  std::vector<Message> messages;
  Status status;
};

Fed Feed(const std::vector<std::string_view>& pieces, ChunkReaderLimits limits) {
  Fed f;
  ChunkReader reader(limits);
  uint64_t total = 0;
  for (std::string_view p : pieces) {
    total += p.size();
    f.status = reader.Consume(p, &f.messages);
    if (!f.status.ok()) {
      std::vector<Message> none;
      Status again = reader.Consume("\x02", &none);  // errors are final and parse nothing
      FUZZ_CHECK(SameStatus(again, f.status) && none.empty());
      return f;
    }
    FUZZ_CHECK(reader.bytes_received() == total);
  }
  return f;
}

// ChunkWriter output for `m` read by a fresh reader gives `m` back.
void CheckRoundTrip(const Message& m, uint32_t chunk_size, ChunkReaderLimits limits) {
  // Set Chunk Size and Abort act on the reader; their effect, not their echo, is what counts.
  if (m.type == cdn::rtmp::kMsgSetChunkSize || m.type == cdn::rtmp::kMsgAbort) return;
  std::string wire;
  cdn::rtmp::ChunkWriter writer;
  FUZZ_CHECK(writer.SetChunkSize(chunk_size, &wire).ok());
  writer.Write(m.csid, m.type, m.timestamp, m.stream_id, m.payload, &wire);
  std::vector<Message> back;
  limits.max_chunk_streams = 2;  // csid 2 for Set Chunk Size, m.csid for m
  limits.max_message_size = std::max<uint32_t>(limits.max_message_size, 4);  // Set Chunk Size's own 4 bytes
  ChunkReader reader(limits);
  const Status st = reader.Consume(wire, &back);
  if (!st.ok()) std::fprintf(stderr, "round trip of a type %d message: %s\n", m.type, st.ToString().c_str());
  FUZZ_CHECK(st.ok());
  FUZZ_CHECK(back.size() == 2);  // Set Chunk Size, then m
  FUZZ_CHECK(Same(back[1], m));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t seed = data[0];
  const uint8_t opts = data[1];
  const std::string_view in = cdn::fuzz::View(data + 2, size - 2);
  ChunkReaderLimits limits;
  if (opts & 1) {  // tight caps, so their edges get reached
    limits.max_message_size = 1 + (opts >> 1) * 64u;
    limits.max_chunk_streams = 1 + (opts >> 5);
  }
  const Fed whole = Feed({in}, limits);
  const Fed split = Feed(cdn::fuzz::Pieces(in, seed), limits);
  FUZZ_CHECK(SameStatus(whole.status, split.status));
  FUZZ_CHECK(whole.messages.size() == split.messages.size());
  for (size_t i = 0; i < whole.messages.size(); ++i) FUZZ_CHECK(Same(whole.messages[i], split.messages[i]));

  static constexpr uint32_t kChunkSizes[] = {1, 2, 7, 128, 4096, 60000};
  const uint32_t chunk_size = kChunkSizes[(opts >> 2) % 6];
  for (const Message& m : whole.messages) CheckRoundTrip(m, chunk_size, limits);
  return 0;
}
