// A parsed YAML document as a small immutable tree that knows each node's YAML path and line,
// so every config error can name where it is ("rtmp.listen (line 3): ..."). Only node.cc sees
// yaml-cpp. Plain values; any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/base/status.h"

namespace cdn::config {

class Node {
 public:
  enum class Kind { kMissing, kNull, kScalar, kSequence, kMap };

  static base::Result<Node> LoadFile(const std::string& file);
  static base::Result<Node> LoadString(std::string_view text, std::string_view name = "<string>");

  Kind kind() const { return kind_; }
  bool missing() const { return kind_ == Kind::kMissing; }
  bool is_null() const { return kind_ == Kind::kNull || kind_ == Kind::kMissing; }
  bool is_scalar() const { return kind_ == Kind::kScalar; }
  bool is_sequence() const { return kind_ == Kind::kSequence; }
  bool is_map() const { return kind_ == Kind::kMap; }
  const std::string& scalar() const { return scalar_; }
  const std::string& path() const { return path_; }
  int line() const { return line_; }

  // Map lookup; a missing key yields a kMissing node that still knows its path.
  Node operator[](std::string_view key) const;
  bool has(std::string_view key) const;
  const std::vector<Node>& items() const { return items_; }                          // sequence
  const std::vector<std::pair<std::string, Node>>& entries() const { return map_; }  // map

  // "<path> (line N): <what>" as a Status::Invalid.
  base::Status Error(std::string_view what) const;

 private:
  friend struct NodeBuilder;
  Kind kind_ = Kind::kMissing;
  std::string scalar_;
  std::string path_;
  int line_ = 0;
  std::vector<Node> items_;
  std::vector<std::pair<std::string, Node>> map_;
};

}  // namespace cdn::config
