// ClientSession: the client side of one RTMP connection as a codec, what the edge uses to relay
// a publisher up to central (publish) and to pull a stream from central (play). Handshake,
// chunk stream, protocol control and the NetConnection/NetStream calls ffmpeg makes, driven by
// the server's answers. No I/O: server bytes go in through Consume(), what to send is appended
// to output(). The delegate is borrowed and must outlive the session; it must not destroy the
// session from inside a callback. One per connection; single-threaded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/status.h"
#include "lib/rtmp/amf0.h"
#include "lib/rtmp/chunk_reader.h"
#include "lib/rtmp/chunk_writer.h"
#include "lib/rtmp/handshake.h"

namespace cdn::rtmp {

class ClientSession {
 public:
  class Delegate {
   public:
    virtual ~Delegate() = default;
    // publish: NetStream.Publish.Start received; play: NetStream.Play.Start (or the first media
    // message, whichever comes first). Called once.
    virtual void OnReady() = 0;
    // play: audio, video and data messages (types 8, 9, 18) from the server, aggregates split,
    // timestamps absolute. |RtmpSampleAccess and onStatus data messages are not media.
    virtual void OnMedia(Message&& msg) = 0;
    // Every onStatus (command or data message), errors included, before Consume() fails on them.
    virtual void OnStatus(std::string_view level, std::string_view code, std::string_view description) {}
  };

  struct Options {
    std::string tc_url;          // "rtmp://host:port/app?vhost=push.example.com"
    std::string app;             // "live" (may carry "?vhost=..." too)
    std::string stream;          // "room?vhost=push.example.com&auth_key=..."
    bool publish = false;        // false = play
    uint32_t chunk_size = 4096;  // announced with Set Chunk Size and used for sending
    std::string flash_ver = "LNX 9,0,124,2";
    uint32_t buffer_ms = 1000;  // play: Set Buffer Length (7.1.7 event 3)
    ChunkReaderLimits limits;
  };

  ClientSession(Delegate* delegate, Options options);

  // Appends C0+C1 to output(). Call once, before Consume().
  void Start();

  // Feeds server bytes in any split: handshake, then chunks. Drives connect -> (releaseStream,
  // FCPublish) -> createStream -> publish | play by itself. Returns an error on protocol
  // violations, on _error for connect or createStream ("NetConnection.Connect.Rejected: ..."),
  // and on an onStatus of level "error" ("NetStream.Publish.BadName: ..."). Errors are final:
  // the connection must close, and every later call returns the same error.
  base::Status Consume(std::string_view in);

  std::string* output() { return &out_; }
  // Publish or play started, and neither Stop() nor an error since.
  bool ready() const { return state_ == State::kReady && !stopped_ && status_.ok(); }
  // The message stream id createStream gave us; 0 before that.
  uint32_t stream_id() const { return stream_id_; }

  // Publishing, once ready(): appends the message, chunked with options.chunk_size, on the media
  // stream (csid 4 audio, 6 video, 5 data; fmt 0 first chunk, fmt 3 continuations). Dropped
  // when not ready or not publishing.
  void SendMedia(uint8_t type, uint32_t timestamp, std::string_view payload);

  // Ends the stream: FCUnpublish + deleteStream (publish) or deleteStream (play). ready() turns
  // false; later server media is dropped. The connection may then be closed.
  void Stop();

  // Every byte given to Consume() that was parsed, handshake included.
  uint64_t bytes_received() const { return bytes_received_; }

 private:
  enum class State { kIdle, kHandshake, kConnecting, kCreatingStream, kStarting, kReady };

  base::Status ConsumeChunks(std::string_view in);
  base::Status HandleMessage(Message&& m);
  base::Status HandleUserControl(const Message& m);
  base::Status HandleCommand(const Message& m);
  base::Status HandleData(Message&& m);
  base::Status HandleStatus(const Amf0Value* info);
  base::Status SplitAggregate(const Message& m);
  void DeliverMedia(Message&& m);
  void BecomeReady();
  void SendConnect();
  void SendDeleteStream();
  void SendCommand(uint32_t stream_id, const std::vector<Amf0Value>& values);

  Delegate* delegate_;
  Options options_;
  State state_ = State::kIdle;
  ClientHandshake handshake_;
  ChunkReader reader_;
  ChunkWriter writer_;
  std::string out_;
  std::vector<Message> pending_;
  base::Status status_;  // the first error, returned forever after
  double next_txn_ = 1;
  double connect_txn_ = 0;
  double create_txn_ = 0;
  uint32_t stream_id_ = 0;
  bool stopped_ = false;
  uint32_t peer_ack_window_ = 0;  // the server's Window Acknowledgement Size (5.4.4)
  uint64_t last_ack_sent_ = 0;
  uint64_t bytes_received_ = 0;
};

}  // namespace cdn::rtmp
