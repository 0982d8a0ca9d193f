// Tests for lib/config/node: the YAML tree with a path and line on every node, missing keys that
// still know their path, Error() formatting, parse errors, files.
#include "lib/config/node.h"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace cdn::config {
namespace {

using Kind = Node::Kind;

Node Load(std::string_view yaml) {
  auto r = Node::LoadString(yaml);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return *r;
}

TEST_CASE("kinds, scalars, paths and lines") {
  Node root = Load(
      "node_id: central-1\n"          // line 1
      "rtmp:\n"                       // line 2
      "  listen: 127.0.0.1:19350\n"   // line 3
      "empty:\n"                      // line 4
      "list: [a, b]\n"                // line 5
      "domains:\n"                    // line 6
      "  - name: x.com\n"             // line 7
      "    type: push\n");            // line 8
  CHECK(root.is_map());
  CHECK(root.path() == "<root>");
  CHECK(root["node_id"].is_scalar());
  CHECK(root["node_id"].scalar() == "central-1");
  CHECK(root["node_id"].path() == "node_id");
  CHECK(root["node_id"].line() == 1);
  Node listen = root["rtmp"]["listen"];
  CHECK(listen.scalar() == "127.0.0.1:19350");
  CHECK(listen.path() == "rtmp.listen");
  CHECK(listen.line() == 3);
  CHECK(root["empty"].kind() == Kind::kNull);
  CHECK(root["empty"].is_null());
  CHECK(!root["empty"].missing());
  CHECK(root["list"].is_sequence());
  REQUIRE(root["list"].items().size() == 2);
  CHECK(root["list"].items()[1].scalar() == "b");
  CHECK(root["list"].items()[1].path() == "list[1]");
  Node d = root["domains"].items().at(0);
  CHECK(d.path() == "domains[0]");
  CHECK(d["type"].path() == "domains[0].type");
  CHECK(d["type"].line() == 8);
  CHECK(root.has("rtmp"));
  CHECK(!root.has("http"));
  CHECK(root.entries().size() == 5);
  CHECK(root.entries()[0].first == "node_id");
}

TEST_CASE("a missing key is kMissing, null-ish, and knows its path") {
  Node root = Load("rtmp: {listen: 1.2.3.4:5}\n");
  Node m = root["http"]["listen"];
  CHECK(m.missing());
  CHECK(m.is_null());
  CHECK(m.kind() == Kind::kMissing);
  CHECK(m.path() == "http.listen");
  CHECK(m.line() == 0);
  CHECK(m.Error("is required").message() == "http.listen: is required");
  // Indexing a scalar or a sequence finds nothing either.
  CHECK(root["rtmp"]["listen"]["x"].missing());
  CHECK(root["rtmp"]["listen"]["x"].path() == "rtmp.listen.x");
}

TEST_CASE("Error() names the path and the line") {
  Node root = Load("a: 1\nrtmp:\n  listen: nope\n");
  base::Status st = root["rtmp"]["listen"].Error("bad port");
  CHECK(st.code() == base::Status::Code::kInvalid);
  CHECK(st.message() == "rtmp.listen (line 3): bad port");
}

TEST_CASE("empty documents and plain scalars") {
  CHECK(Load("").is_null());
  CHECK(Load("# only a comment\n").is_null());
  Node s = Load("just text");
  CHECK(s.is_scalar());
  CHECK(s["x"].missing());
}

TEST_CASE("YAML syntax errors name the source and the position") {
  auto r = Node::LoadString("a: [1, 2\nb: 3\n", "central.yaml");
  REQUIRE(!r.ok());
  CHECK(r.status().code() == base::Status::Code::kInvalid);
  CHECK(r.status().message().find("central.yaml") == 0);
  CHECK(r.status().message().find("line") != std::string::npos);
  CHECK(!Node::LoadString("a: b: c\n").ok());
  CHECK(!Node::LoadString("\t- tab\n").ok());
}

TEST_CASE("a key given twice in one map is refused with its path and line") {
  auto r = Node::LoadString("rtmp:\n  listen: 1.2.3.4:5\n  listen: 1.2.3.4:6\n", "central.yaml");
  REQUIRE(!r.ok());
  CHECK(r.status().code() == base::Status::Code::kInvalid);
  const std::string m = r.status().message();
  CHECK_MESSAGE(m.rfind("central.yaml: ", 0) == 0, m);
  CHECK(m.find("line 3") != std::string::npos);
  CHECK(m.find("duplicate key 'rtmp.listen'") != std::string::npos);
  auto nested = Node::LoadString("domains:\n  - name: a\n    name: b\n");
  REQUIRE(!nested.ok());
  CHECK(nested.status().message().find("duplicate key 'domains[0].name'") != std::string::npos);
  CHECK(Node::LoadString("a: {x: 1}\nb: {x: 1}\n").ok());  // the same key in different maps is fine
}

TEST_CASE("pathological nesting is cut off, not a stack overflow") {
  std::string deep(500, '[');
  deep += std::string(500, ']');
  auto r = Node::LoadString(deep);
  // yaml-cpp refuses it itself, or we cut it at depth 64: either way no crash.
  if (r.ok()) CHECK(r->is_sequence());
}

TEST_CASE("aliases that double at every level are refused, not expanded (found by config_fuzz)") {
  // 874 bytes that would expand to 2^41 nodes: this hung the loader until memory ran out.
  std::string yaml = "a0: &a0 [x, x]\n";
  for (int i = 1; i < 40; ++i) {
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) + ", *a" +
            std::to_string(i - 1) + "]\n";
  }
  auto r = Node::LoadString(yaml, "laughs.yaml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("laughs.yaml") != std::string::npos);
  CHECK(r.status().message().find("more than 100000 nodes") != std::string::npos);
  // Aliases within reason still load, each use a copy of its anchor.
  Node ok = Load("a: &x {k: [1, 2]}\nb: *x\nc: [*x, *x]\n");
  CHECK(ok["b"]["k"].items().size() == 2);
  CHECK(ok["c"].items()[1]["k"].items()[1].scalar() == "2");
}

TEST_CASE("LoadFile: a real file, and a missing one") {
  char path[] = "/tmp/livecdn_node_test_XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  {
    std::ofstream f(path);
    f << "x:\n  y: 2\n";
  }
  auto r = Node::LoadFile(path);
  REQUIRE(r.ok());
  CHECK((*r)["x"]["y"].scalar() == "2");
  CHECK((*r)["x"]["y"].line() == 2);
  std::remove(path);
  auto missing = Node::LoadFile(path);
  REQUIRE(!missing.ok());
  CHECK(missing.status().code() == base::Status::Code::kIo);
  CHECK(missing.status().message().find(path) != std::string::npos);
}

}  // namespace
}  // namespace cdn::config
