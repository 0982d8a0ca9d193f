#include "lib/base/log.h"

#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

#include "lib/base/utf8.h"

namespace cdn::base {
namespace {
std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::string g_tag;
}  // namespace

void SetLogLevel(LogLevel level) { g_level = level; }
LogLevel GetLogLevel() { return g_level; }
void SetLogTag(const char* tag) { g_tag = tag; }

LogLine::LogLine(LogLevel level, const char* file, int line) : level_(level) {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  struct tm tm;
  gmtime_r(&tv.tv_sec, &tm);
  char ts[64];
  snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(tv.tv_usec / 1000));
  static const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  const char* base = strrchr(file, '/');
  os_ << ts << ' ' << kNames[static_cast<int>(level_)] << ' ';
  if (!g_tag.empty()) os_ << '[' << g_tag << "] ";
  os_ << (base ? base + 1 : file) << ':' << line << "] ";
}

LogLine::~LogLine() {
  // One statement, one line: client-chosen text (stream names, paths, headers) could otherwise
  // forge lines with '\n' or smuggle terminal escapes and invalid UTF-8 into the log. Control
  // bytes and bytes outside a valid UTF-8 sequence are written as \xNN.
  const std::string raw = os_.str();
  std::string s;
  s.reserve(raw.size() + 1);
  for (size_t i = 0; i < raw.size();) {
    const unsigned char c = static_cast<unsigned char>(raw[i]);
    const size_t n = Utf8SequenceLength(raw, i);
    if (n == 0 || c < 0x20 || c == 0x7f) {
      static const char kHex[] = "0123456789abcdef";
      s += "\\x";
      s += kHex[c >> 4];
      s += kHex[c & 15];
      ++i;
    } else {
      s.append(raw, i, n);
      i += n;
    }
  }
  s += '\n';
  ssize_t r = write(2, s.data(), s.size());
  (void)r;
}

}  // namespace cdn::base
