// RtmpPublisher: one RTMP publisher of cdn-loadgen, sending an FLV file's tags in real time,
// looped with continuous timestamps (each loop is offset by the file's duration plus one frame;
// sequence headers and metadata go out once). The file is read once and shared by every
// publisher. Lives on one worker loop; freed only after the loop stopped.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lib/media/flv.h"
#include "lib/net/event_loop.h"
#include "lib/net/tcp_connection.h"
#include "lib/rtmp/client_session.h"
#include "tools/cdn-loadgen/client.h"
#include "tools/cdn-loadgen/rtmp_player.h"

namespace cdn::loadgen {

struct FlvFile {
  std::vector<media::FlvTag> tags;  // timestamps rebased to start at 0
  uint32_t loop_ms = 0;             // timestamp offset added per loop
};
// Reads and parses a whole FLV file (at most 1 GiB).
base::Result<std::shared_ptr<const FlvFile>> LoadFlvFile(const std::string& path);

class RtmpPublisher : public Client, public net::TcpConnection::Delegate, public rtmp::ClientSession::Delegate {
 public:
  RtmpPublisher(net::EventLoop* loop, RtmpTarget target, std::shared_ptr<const FlvFile> file, int64_t timeout_ms);
  ~RtmpPublisher() override;

  void Start() override;
  void Finish() override;

  void OnConnected() override;
  void OnData(std::string_view data) override;
  void OnClosed(std::string_view reason) override;
  void OnReady() override;
  void OnMedia(rtmp::Message&&) override {}
  void OnStatus(std::string_view level, std::string_view code, std::string_view description) override;

 private:
  void Pump();
  void Flush();
  void Fail(std::string why);

  net::EventLoop* loop_;
  RtmpTarget target_;
  std::shared_ptr<const FlvFile> file_;
  int64_t timeout_ms_;
  std::unique_ptr<net::TcpConnection> tcp_;
  std::unique_ptr<rtmp::ClientSession> session_;
  net::Timer pump_;
  int64_t epoch_us_ = 0;  // wall time of media timestamp 0
  size_t next_ = 0;       // next tag in the file
  uint32_t loops_ = 0;    // loops completed
  std::string last_status_;
};

}  // namespace cdn::loadgen
