// ServerSession: the server side of one RTMP connection as a codec: handshake, chunk stream,
// protocol control and the NetConnection/NetStream commands (connect, releaseStream,
// FCPublish, createStream, publish, play, deleteStream, closeStream, FCUnpublish,
// getStreamLength) with the onStatus answers real clients expect. No I/O: bytes go in through
// Consume(), replies are appended to output(); decisions (accept or reject a connect, publish
// or play) are the delegate's, answered by calling Accept*/Reject* at any later time.
// One per connection; single-threaded.
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
#include "lib/rtmp/stream_name.h"

namespace cdn::rtmp {

// Out chunk size for every play session: fixed so that one media message chunks identically
// for every viewer (pre-encoded once, shared).
constexpr uint32_t kOutChunkSize = 4096;
// Message stream id we hand out from createStream.
constexpr uint32_t kMediaStreamId = 1;

class ServerSession {
 public:
  enum class Role { kNone, kPublisher, kPlayer };

  class Delegate {
   public:
    virtual ~Delegate() = default;
    virtual void OnConnect(const ConnectInfo& info) = 0;
    virtual void OnPublish(const StreamRequest& req) = 0;
    virtual void OnPlay(const StreamRequest& req) = 0;
    // Audio, video and data messages of an accepted publisher (aggregates already split,
    // @setDataFrame already unwrapped to onMetaData).
    virtual void OnMedia(Message&& msg) = 0;
    // The publisher ended the stream (FCUnpublish, deleteStream, closeStream) or the player
    // stopped playing; the connection may stay open.
    virtual void OnStop() = 0;
  };

  struct Options {
    ChunkReaderLimits limits;
    uint32_t window_ack_size = 2500000;
    uint32_t peer_bandwidth = 2500000;
  };

  ServerSession(Delegate* delegate, Options options);

  // Feeds bytes from the peer. An error means the connection must close (after flushing
  // output(), which may hold an _error or onStatus explaining why). Errors are final: later
  // calls return the same error and read nothing.
  base::Status Consume(std::string_view in);

  std::string* output() { return &out_; }

  void AcceptConnect();
  void RejectConnect(std::string_view description);
  void AcceptPublish();
  void RejectPublish(std::string_view code, std::string_view description);
  // Sends StreamBegin, NetStream.Play.Reset/Start, |RtmpSampleAccess and Data.Start.
  void AcceptPlay();
  void RejectPlay(std::string_view code, std::string_view description);
  // Tells a player its stream ended (StreamEOF + NetStream.Play.UnpublishNotify).
  void NotifyUnpublished();
  void NotifyRepublished();  // StreamBegin + NetStream.Play.PublishNotify

  Role role() const { return role_; }
  const ConnectInfo& connect_info() const { return connect_; }
  const StreamRequest& stream_request() const { return stream_; }
  bool connected() const { return connected_; }
  uint64_t bytes_received() const { return reader_.bytes_received(); }

 private:
  base::Status ConsumeInner(std::string_view in);
  base::Status HandleMessage(Message&& m);
  base::Status HandleCommand(const Message& m);
  base::Status HandleUserControl(const Message& m);
  base::Status HandleData(Message&& m);
  base::Status SplitAggregate(const Message& m);
  void SendCommand(uint32_t stream_id, const std::vector<Amf0Value>& values);
  void SendResult(double txn, Amf0Value props, Amf0Value info);
  void SendStatus(std::string_view level, std::string_view code, std::string_view description);

  Delegate* delegate_;
  Options options_;
  ServerHandshake handshake_;
  ChunkReader reader_;
  ChunkWriter writer_;
  std::string out_;
  base::Status error_;  // the first error Consume returned, returned forever after
  std::vector<Message> pending_;
  ConnectInfo connect_;
  StreamRequest stream_;
  Role role_ = Role::kNone;
  bool connected_ = false;
  bool connect_pending_ = false;
  bool decision_pending_ = false;
  double connect_txn_ = 1;
  uint32_t peer_ack_window_ = 0;
  uint64_t last_ack_sent_ = 0;
  uint32_t next_stream_id_ = kMediaStreamId;
};

}  // namespace cdn::rtmp
