// Tests for lib/base/utf8.h and the log line escaping that uses it (lib/base/log.cc).
#include "lib/base/utf8.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "lib/base/log.h"

namespace cdn::base {
namespace {

TEST_CASE("IsValidUtf8: RFC 3629 sequences only") {
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8("room-1"));
  CHECK(IsValidUtf8("r\xc3\xa9sum\xc3\xa9"));         // U+00E9
  CHECK(IsValidUtf8("\xe4\xb8\xad\xe6\x96\x87"));     // U+4E2D U+6587
  CHECK(IsValidUtf8("\xf0\x9f\x8e\xa5"));             // U+1F3A5
  CHECK(IsValidUtf8("\xf4\x8f\xbf\xbf"));             // U+10FFFF
  CHECK_FALSE(IsValidUtf8("\xff"));
  CHECK_FALSE(IsValidUtf8("\xc3"));                   // truncated
  CHECK_FALSE(IsValidUtf8("\xc0\xaf"));               // overlong '/'
  CHECK_FALSE(IsValidUtf8("\xe0\x80\xaf"));           // overlong '/'
  CHECK_FALSE(IsValidUtf8("\xed\xa0\x80"));           // surrogate U+D800
  CHECK_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));       // past U+10FFFF
  CHECK_FALSE(IsValidUtf8("\xe4\xb8"));               // truncated at the end
  CHECK_FALSE(IsValidUtf8("a\x80z"));                 // stray continuation byte
}

// What one LOG statement writes to stderr.
std::string Logged(const std::string& text) {
  char path[] = "/tmp/utf8_test_XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  int saved = dup(2);
  dup2(fd, 2);
  LOG(ERROR) << text;
  dup2(saved, 2);
  close(saved);
  std::string out(4096, '\0');
  ssize_t n = pread(fd, out.data(), out.size(), 0);
  close(fd);
  unlink(path);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

TEST_CASE("a log line cannot be forged or carry raw control bytes") {
  std::string line = Logged("name x\n2026-01-01T00:00:00.000Z ERROR forged\r\x1b[2J\x7f tail");
  CHECK(line.find('\n') == line.size() - 1);  // one line
  CHECK(line.find("name x\\x0a2026-01-01T00:00:00.000Z ERROR forged\\x0d\\x1b[2J\\x7f tail\n") != std::string::npos);
  line = Logged("bad \xff\xc0\xaf utf-8, good r\xc3\xa9sum\xc3\xa9");
  CHECK(line.find("bad \\xff\\xc0\\xaf utf-8, good r\xc3\xa9sum\xc3\xa9\n") != std::string::npos);
}

}  // namespace
}  // namespace cdn::base
