// DomainPolicy: the LivePolicy every node starts from: streams are named by the domain table
// (publishers on push domains; viewers on pull domains play their source), URL signatures are
// enforced where the request's domain requires them (lib/auth/url_signer.h), and app and stream
// names are checked (length, control and path characters). The table is swapped whole
// (SetTable) when it changes. Loop thread only.
//
// Which URI a signature covers: RTMP "/<app>/<stream>" (the auth_key on the stream name's query
// or on the tcUrl/app query), FLV "/<app>/<stream>.flv", HLS "/<app>/<stream>.m3u8". The domain
// checked is the one the client named: a pull domain's own auth for play; a push domain's auth
// for publish and for play on the push domain itself (which is how edges pull from central, with
// a token from UpstreamAuthQuery). HLS: a valid signed playlist plays the whole stream: variant
// playlists and segments carry the same token (auth::CarryToken) and it is checked against the
// stream's playlist paths: /<app>/<S>.m3u8, and for renditions and the adaptive master of a base
// stream B (S = B_<template of the push domain> or B_abr) also /<app>/<B>.m3u8 and
// /<app>/<B>_abr.m3u8.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/auth/domain_table.h"
#include "lib/base/clock.h"
#include "lib/net/live_server.h"

namespace cdn::net {

class DomainPolicy : public LivePolicy {
 public:
  explicit DomainPolicy(auth::DomainTable table) : table_(std::make_shared<const auth::DomainTable>(std::move(table))) {}
  void SetTable(auth::DomainTable table) { table_ = std::make_shared<const auth::DomainTable>(std::move(table)); }
  const auth::DomainTable& table() const { return *table_; }
  // Wall clock in unix seconds (tests pass a fake one).
  void SetClock(std::function<int64_t()> now) { now_ = std::move(now); }

  base::Status AdmitConnect(const rtmp::ConnectInfo& info) override;
  Admission AdmitPublish(const rtmp::ConnectInfo& info, const rtmp::StreamRequest& req) override;
  Admission AdmitPlay(const PlayRequest& req) override;

  // What a node adds to the query of its own upstream request for `key` (an edge relaying a
  // publish or pulling from central): "auth_key=..." signed (type A, whatever the domain's type)
  // with the push domain's primary key for `uri`, valid kUpstreamTokenSeconds; empty when the
  // push domain has no key. A push domain accepts a type A auth_key made with its keys in every
  // signing type, so this works for B and C domains too.
  std::string UpstreamAuthQuery(const live::StreamKey& key, std::string_view uri) const;
  static constexpr int64_t kUpstreamTokenSeconds = 600;

  // Rejects empty or long names, "..", control characters, backslashes, '/' in stream names.
  static base::Status CheckNames(const std::string& app, const std::string& name);

 private:
  // Finds the token `domain` asks for in a request (token->path: the path without the token).
  auth::AuthStatus ParseSignature(const auth::Domain& domain, const PlayRequest& req, auth::Token* token) const;
  // Checks it now with the domain's keys: valid when its hash covers any of `signed_paths`.
  auth::AuthStatus CheckSignature(const auth::Domain& domain, const auth::Token& token,
                                  const std::vector<std::string>& signed_paths) const;

  std::shared_ptr<const auth::DomainTable> table_;
  std::function<int64_t()> now_ = base::WallSeconds;
};

}  // namespace cdn::net
