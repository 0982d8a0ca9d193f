// DomainPolicy: the LivePolicy every node starts from: streams are named by the domain table
// (publishers on push domains; viewers on pull domains play their source), app and stream
// names are checked (length, control and path characters). Signatures join with the domains
// issue. The table is swapped whole (SetTable) when it changes. Loop thread only.
#pragma once

#include <memory>
#include <string>

#include "lib/auth/domain_table.h"
#include "lib/net/live_server.h"

namespace cdn::net {

class DomainPolicy : public LivePolicy {
 public:
  explicit DomainPolicy(auth::DomainTable table) : table_(std::make_shared<const auth::DomainTable>(std::move(table))) {}
  void SetTable(auth::DomainTable table) { table_ = std::make_shared<const auth::DomainTable>(std::move(table)); }
  const auth::DomainTable& table() const { return *table_; }

  base::Status AdmitConnect(const rtmp::ConnectInfo& info) override;
  base::Result<live::StreamKey> AdmitPublish(const rtmp::ConnectInfo& info, const rtmp::StreamRequest& req) override;
  base::Result<live::StreamKey> AdmitPlay(const std::string& vhost, const std::string& app, const std::string& name,
                                          const std::string& query) override;

  // Rejects empty or long names, "..", control characters, backslashes, '/' in stream names.
  static base::Status CheckNames(const std::string& app, const std::string& name);

 private:
  std::shared_ptr<const auth::DomainTable> table_;
};

}  // namespace cdn::net
