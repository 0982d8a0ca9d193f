// Status and Result<T>: errors as values (leveldb's Status, with context added on the way up).
// Plain values, no shared state; any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace cdn::base {

class [[nodiscard]] Status {
 public:
  enum class Code { kOk = 0, kInvalid, kNotFound, kUnsupported, kTooLarge, kIo, kDenied, kBusy, kTimeout, kInternal };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status Invalid(std::string_view m) { return Status(Code::kInvalid, m); }
  static Status NotFound(std::string_view m) { return Status(Code::kNotFound, m); }
  static Status Unsupported(std::string_view m) { return Status(Code::kUnsupported, m); }
  static Status TooLarge(std::string_view m) { return Status(Code::kTooLarge, m); }
  static Status Io(std::string_view m) { return Status(Code::kIo, m); }
  static Status Denied(std::string_view m) { return Status(Code::kDenied, m); }
  static Status Busy(std::string_view m) { return Status(Code::kBusy, m); }
  static Status Timeout(std::string_view m) { return Status(Code::kTimeout, m); }
  static Status Internal(std::string_view m) { return Status(Code::kInternal, m); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>".
  Status WithContext(std::string_view context) const {
    if (ok()) return *this;
    return Status(code_, std::string(context) + ": " + message_);
  }

 private:
  Status(Code c, std::string_view m) : code_(c), message_(m) {}
  Code code_ = Code::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}   // NOLINT: must not be Ok
  bool ok() const { return v_.index() == 0; }
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  Status status() const { return ok() ? Status::Ok() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace cdn::base

#define CDN_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::cdn::base::Status _st = (expr);          \
    if (!_st.ok()) return _st;                 \
  } while (0)
