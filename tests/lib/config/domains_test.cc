// Tests for lib/config/domains: the shared `domains:` list read into auth::Domain values, with
// every validation error naming the YAML path (pull without a source, unknown or non-push
// source, duplicates, auth required without a key, bad enums, unknown keys).
#include "lib/config/domains.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace cdn::config {
namespace {

using Code = base::Status::Code;
using Type = auth::Domain::Type;

base::Status Read(std::string_view yaml, std::vector<auth::Domain>* out) {
  auto root = Node::LoadString(yaml);
  REQUIRE_MESSAGE(root.ok(), root.status().ToString());
  return ReadDomains(*root, "domains", out);
}

std::string Error(std::string_view yaml) {
  std::vector<auth::Domain> d;
  base::Status st = Read(yaml, &d);
  REQUIRE_MESSAGE(!st.ok(), yaml);
  CHECK(st.code() == Code::kInvalid);
  return st.message();
}

TEST_CASE("the central.yaml example") {
  std::vector<auth::Domain> d;
  base::Status st = Read(
      "domains:\n"
      "  - name: Push.Example.com\n"
      "    type: push\n"
      "    auth: {type: A, key: primary-secret, key2: secondary-secret, required: true}\n"
      "    transcode: [sd, hd]\n"
      "    record: true\n"
      "  - name: pull.example.com\n"
      "    type: pull\n"
      "    source: PUSH.example.com\n"
      "    auth: {type: B, key: pull-secret, required: false}\n",
      &d);
  REQUIRE_MESSAGE(st.ok(), st.ToString());
  REQUIRE(d.size() == 2);
  CHECK(d[0].name == "push.example.com");  // lower-cased
  CHECK(d[0].type == Type::kPush);
  CHECK(d[0].auth.type == "A");
  CHECK(d[0].auth.key == "primary-secret");
  CHECK(d[0].auth.key2 == "secondary-secret");
  CHECK(d[0].auth.required);
  CHECK(d[0].transcode == std::vector<std::string>{"sd", "hd"});
  CHECK(d[0].record);
  CHECK(d[0].is_static);
  CHECK(d[1].type == Type::kPull);
  CHECK(d[1].source == "push.example.com");
  CHECK(d[1].auth.type == "B");
  CHECK(!d[1].auth.required);
  CHECK(!d[1].record);
}

TEST_CASE("defaults: auth required for push with an auth block, not for pull; none without a block") {
  std::vector<auth::Domain> d;
  REQUIRE(Read("domains:\n"
               "  - {name: a.com, type: push, auth: {key: k}}\n"
               "  - {name: b.com, type: pull, source: a.com, auth: {key: k}}\n"
               "  - {name: c.com, type: push}\n",
               &d)
              .ok());
  REQUIRE(d.size() == 3);
  CHECK(d[0].auth.required);
  CHECK(d[0].auth.type == "A");
  CHECK(!d[1].auth.required);
  CHECK(!d[2].auth.required);
}

TEST_CASE("absent or empty list: no domains (an open table)") {
  std::vector<auth::Domain> d;
  CHECK(Read("node_id: x\n", &d).ok());
  CHECK(Read("domains:\n", &d).ok());
  CHECK(d.empty());
}

TEST_CASE("validation errors name the YAML path and line") {
  struct Case {
    const char* what;
    const char* yaml;
    const char* want;  // prefix of the message
  };
  const Case cases[] = {
      {"not a list", "domains: {name: a}\n", "domains (line 1): expected a list of domains"},
      {"pull without source", "domains:\n  - name: p.com\n    type: pull\n",
       "domains[0].source: a pull domain needs a source push domain"},
      {"unknown source",
       "domains:\n  - {name: a.com, type: push}\n  - {name: p.com, type: pull, source: nope.com}\n",
       "domains (line 2): pull domain p.com: source 'nope.com' is not a known domain"},
      {"pull from a pull",
       "domains:\n  - {name: a.com, type: push}\n  - {name: p.com, type: pull, source: a.com}\n"
       "  - {name: q.com, type: pull, source: p.com}\n",
       "domains (line 2): pull domain q.com: source 'p.com' is not a push domain"},
      {"duplicate", "domains:\n  - {name: a.com, type: push}\n  - {name: A.com, type: push}\n",
       "domains[1].name (line 3): duplicate domain 'a.com'"},
      {"auth required without key", "domains:\n  - name: a.com\n    type: push\n    auth: {required: true}\n",
       "domains[0].auth.key: auth is required but no key is set"},
      {"push auth block without key", "domains:\n  - name: a.com\n    type: push\n    auth: {type: A}\n",
       "domains[0].auth.key: auth is required but no key is set"},
      {"bad type", "domains:\n  - name: a.com\n    type: relay\n", "domains[0].type (line 3): must be push or pull"},
      {"missing type", "domains:\n  - name: a.com\n", "domains[0].type: is required"},
      {"missing name", "domains:\n  - type: push\n", "domains[0].name: is required"},
      {"bad auth type", "domains:\n  - name: a.com\n    type: push\n    auth: {type: D, key: k}\n",
       "domains[0].auth.type (line 4): must be A, B or C"},
      {"unknown key", "domains:\n  - name: a.com\n    type: push\n    recrod: true\n",
       "domains[0].recrod (line 4): unknown key 'recrod'"},
      {"unknown auth key", "domains:\n  - name: a.com\n    type: push\n    auth: {key: k, secret: s}\n",
       "domains[0].auth.secret (line 4): unknown key 'secret'"},
      {"bad record", "domains:\n  - name: a.com\n    type: push\n    record: sometimes\n",
       "domains[0].record (line 4): expected true or false"},
      {"bad transcode", "domains:\n  - name: a.com\n    type: push\n    transcode: sd\n",
       "domains[0].transcode (line 4): expected a list"},
      {"item not a map", "domains:\n  - a.com\n", "domains[0] (line 2): expected a map"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    const std::string msg = Error(c.yaml);
    CHECK_MESSAGE(msg.rfind(c.want, 0) == 0, msg);
  }
}

}  // namespace
}  // namespace cdn::config
