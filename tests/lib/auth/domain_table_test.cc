// Tests for lib/auth/domain_table: the open table (no domains: every vhost is its own push
// domain, the default vhost for none), a configured table (push -> itself, pull -> its source,
// unknown domains refused, pull domains not publishable) and Validate().
#include "lib/auth/domain_table.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace cdn::auth {
namespace {

using Code = base::Status::Code;

Domain Push(const std::string& name) {
  Domain d;
  d.name = name;
  d.type = Domain::Type::kPush;
  return d;
}

Domain Pull(const std::string& name, const std::string& source) {
  Domain d;
  d.name = name;
  d.type = Domain::Type::kPull;
  d.source = source;
  return d;
}

TEST_CASE("an open table accepts every vhost as its own push domain") {
  DomainTable t;
  CHECK(t.open());
  CHECK(t.domains().empty());
  CHECK(t.Find("any.com") == nullptr);
  CHECK(*t.PublishDomain("any.com") == "any.com");
  CHECK(*t.PlayDomain("any.com") == "any.com");
  CHECK(*t.PublishDomain("") == std::string(kDefaultVhost));
  CHECK(*t.PlayDomain("") == std::string(kDefaultVhost));
  CHECK(t.Validate().ok());
}

TEST_CASE("a configured table maps pull domains to their push source") {
  DomainTable t({Push("push.example.com"), Pull("pull.example.com", "push.example.com"), Push("other.com"),
                 Pull("cdn.other.com", "other.com")});
  CHECK(!t.open());
  REQUIRE(t.Validate().ok());
  REQUIRE(t.Find("pull.example.com") != nullptr);
  CHECK(t.Find("pull.example.com")->source == "push.example.com");

  CHECK(*t.PublishDomain("push.example.com") == "push.example.com");
  CHECK(*t.PlayDomain("push.example.com") == "push.example.com");
  CHECK(*t.PlayDomain("pull.example.com") == "push.example.com");
  CHECK(*t.PlayDomain("cdn.other.com") == "other.com");

  // Publishing to a pull domain is refused.
  auto pub = t.PublishDomain("pull.example.com");
  CHECK(pub.status().code() == Code::kDenied);
  CHECK(pub.status().message().find("pull.example.com") != std::string::npos);
}

TEST_CASE("unknown domains are NotFound, also the empty vhost and near misses") {
  DomainTable t({Push("push.example.com")});
  for (const char* v : {"unknown.com", "", "PUSH.example.com", "push.example.com.", "example.com"}) {
    CAPTURE(v);
    CHECK(t.PublishDomain(v).status().code() == Code::kNotFound);
    CHECK(t.PlayDomain(v).status().code() == Code::kNotFound);
  }
  CHECK(t.PublishDomain("unknown.com").status().message() == "unknown domain 'unknown.com'");
}

TEST_CASE("Validate: a pull domain's source must exist and be a push domain") {
  CHECK(DomainTable({Pull("p.com", "nope.com")}).Validate().code() == Code::kInvalid);
  CHECK(DomainTable({Push("a.com"), Pull("p.com", "a.com"), Pull("q.com", "p.com")}).Validate().code() ==
        Code::kInvalid);
  CHECK(DomainTable({Push("a.com"), Pull("p.com", "")}).Validate().code() == Code::kInvalid);
  CHECK(DomainTable({Push("a.com"), Push("b.com")}).Validate().ok());
  // Order does not matter: the pull domain may come first.
  CHECK(DomainTable({Pull("p.com", "a.com"), Push("a.com")}).Validate().ok());
}

TEST_CASE("Find returns the first match and the whole record") {
  Domain d = Push("a.com");
  d.auth.key = "k";
  d.auth.required = true;
  d.transcode = {"sd"};
  DomainTable t({d});
  const Domain* f = t.Find("a.com");
  REQUIRE(f != nullptr);
  CHECK(f->auth.key == "k");
  CHECK(f->auth.required);
  CHECK(f->auth.type == "A");
  CHECK(f->transcode == std::vector<std::string>{"sd"});
}

}  // namespace
}  // namespace cdn::auth
