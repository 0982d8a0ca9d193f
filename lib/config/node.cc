#include "lib/config/node.h"

#include <yaml-cpp/yaml.h>

namespace cdn::config {

// Configs are a few hundred nodes. Aliases are expanded as the tree is built, and an anchor used
// twice per level doubles it at each level: 40 short lines would make 2^40 nodes (found by
// tests/fuzz/config_fuzz.cc). Past this many the file is refused.
namespace {
constexpr size_t kMaxNodes = 100000;
}  // namespace

struct NodeBuilder {
  static Node Build(const YAML::Node& y, const std::string& path, int depth, size_t* nodes) {
    if (++*nodes > kMaxNodes) {
      throw YAML::ParserException(y.Mark(), "more than " + std::to_string(kMaxNodes) + " nodes (aliases expanding?)");
    }
    Node n;
    n.path_ = path.empty() ? "<root>" : path;
    n.line_ = y.Mark().line >= 0 ? y.Mark().line + 1 : 0;
    if (depth > 64) {  // configs are shallow; refuse pathological nesting
      n.kind_ = Node::Kind::kNull;
      return n;
    }
    switch (y.Type()) {
      case YAML::NodeType::Undefined:
        n.kind_ = Node::Kind::kMissing;
        break;
      case YAML::NodeType::Null:
        n.kind_ = Node::Kind::kNull;
        break;
      case YAML::NodeType::Scalar:
        n.kind_ = Node::Kind::kScalar;
        n.scalar_ = y.Scalar();
        break;
      case YAML::NodeType::Sequence: {
        n.kind_ = Node::Kind::kSequence;
        size_t i = 0;
        for (const auto& item : y) {
          n.items_.push_back(Build(item, n.path_ + "[" + std::to_string(i++) + "]", depth + 1, nodes));
        }
        break;
      }
      case YAML::NodeType::Map:
        n.kind_ = Node::Kind::kMap;
        for (const auto& kv : y) {
          std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string("?");
          std::string child = path.empty() ? key : path + "." + key;
          for (const auto& prev : n.map_) {
            // A repeated key would silently lose one of the values: refuse it.
            if (prev.first == key) throw YAML::ParserException(kv.first.Mark(), "duplicate key '" + child + "'");
          }
          n.map_.emplace_back(key, Build(kv.second, child, depth + 1, nodes));
        }
        break;
    }
    return n;
  }
  static Node Missing(const std::string& path) {
    Node n;
    n.path_ = path;
    return n;
  }
};

base::Result<Node> Node::LoadFile(const std::string& file) {
  try {
    YAML::Node y = YAML::LoadFile(file);
    size_t nodes = 0;
    return NodeBuilder::Build(y, "", 0, &nodes);
  } catch (const YAML::BadFile&) {
    return base::Status::Io(file + ": cannot open");
  } catch (const YAML::Exception& e) {
    return base::Status::Invalid(file + ": " + e.what());
  }
}

base::Result<Node> Node::LoadString(std::string_view text, std::string_view name) {
  try {
    YAML::Node y = YAML::Load(std::string(text));
    size_t nodes = 0;
    return NodeBuilder::Build(y, "", 0, &nodes);
  } catch (const YAML::Exception& e) {
    return base::Status::Invalid(std::string(name) + ": " + e.what());
  }
}

Node Node::operator[](std::string_view key) const {
  for (const auto& [k, v] : map_) {
    if (k == key) return v;
  }
  std::string p = (path_ == "<root>" || path_.empty()) ? std::string(key) : path_ + "." + std::string(key);
  return NodeBuilder::Missing(p);
}

bool Node::has(std::string_view key) const {
  for (const auto& kv : map_) {
    if (kv.first == key) return true;
  }
  return false;
}

base::Status Node::Error(std::string_view what) const {
  std::string m = path_;
  if (line_ > 0) m += " (line " + std::to_string(line_) + ")";
  m += ": ";
  m += what;
  return base::Status::Invalid(m);
}

}  // namespace cdn::config
