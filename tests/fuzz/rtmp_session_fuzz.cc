// libFuzzer target: arbitrary chunk-stream bytes -> ServerSession or ClientSession, after a
// valid handshake the target supplies itself (the handshake has its own target), with a delegate
// that answers every connect, publish and play. Byte 0: bit 0 server/client, bit 1 (server) accept or
// reject, bit 2 client publishes or plays, bit 3 the client stops halfway; the rest of the byte
// and byte 1 cut the stream (fuzz_util.h Pieces). Properties: errors are final; whatever the
// peer sends, what the session writes back is a valid chunk stream whose commands decode.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/rtmp/chunk_reader.h"
#include "lib/rtmp/client_session.h"
#include "lib/rtmp/server_session.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using cdn::base::Status;
using cdn::rtmp::Message;

// Parses what a session writes, as its peer would: handshake bytes first, then chunks.
class OutputChecker {
 public:
  explicit OutputChecker(size_t handshake_bytes) : skip_(handshake_bytes) {}

  // Takes (and clears) the session's output buffer.
  void Drain(std::string* out) {
    std::string_view data(*out);
    const size_t n = std::min(skip_, data.size());
    skip_ -= n;
    data.remove_prefix(n);
    std::vector<Message> messages;
    FUZZ_CHECK(reader_.Consume(data, &messages).ok());
    for (const Message& m : messages) {
      if (m.type == cdn::rtmp::kMsgAmf0Command || m.type == cdn::rtmp::kMsgAmf0Data) {
        std::vector<cdn::rtmp::Amf0Value> values;
        FUZZ_CHECK(cdn::rtmp::DecodeAmf0All(m.payload, &values).ok());
      }
    }
    out->clear();
  }

 private:
  size_t skip_;
  cdn::rtmp::ChunkReader reader_;
};

struct ServerDelegate : cdn::rtmp::ServerSession::Delegate {
  bool connect = false, publish = false, play = false;
  void OnConnect(const cdn::rtmp::ConnectInfo&) override { connect = true; }
  void OnPublish(const cdn::rtmp::StreamRequest&) override { publish = true; }
  void OnPlay(const cdn::rtmp::StreamRequest&) override { play = true; }
  void OnMedia(Message&&) override {}
  void OnStop() override {}
};

struct ClientDelegate : cdn::rtmp::ClientSession::Delegate {
  void OnReady() override {}
  void OnMedia(Message&&) override {}
};

void CheckFinal(const Status& first, const Status& again) {
  FUZZ_CHECK(!again.ok() && again.code() == first.code() && again.message() == first.message());
}

void RunServer(const std::vector<std::string_view>& pieces, bool accept) {
  ServerDelegate d;
  cdn::rtmp::ServerSession session(&d, {});
  OutputChecker checker(1 + 2 * cdn::rtmp::kHandshakeSize);  // S0 S1 S2
  // C0, then a simple-form C1 (zero version) and C2.
  std::string handshake(1 + 2 * cdn::rtmp::kHandshakeSize, '\0');
  handshake[0] = cdn::rtmp::kRtmpVersion;
  FUZZ_CHECK(session.Consume(handshake).ok());
  checker.Drain(session.output());
  for (std::string_view p : pieces) {
    Status st = session.Consume(p);
    // Decisions come after Consume returns, as the connection layer makes them.
    if (d.connect) accept ? session.AcceptConnect() : session.RejectConnect("no");
    if (d.publish) accept ? session.AcceptPublish() : session.RejectPublish("NetStream.Publish.BadName", "no");
    if (d.play) accept ? session.AcceptPlay() : session.RejectPlay("NetStream.Play.StreamNotFound", "no");
    if (d.play && accept) {
      session.NotifyUnpublished();
      session.NotifyRepublished();
    }
    d.connect = d.publish = d.play = false;
    checker.Drain(session.output());
    if (!st.ok()) {
      CheckFinal(st, session.Consume("\x03"));
      return;
    }
  }
}

void RunClient(const std::vector<std::string_view>& pieces, bool publish, bool stop_halfway) {
  ClientDelegate d;
  cdn::rtmp::ClientSession::Options o;
  o.tc_url = "rtmp://127.0.0.1:1935/live?vhost=push.example.com";
  o.app = "live";
  o.stream = "room?auth_key=1-0-0-0123456789abcdef0123456789abcdef";
  o.publish = publish;
  cdn::rtmp::ClientSession session(&d, o);
  OutputChecker checker(1 + 2 * cdn::rtmp::kHandshakeSize);  // C0 C1, C2
  session.Start();
  // S0, then a simple-form S1 (zero version) and S2.
  std::string handshake(1 + 2 * cdn::rtmp::kHandshakeSize, '\0');
  handshake[0] = cdn::rtmp::kRtmpVersion;
  FUZZ_CHECK(session.Consume(handshake).ok());
  checker.Drain(session.output());
  uint64_t received = session.bytes_received();
  for (size_t i = 0; i < pieces.size(); ++i) {
    Status st = session.Consume(pieces[i]);
    if (session.ready()) session.SendMedia(cdn::rtmp::kMsgVideo, static_cast<uint32_t>(i), "\x17\x01\x00\x00\x00");
    if (stop_halfway && i == pieces.size() / 2) session.Stop();
    checker.Drain(session.output());
    if (!st.ok()) {
      CheckFinal(st, session.Consume("\x03"));
      return;
    }
    FUZZ_CHECK(session.bytes_received() == received + pieces[i].size());
    received = session.bytes_received();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t mode = data[0];
  const auto pieces = cdn::fuzz::Pieces(cdn::fuzz::View(data + 2, size - 2), static_cast<uint8_t>(data[1] ^ (mode & 0xf0)));
  const bool accept = (mode & 2) == 0;
  if ((mode & 1) == 0) {
    RunServer(pieces, accept);
  } else {
    RunClient(pieces, /*publish=*/(mode & 4) != 0, /*stop_halfway=*/(mode & 8) != 0);
  }
  return 0;
}
