// A small JSON reader (RFC 8259) for documents services read over HTTP (an edge's /healthz, central's
// domain table, API requests): depth and size are capped; numbers are doubles;
// \u escapes decode to UTF-8. Plus an escaper for the JSON the admin API writes.
// Pure values; any thread.
#pragma once

#include <map>
#include <memory>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/status.h"

namespace cdn::base {

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  static base::Result<JsonValue> Parse(std::string_view text);

  Type type() const { return type_; }
  bool is_object() const { return type_ == Type::kObject; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool boolean() const { return bool_; }
  double number() const { return number_; }
  // The number as an integer in [0, max]: `fallback` when not a number, NaN, negative or over
  // `max` (a cast of such a double is undefined behaviour; JSON "1e999" parses to infinity).
  uint64_t uint_or(uint64_t fallback, uint64_t max = UINT64_MAX / 2) const {
    if (type_ != Type::kNumber || !(number_ >= 0) || !(number_ <= static_cast<double>(max))) return fallback;
    return static_cast<uint64_t>(number_);
  }
  const std::string& str() const { return string_; }
  const std::vector<JsonValue>& items() const { return items_; }
  // Object member, or a null value when absent.
  const JsonValue& operator[](std::string_view key) const;
  bool has(std::string_view key) const;

 private:
  friend class JsonParser;
  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<JsonValue> items_;
  std::vector<std::pair<std::string, JsonValue>> members_;
};

// "a\"b" -> "\"a\\\"b\"" (with the quotes).
std::string JsonQuote(std::string_view s);

}  // namespace cdn::base
