// RtmpConnection: one RTMP client of an RtmpServer (see rtmp_server.h for the thread contract).
// Glues TcpConnection (bytes) <-> rtmp::ServerSession (protocol) <-> live::Stream (media).
#pragma once

#include <memory>
#include <string>

#include "lib/live/packet_queue.h"
#include "lib/live/stream_hub.h"
#include "lib/net/live_server.h"
#include "lib/net/tcp_connection.h"
#include "lib/rtmp/server_session.h"

namespace cdn::net {

class RtmpServer;

class RtmpConnection : public TcpConnection::Delegate, public rtmp::ServerSession::Delegate, public live::Consumer {
 public:
  RtmpConnection(RtmpServer* server, std::unique_ptr<TcpConnection> tcp);
  ~RtmpConnection() override;
  void Start();
  void Close(std::string_view why, bool flush = true);
  uint64_t publisher_id() const { return publisher_id_; }

  // TcpConnection::Delegate
  void OnData(std::string_view data) override;
  void OnWritable() override;
  void OnClosed(std::string_view reason) override;
  // ServerSession::Delegate
  void OnConnect(const rtmp::ConnectInfo& info) override;
  void OnPublish(const rtmp::StreamRequest& req) override;
  void OnPlay(const rtmp::StreamRequest& req) override;
  void OnMedia(rtmp::Message&& msg) override;
  void OnStop() override;
  // live::Consumer
  void OnStreamStart() override;
  void OnPacket(const live::PacketPtr& packet) override;
  void OnStreamEnd() override;
  // An edge pulling the stream (its flashVer says so): a relay, not a viewer.
  bool is_viewer() const override { return !relay_; }
  bool is_relay() const override { return relay_; }

 private:
  void Flush();
  void Pump();
  // Pumps now (before the first frame, or without a merge window) or at the end of the window.
  void SchedulePump();
  void Detach();

  RtmpServer* server_;
  std::unique_ptr<TcpConnection> tcp_;
  rtmp::ServerSession session_;
  live::Stream* stream_ = nullptr;
  uint64_t publisher_id_ = 0;
  live::StreamKey publish_key_;  // the stream published to
  bool playing_ = false;
  bool relay_ = false;
  bool closed_ = false;
  bool counted_first_frame_ = false;
  int64_t play_requested_ms_ = 0;
  int64_t last_progress_ms_ = 0;  // last time the socket took our output
  live::PacketQueue queue_;
  Timer wait_timer_;
  Timer flush_timer_;  // play.merge_window
  std::string name_;  // for logs: peer and stream
  Session usage_;     // the publish or play under way, for byte totals and OnSessionEnded
};

}  // namespace cdn::net
