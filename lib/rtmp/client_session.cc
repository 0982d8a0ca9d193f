#include "lib/rtmp/client_session.h"

#include <utility>

#include "lib/base/bytes.h"
#include "lib/rtmp/aggregate.h"
#include "lib/base/log.h"

namespace cdn::rtmp {

using base::Status;

namespace {

// play's start argument. The spec (7.2.2.1) says -1 for live only, in seconds; real clients
// send milliseconds: librtmp -1000 for live (see fixtures/rtmp/rtmpdump-play.c2s.bin), ffmpeg
// -2000. nginx-rtmp's and SRS's live paths ignore the value; -1000 reads as "live" to both
// conventions.
constexpr double kPlayStartLive = -1000;

// NetConnection.connect command object values ffmpeg sends (librtmp uses the same).
constexpr double kCapabilities = 15;
constexpr double kAudioCodecs = 4071;  // every SUPPORT_SND_* bit
constexpr double kVideoCodecs = 252;   // SUPPORT_VID_* up to H.264
constexpr double kVideoFunction = 1;   // SUPPORT_VID_CLIENT_SEEK

// The info object of an onStatus/_error: the last object-like argument.
const Amf0Value* InfoObject(const std::vector<Amf0Value>& v) {
  for (size_t i = v.size(); i-- > 1;) {
    if (v[i].IsObjectLike()) return &v[i];
  }
  return nullptr;
}

Status RemoteError(std::string_view what, const Amf0Value* info) {
  std::string code = info ? info->GetString("code") : "";
  std::string desc = info ? info->GetString("description") : "";
  if (code.empty()) code = std::string(what) + " failed";
  return Status::Denied(desc.empty() ? code : code + ": " + desc);
}

}  // namespace

ClientSession::ClientSession(Delegate* delegate, Options options)
    : delegate_(delegate), options_(std::move(options)), reader_(options_.limits) {}

void ClientSession::Start() {
  if (state_ != State::kIdle) return;
  handshake_.Start(&out_);
  state_ = State::kHandshake;
}

Status ClientSession::Consume(std::string_view in) {
  if (!status_.ok()) return status_;
  if (state_ == State::kIdle) return Status::Internal("rtmp client: Consume() before Start()");
  Status st = ConsumeChunks(in);
  if (!st.ok()) status_ = st;
  return st;
}

Status ClientSession::ConsumeChunks(std::string_view in) {
  if (state_ == State::kHandshake) {
    auto used = handshake_.Consume(in, &out_);
    if (!used.ok()) return used.status().WithContext("handshake");
    bytes_received_ += *used;
    in.remove_prefix(*used);
    if (!handshake_.done()) return Status::Ok();
    CDN_RETURN_IF_ERROR(writer_.SetChunkSize(options_.chunk_size, &out_).WithContext("options.chunk_size"));
    SendConnect();
    state_ = State::kConnecting;
  }
  if (in.empty()) return Status::Ok();
  bytes_received_ += in.size();
  pending_.clear();
  Status st = reader_.Consume(in, &pending_);
  // Handle what was complete before any error, as ServerSession does.
  for (auto& m : pending_) {
    Status hs = HandleMessage(std::move(m));
    if (!hs.ok()) {
      pending_.clear();
      return hs;
    }
  }
  pending_.clear();
  if (!st.ok()) return st.WithContext("chunk stream");
  // Acknowledge at half the window, as ffmpeg does, so the ack is there before the server
  // would stall waiting for it (5.4.3). Counted over the chunk stream, as ffmpeg and
  // ServerSession count it.
  if (peer_ack_window_ > 0 && reader_.bytes_received() - last_ack_sent_ >= peer_ack_window_ / 2) {
    last_ack_sent_ = reader_.bytes_received();
    ChunkWriter::Ack(static_cast<uint32_t>(last_ack_sent_), &out_);
  }
  return Status::Ok();
}

Status ClientSession::HandleMessage(Message&& m) {
  switch (m.type) {
    case kMsgWindowAckSize: {
      base::ByteReader r(m.payload);
      uint32_t v;
      if (!r.ReadU32(&v)) return Status::Invalid("short Window Acknowledgement Size");
      peer_ack_window_ = v;
      return Status::Ok();
    }
    case kMsgUserControl:
      return HandleUserControl(m);
    case kMsgAudio:
    case kMsgVideo:
      DeliverMedia(std::move(m));
      return Status::Ok();
    case kMsgAmf3Data:
      if (m.payload.empty()) return Status::Ok();
      m.payload.erase(0, 1);
      m.type = kMsgAmf0Data;
      return HandleData(std::move(m));
    case kMsgAmf0Data:
      return HandleData(std::move(m));
    case kMsgAmf3Command:
      if (m.payload.empty()) return Status::Invalid("empty AMF3 command");
      m.payload.erase(0, 1);
      return HandleCommand(m);
    case kMsgAmf0Command:
      return HandleCommand(m);
    case kMsgAggregate:
      return SplitAggregate(m);
    default:  // Set Chunk Size and Abort were applied by the reader; Ack, Set Peer Bandwidth
      return Status::Ok();
  }
}

Status ClientSession::HandleUserControl(const Message& m) {
  base::ByteReader r(m.payload);
  uint16_t event;
  if (!r.ReadU16(&event)) return Status::Invalid("short User Control message");
  if (event == kUcPingRequest) {
    uint32_t ts = 0;
    if (!r.ReadU32(&ts)) return Status::Invalid("short PingRequest");
    ChunkWriter::UserControl(kUcPingResponse, ts, &out_);
  }
  return Status::Ok();  // StreamBegin, StreamEOF, StreamDry, StreamIsRecorded: nothing to do
}

Status ClientSession::HandleCommand(const Message& m) {
  std::vector<Amf0Value> v;
  CDN_RETURN_IF_ERROR(DecodeAmf0All(m.payload, &v).WithContext("command"));
  if (v.empty() || !v[0].IsString()) return Status::Invalid("command without a name");
  const std::string& name = v[0].string;
  const double txn = v.size() > 1 && v[1].IsNumber() ? v[1].number : 0;

  if (name == "onStatus") return HandleStatus(InfoObject(v));
  if (name == "_error") {
    if (txn == connect_txn_ && state_ == State::kConnecting) return RemoteError("connect", InfoObject(v));
    if (txn == create_txn_ && state_ == State::kCreatingStream) return RemoteError("createStream", InfoObject(v));
    LOG(DEBUG) << "rtmp client: ignoring _error for transaction " << txn;  // releaseStream, FCPublish
    return Status::Ok();
  }
  if (name != "_result") return Status::Ok();  // onBWDone, _checkbw, onFCPublish, close: chatter

  if (state_ == State::kConnecting && txn == connect_txn_) {
    if (stopped_) return Status::Ok();
    if (options_.publish) {
      const Amf0Value stream = Amf0Value::String(options_.stream);
      SendCommand(0, {Amf0Value::String("releaseStream"), Amf0Value::Number(next_txn_++), Amf0Value::Null(), stream});
      SendCommand(0, {Amf0Value::String("FCPublish"), Amf0Value::Number(next_txn_++), Amf0Value::Null(), stream});
    }
    create_txn_ = next_txn_++;
    SendCommand(0, {Amf0Value::String("createStream"), Amf0Value::Number(create_txn_), Amf0Value::Null()});
    state_ = State::kCreatingStream;
    return Status::Ok();
  }
  if (state_ == State::kCreatingStream && txn == create_txn_) {
    // 7.2.1.3: _result, txn, command object (null), stream id.
    // Written so that NaN fails too (a fuzzer found NaN passing `< 1 || > max`).
    if (v.size() < 4 || !v[3].IsNumber() || !(v[3].number >= 1 && v[3].number <= 0xFFFFFF))
      return Status::Invalid("createStream _result without a valid stream id");
    stream_id_ = static_cast<uint32_t>(v[3].number);
    state_ = State::kStarting;
    if (stopped_) {  // Stop() came while createStream was in flight: give the stream back
      SendDeleteStream();
      return Status::Ok();
    }
    const Amf0Value stream = Amf0Value::String(options_.stream);
    if (options_.publish) {
      SendCommand(stream_id_, {Amf0Value::String("publish"), Amf0Value::Number(0), Amf0Value::Null(), stream,
                               Amf0Value::String("live")});
    } else {
      SendCommand(stream_id_, {Amf0Value::String("play"), Amf0Value::Number(0), Amf0Value::Null(), stream,
                               Amf0Value::Number(kPlayStartLive)});
      ChunkWriter::UserControl2(kUcSetBufferLength, stream_id_, options_.buffer_ms, &out_);
    }
  }
  return Status::Ok();  // answers to releaseStream and FCPublish
}

Status ClientSession::HandleStatus(const Amf0Value* info) {
  const std::string level = info ? info->GetString("level") : "";
  const std::string code = info ? info->GetString("code") : "";
  const std::string desc = info ? info->GetString("description") : "";
  delegate_->OnStatus(level, code, desc);
  if (level == "error") return Status::Denied(desc.empty() ? code : code + ": " + desc);
  if (state_ == State::kStarting && !stopped_ &&
      code == (options_.publish ? "NetStream.Publish.Start" : "NetStream.Play.Start")) {
    BecomeReady();
  }
  return Status::Ok();
}

Status ClientSession::HandleData(Message&& m) {
  std::vector<Amf0Value> v;
  CDN_RETURN_IF_ERROR(DecodeAmf0All(m.payload, &v).WithContext("data message"));
  const std::string name = !v.empty() && v[0].IsString() ? v[0].string : "";
  if (name == "onStatus") return HandleStatus(InfoObject(v));  // nginx-rtmp's NetStream.Data.Start
  if (name == "|RtmpSampleAccess") return Status::Ok();
  DeliverMedia(std::move(m));
  return Status::Ok();
}

Status ClientSession::SplitAggregate(const Message& m) {
  std::vector<Message> subs;
  CDN_RETURN_IF_ERROR(rtmp::SplitAggregate(m, &subs));
  for (auto& sub : subs) {
    if (sub.type == kMsgAudio || sub.type == kMsgVideo) {
      DeliverMedia(std::move(sub));
    } else if (sub.type == kMsgAmf0Data) {
      CDN_RETURN_IF_ERROR(HandleData(std::move(sub)));
    }
  }
  return Status::Ok();
}

void ClientSession::DeliverMedia(Message&& m) {
  // Media only once play was sent; a publisher has no business receiving any.
  if (options_.publish || stopped_ || (state_ != State::kStarting && state_ != State::kReady)) return;
  if (state_ == State::kStarting) BecomeReady();
  delegate_->OnMedia(std::move(m));
}

void ClientSession::BecomeReady() {
  state_ = State::kReady;
  delegate_->OnReady();
}

void ClientSession::SendConnect() {
  Amf0Properties o;
  o.emplace_back("app", Amf0Value::String(options_.app));
  if (options_.publish) o.emplace_back("type", Amf0Value::String("nonprivate"));
  o.emplace_back("flashVer", Amf0Value::String(options_.flash_ver));
  o.emplace_back("tcUrl", Amf0Value::String(options_.tc_url));
  o.emplace_back("fpad", Amf0Value::Boolean(false));
  o.emplace_back("capabilities", Amf0Value::Number(kCapabilities));
  o.emplace_back("audioCodecs", Amf0Value::Number(kAudioCodecs));
  o.emplace_back("videoCodecs", Amf0Value::Number(kVideoCodecs));
  o.emplace_back("videoFunction", Amf0Value::Number(kVideoFunction));
  o.emplace_back("objectEncoding", Amf0Value::Number(0));  // AMF0 only
  connect_txn_ = next_txn_++;
  SendCommand(0, {Amf0Value::String("connect"), Amf0Value::Number(connect_txn_), Amf0Value::Object(std::move(o))});
}

void ClientSession::SendMedia(uint8_t type, uint32_t timestamp, std::string_view payload) {
  if (!options_.publish || !ready()) return;
  const uint32_t csid = type == kMsgAudio ? kCsidAudio : type == kMsgVideo ? kCsidVideo : kCsidData;
  writer_.Write(csid, type, timestamp, stream_id_, payload, &out_);
}

void ClientSession::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (stream_id_ == 0 || !status_.ok()) return;
  if (options_.publish) {
    SendCommand(0, {Amf0Value::String("FCUnpublish"), Amf0Value::Number(next_txn_++), Amf0Value::Null(),
                    Amf0Value::String(options_.stream)});
  }
  SendDeleteStream();
}

void ClientSession::SendDeleteStream() {
  // 7.2.2.3: deleteStream, transaction id 0, null, the stream id.
  SendCommand(
      0, {Amf0Value::String("deleteStream"), Amf0Value::Number(0), Amf0Value::Null(), Amf0Value::Number(stream_id_)});
}

void ClientSession::SendCommand(uint32_t stream_id, const std::vector<Amf0Value>& values) {
  writer_.Write(kCsidCommand, kMsgAmf0Command, 0, stream_id, EncodeAmf0All(values), &out_);
}

}  // namespace cdn::rtmp
