// Minimal leveled logging to stderr: LOG(INFO) << "..." (one line per statement, written whole).
// Thread-safe: each line is formatted locally and written with one write(2).
#pragma once

#include <sstream>

namespace cdn::base {

enum class LogLevel { kDebug = 0, kInfo, kWarn, kError };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
void SetLogTag(const char* tag);  // e.g. the service's node_id, printed on every line

class LogLine {
 public:
  LogLine(LogLevel level, const char* file, int line);
  ~LogLine();
  std::ostream& stream() { return os_; }

 private:
  LogLevel level_;
  std::ostringstream os_;
};

// Turns the stream expression into void so both branches of LOG's ?: have one type.
struct LogVoidify {
  void operator&(std::ostream&) {}
};

}  // namespace cdn::base

#define CDN_LOG_DEBUG ::cdn::base::LogLevel::kDebug
#define CDN_LOG_INFO ::cdn::base::LogLevel::kInfo
#define CDN_LOG_WARN ::cdn::base::LogLevel::kWarn
#define CDN_LOG_ERROR ::cdn::base::LogLevel::kError
// An expression, not an if/else, so `if (x) LOG(INFO) << ...;` has no dangling else.
#define LOG(sev)                                              \
  !(CDN_LOG_##sev >= ::cdn::base::GetLogLevel())              \
      ? (void)0                                               \
      : ::cdn::base::LogVoidify() & ::cdn::base::LogLine(CDN_LOG_##sev, __FILE__, __LINE__).stream()
