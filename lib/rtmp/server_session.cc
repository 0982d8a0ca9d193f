#include "lib/rtmp/server_session.h"

#include "lib/base/bytes.h"
#include "lib/rtmp/aggregate.h"
#include "lib/base/log.h"

namespace cdn::rtmp {

using base::Status;

namespace {
Amf0Value StatusObject(std::string_view level, std::string_view code, std::string_view description) {
  Amf0Properties p;
  p.emplace_back("level", Amf0Value::String(std::string(level)));
  p.emplace_back("code", Amf0Value::String(std::string(code)));
  p.emplace_back("description", Amf0Value::String(std::string(description)));
  return Amf0Value::Object(std::move(p));
}
}  // namespace

ServerSession::ServerSession(Delegate* delegate, Options options)
    : delegate_(delegate), options_(options), reader_(options.limits) {}

Status ServerSession::Consume(std::string_view in) {
  if (!error_.ok()) return error_;
  Status st = ConsumeInner(in);
  if (!st.ok()) error_ = st;
  return st;
}

Status ServerSession::ConsumeInner(std::string_view in) {
  if (!handshake_.done()) {
    auto used = handshake_.Consume(in, &out_);
    if (!used.ok()) return used.status().WithContext("handshake");
    in.remove_prefix(*used);
    if (!handshake_.done()) return Status::Ok();
  }
  if (in.empty()) return Status::Ok();
  pending_.clear();
  Status st = reader_.Consume(in, &pending_);
  // Handle what was complete before any error: a publisher's last frames still count.
  for (auto& m : pending_) {
    Status hs = HandleMessage(std::move(m));
    if (!hs.ok()) {
      pending_.clear();
      return hs;
    }
  }
  pending_.clear();
  if (!st.ok()) return st.WithContext("chunk stream");
  if (peer_ack_window_ > 0 && reader_.bytes_received() - last_ack_sent_ >= peer_ack_window_) {
    last_ack_sent_ = reader_.bytes_received();
    ChunkWriter::Ack(static_cast<uint32_t>(last_ack_sent_), &out_);
  }
  return Status::Ok();
}

Status ServerSession::HandleMessage(Message&& m) {
  switch (m.type) {
    case kMsgSetChunkSize:
    case kMsgAbort:
    case kMsgAck:
    case kMsgSetPeerBandwidth:
      return Status::Ok();
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
      if (role_ == Role::kPublisher) delegate_->OnMedia(std::move(m));
      return Status::Ok();
    case kMsgAmf3Data:
      if (m.payload.empty()) return Status::Ok();
      m.payload.erase(0, 1);
      m.type = kMsgAmf0Data;
      return HandleData(std::move(m));
    case kMsgAmf0Data:
      return HandleData(std::move(m));
    case kMsgAmf3Command:
      // AMF3 commands open with a format byte; the body is AMF0 in practice. We negotiate AMF0
      // at connect, so a client that really speaks AMF3 fails to decode and is closed.
      if (m.payload.empty()) return Status::Invalid("empty AMF3 command");
      m.payload.erase(0, 1);
      return HandleCommand(m);
    case kMsgAmf0Command:
      return HandleCommand(m);
    case kMsgAggregate:
      if (role_ == Role::kPublisher) return SplitAggregate(m);
      return Status::Ok();
    default:
      LOG(DEBUG) << "ignoring RTMP message type " << int(m.type);
      return Status::Ok();
  }
}

Status ServerSession::HandleUserControl(const Message& m) {
  base::ByteReader r(m.payload);
  uint16_t event;
  if (!r.ReadU16(&event)) return Status::Invalid("short User Control message");
  if (event == kUcPingRequest) {
    uint32_t ts = 0;
    if (!r.ReadU32(&ts)) return Status::Invalid("short PingRequest");
    ChunkWriter::UserControl(kUcPingResponse, ts, &out_);
  }
  return Status::Ok();
}

Status ServerSession::HandleData(Message&& m) {
  if (role_ != Role::kPublisher) return Status::Ok();
  std::vector<Amf0Value> values;
  CDN_RETURN_IF_ERROR(DecodeAmf0All(m.payload, &values).WithContext("data message"));
  if (!values.empty() && values[0].IsString() && values[0].string == "@setDataFrame") {
    values.erase(values.begin());
    m.payload = EncodeAmf0All(values);
  }
  delegate_->OnMedia(std::move(m));
  return Status::Ok();
}

Status ServerSession::SplitAggregate(const Message& m) {
  std::vector<Message> subs;
  CDN_RETURN_IF_ERROR(rtmp::SplitAggregate(m, &subs));
  for (auto& sub : subs) {
    if (sub.type == kMsgAudio || sub.type == kMsgVideo) {
      delegate_->OnMedia(std::move(sub));
    } else if (sub.type == kMsgAmf0Data) {
      CDN_RETURN_IF_ERROR(HandleData(std::move(sub)));
    }
  }
  return Status::Ok();
}

Status ServerSession::HandleCommand(const Message& m) {
  std::vector<Amf0Value> v;
  CDN_RETURN_IF_ERROR(DecodeAmf0All(m.payload, &v).WithContext("command"));
  if (v.size() < 2 || !v[0].IsString()) return Status::Invalid("command without a name");
  const std::string& name = v[0].string;
  const double txn = v[1].IsNumber() ? v[1].number : 0;

  if (name == "connect") {
    if (connected_ || connect_pending_) return Status::Invalid("second connect");
    if (v.size() < 3 || !v[2].IsObjectLike()) return Status::Invalid("connect without a command object");
    const Amf0Value& o = v[2];
    connect_.app = o.GetString("app");
    connect_.tc_url = o.GetString("tcUrl");
    connect_.flash_ver = o.GetString("flashVer");
    connect_.swf_url = o.GetString("swfUrl");
    connect_.page_url = o.GetString("pageUrl");
    connect_.object_encoding = o.GetNumber("objectEncoding", 0);
    ResolveConnect(&connect_);
    connect_txn_ = txn;
    connect_pending_ = true;
    delegate_->OnConnect(connect_);
    return Status::Ok();
  }
  if (name == "_result" || name == "_error" || name == "onBWDone" || name == "_checkbw" || name == "onStatus") {
    return Status::Ok();  // answers to our calls, or bandwidth-check chatter
  }
  if (!connected_) return Status::Invalid("command '" + name + "' before connect");

  if (name == "createStream") {
    SendResult(txn, Amf0Value::Null(), Amf0Value::Number(next_stream_id_));
    return Status::Ok();
  }
  if (name == "releaseStream" || name == "FCPublish" || name == "FCSubscribe" || name == "getStreamLength") {
    if (txn != 0) SendResult(txn, Amf0Value::Null(), name == "getStreamLength" ? Amf0Value::Number(0) : Amf0Value::Undefined());
    if (name == "FCPublish") {
      SendCommand(0, {Amf0Value::String("onFCPublish"), Amf0Value::Number(0), Amf0Value::Null(),
                      StatusObject("status", "NetStream.Publish.Start", "FCPublish")});
    }
    return Status::Ok();
  }
  if (name == "publish") {
    if (role_ != Role::kNone || decision_pending_) return Status::Invalid("publish on a busy connection");
    if (v.size() < 4 || !v[3].IsString() || v[3].string.empty()) return Status::Invalid("publish without a stream name");
    stream_ = StreamRequest{};
    ResolveStreamName(v[3].string, &stream_, &connect_);
    stream_.publish_type = v.size() > 4 && v[4].IsString() ? v[4].string : "live";
    decision_pending_ = true;
    delegate_->OnPublish(stream_);
    return Status::Ok();
  }
  if (name == "play") {
    if (role_ != Role::kNone || decision_pending_) return Status::Invalid("play on a busy connection");
    if (v.size() < 4 || !v[3].IsString() || v[3].string.empty()) return Status::Invalid("play without a stream name");
    stream_ = StreamRequest{};
    ResolveStreamName(v[3].string, &stream_, &connect_);
    if (v.size() > 4 && v[4].IsNumber()) stream_.start = v[4].number;
    if (v.size() > 5 && v[5].IsNumber()) stream_.duration = v[5].number;
    if (v.size() > 6 && v[6].type == Amf0Value::Type::kBoolean) stream_.reset = v[6].boolean;
    decision_pending_ = true;
    delegate_->OnPlay(stream_);
    return Status::Ok();
  }
  if (name == "FCUnpublish" || name == "deleteStream" || name == "closeStream") {
    if (txn != 0 && name == "FCUnpublish") SendResult(txn, Amf0Value::Null(), Amf0Value::Undefined());
    if (role_ == Role::kPublisher) {
      SendStatus("status", "NetStream.Unpublish.Success", "Stop publishing");
    }
    if (role_ != Role::kNone) {
      role_ = Role::kNone;
      delegate_->OnStop();
    }
    return Status::Ok();
  }
  if (name == "receiveAudio" || name == "receiveVideo" || name == "pause" || name == "seek" ||
      name == "setBufferLength" || name == "@setDataFrame") {
    return Status::Ok();
  }
  // Unknown call: answer so the peer is not left waiting, then close (issue: unknown commands
  // close the connection with a log line).
  if (txn != 0) {
    SendCommand(0, {Amf0Value::String("_error"), Amf0Value::Number(txn), Amf0Value::Null(),
                    StatusObject("error", "NetConnection.Call.Failed", "unknown command " + name)});
  }
  return Status::Unsupported("unknown command '" + name + "'");
}

void ServerSession::AcceptConnect() {
  connect_pending_ = false;
  connected_ = true;
  ChunkWriter::WindowAckSize(options_.window_ack_size, &out_);
  ChunkWriter::SetPeerBandwidth(options_.peer_bandwidth, 2, &out_);
  // kOutChunkSize is a valid constant: this cannot fail.
  (void)writer_.SetChunkSize(kOutChunkSize, &out_);
  Amf0Properties props;
  props.emplace_back("fmsVer", Amf0Value::String("FMS/3,5,7,7009"));
  props.emplace_back("capabilities", Amf0Value::Number(31));
  props.emplace_back("mode", Amf0Value::Number(1));
  Amf0Properties info;
  info.emplace_back("level", Amf0Value::String("status"));
  info.emplace_back("code", Amf0Value::String("NetConnection.Connect.Success"));
  info.emplace_back("description", Amf0Value::String("Connection succeeded."));
  // AMF3 negotiation refused: we always answer objectEncoding 0, so clients speak AMF0.
  info.emplace_back("objectEncoding", Amf0Value::Number(0));
  SendResult(connect_txn_, Amf0Value::Object(std::move(props)), Amf0Value::Object(std::move(info)));
}

void ServerSession::RejectConnect(std::string_view description) {
  connect_pending_ = false;
  SendCommand(0, {Amf0Value::String("_error"), Amf0Value::Number(connect_txn_), Amf0Value::Null(),
                  StatusObject("error", "NetConnection.Connect.Rejected", description)});
}

void ServerSession::AcceptPublish() {
  decision_pending_ = false;
  role_ = Role::kPublisher;
  ChunkWriter::UserControl(kUcStreamBegin, kMediaStreamId, &out_);
  SendStatus("status", "NetStream.Publish.Start", "Start publishing " + stream_.name);
}

void ServerSession::RejectPublish(std::string_view code, std::string_view description) {
  decision_pending_ = false;
  SendStatus("error", code, description);
}

void ServerSession::AcceptPlay() {
  decision_pending_ = false;
  role_ = Role::kPlayer;
  ChunkWriter::UserControl(kUcStreamIsRecorded, kMediaStreamId, &out_);
  ChunkWriter::UserControl(kUcStreamBegin, kMediaStreamId, &out_);
  if (stream_.reset) SendStatus("status", "NetStream.Play.Reset", "Playing and resetting " + stream_.name);
  SendStatus("status", "NetStream.Play.Start", "Started playing " + stream_.name);
  std::string data = EncodeAmf0All({Amf0Value::String("|RtmpSampleAccess"), Amf0Value::Boolean(true), Amf0Value::Boolean(true)});
  // No NetStream.Data.Start data message: ffmpeg's FLV demuxer would turn it into a data stream.
  writer_.Write(kCsidData, kMsgAmf0Data, 0, kMediaStreamId, data, &out_);
}

void ServerSession::RejectPlay(std::string_view code, std::string_view description) {
  decision_pending_ = false;
  SendStatus("error", code, description);
}

void ServerSession::NotifyUnpublished() {
  ChunkWriter::UserControl(kUcStreamEof, kMediaStreamId, &out_);
  SendStatus("status", "NetStream.Play.UnpublishNotify", stream_.name + " is now unpublished.");
}

void ServerSession::NotifyRepublished() {
  ChunkWriter::UserControl(kUcStreamBegin, kMediaStreamId, &out_);
  SendStatus("status", "NetStream.Play.PublishNotify", stream_.name + " is now published.");
}

void ServerSession::SendCommand(uint32_t stream_id, const std::vector<Amf0Value>& values) {
  writer_.Write(kCsidCommand, kMsgAmf0Command, 0, stream_id, EncodeAmf0All(values), &out_);
}

void ServerSession::SendResult(double txn, Amf0Value props, Amf0Value info) {
  SendCommand(0, {Amf0Value::String("_result"), Amf0Value::Number(txn), std::move(props), std::move(info)});
}

void ServerSession::SendStatus(std::string_view level, std::string_view code, std::string_view description) {
  SendCommand(kMediaStreamId, {Amf0Value::String("onStatus"), Amf0Value::Number(0), Amf0Value::Null(),
                               StatusObject(level, code, description)});
}

}  // namespace cdn::rtmp
