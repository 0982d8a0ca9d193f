// RtmpPlayer: one RTMP viewer of cdn-loadgen. rtmp::ClientSession does the handshake and the
// NetConnection/NetStream calls (connect, createStream, play) on the first 3073 bytes and on
// the non-media messages the RtmpScanner hands back; audio and video are only scanned for
// timestamps and key frames, never copied. Acknowledgements (5.4.3) are sent here, from the
// true byte count. Lives on one worker loop; freed only after the loop stopped.
#pragma once

#include <memory>
#include <string>

#include "lib/config/values.h"
#include "lib/net/event_loop.h"
#include "lib/rtmp/client_session.h"
#include "tools/cdn-loadgen/client.h"
#include "tools/cdn-loadgen/socket.h"
#include "tools/cdn-loadgen/rtmp_scanner.h"

namespace cdn::loadgen {

struct RtmpTarget {
  config::HostPort addr;
  std::string tc_url;  // rtmp://host:port/app[?query]
  std::string app;
  std::string stream;  // name[?query]
};
// rtmp://host[:port]/app/stream[?query]; the query goes on both tcUrl and the stream name.
base::Result<RtmpTarget> ParseRtmpUrl(const std::string& url);

class RtmpPlayer : public Client,
                   public Socket::Delegate,
                   public rtmp::ClientSession::Delegate,
                   public RtmpScanner::Delegate {
 public:
  RtmpPlayer(net::EventLoop* loop, RtmpTarget target, int64_t timeout_ms);
  ~RtmpPlayer() override;

  void Start() override;
  void Finish() override;

  // Socket::Delegate
  void OnConnected() override;
  void OnData(std::string_view data) override;
  void OnClosed(std::string_view reason) override;
  // ClientSession::Delegate
  void OnReady() override;
  void OnMedia(rtmp::Message&&) override {}
  void OnStatus(std::string_view level, std::string_view code, std::string_view description) override;
  // RtmpScanner::Delegate
  void OnMediaHeader(uint8_t type, uint32_t timestamp, uint32_t length, std::string_view head) override;
  base::Status OnOtherMessage(rtmp::Message&& m) override;

 private:
  void Flush();
  void Fail(std::string why);

  net::EventLoop* loop_;
  RtmpTarget target_;
  int64_t timeout_ms_;
  std::unique_ptr<Socket> tcp_;
  std::unique_ptr<rtmp::ClientSession> session_;
  RtmpScanner scanner_;
  size_t handshake_left_;           // S0+S1+S2 bytes still owed to the session
  uint32_t session_chunk_size_;     // the chunk size the session's reader believes in
  std::string reencoded_;
  uint32_t ack_window_ = 0;         // the server's Window Acknowledgement Size
  uint64_t last_ack_ = 0;
  std::string last_status_;
};

}  // namespace cdn::loadgen
