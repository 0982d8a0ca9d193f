// AMF0 (Adobe "Action Message Format -- AMF 0", Dec 2007): the value model, decoder and encoder
// used by RTMP command (type 20) and data (type 18) messages. Plain values and pure functions:
// no shared state, any thread. The decoder trusts nothing: bounds, depth and element caps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/base/bytes.h"
#include "lib/base/status.h"

namespace cdn::rtmp {

// Type markers, AMF0 spec section 2.1.
enum Amf0Marker : uint8_t {
  kAmf0NumberMarker = 0x00,       // 2.2
  kAmf0BooleanMarker = 0x01,      // 2.3
  kAmf0StringMarker = 0x02,       // 2.4
  kAmf0ObjectMarker = 0x03,       // 2.5
  kAmf0MovieclipMarker = 0x04,    // 2.6, reserved, not supported
  kAmf0NullMarker = 0x05,         // 2.7
  kAmf0UndefinedMarker = 0x06,    // 2.8
  kAmf0ReferenceMarker = 0x07,    // 2.9, not supported (no RTMP peer we serve sends it)
  kAmf0EcmaArrayMarker = 0x08,    // 2.10
  kAmf0ObjectEndMarker = 0x09,    // 2.11
  kAmf0StrictArrayMarker = 0x0A,  // 2.12
  kAmf0DateMarker = 0x0B,         // 2.13
  kAmf0LongStringMarker = 0x0C,   // 2.14
  kAmf0UnsupportedMarker = 0x0D,  // 2.15
  kAmf0RecordsetMarker = 0x0E,    // 2.16, reserved
  kAmf0XmlDocumentMarker = 0x0F,  // 2.17
  kAmf0TypedObjectMarker = 0x10,  // 2.18
  kAmf0AvmPlusMarker = 0x11,      // 3.1, switch to AMF3: not supported
};

struct Amf0Value;
using Amf0Properties = std::vector<std::pair<std::string, Amf0Value>>;  // ordered, as on the wire

struct Amf0Value {
  // A long string (0x0C) decodes to kString; the encoder picks the long form by length.
  enum class Type : uint8_t {
    kNumber,
    kBoolean,
    kString,
    kObject,
    kNull,
    kUndefined,
    kEcmaArray,
    kStrictArray,
    kDate
  };
  Type type = Type::kNull;
  double number = 0;  // number, and date (ms since the Unix epoch)
  bool boolean = false;
  int16_t timezone = 0;  // date only (2.13: reserved, should be 0)
  std::string string;
  Amf0Properties properties;        // object, ECMA array
  std::vector<Amf0Value> elements;  // strict array

  // Declared here, defaulted in amf0.cc: implicit ones would make the standard library check
  // std::pair<std::string, Amf0Value> while Amf0Value is still incomplete (clang rejects that).
  Amf0Value();
  ~Amf0Value();
  Amf0Value(const Amf0Value&);
  Amf0Value(Amf0Value&&) noexcept;
  Amf0Value& operator=(const Amf0Value&);
  Amf0Value& operator=(Amf0Value&&) noexcept;

  static Amf0Value Number(double v);
  static Amf0Value Boolean(bool v);
  static Amf0Value String(std::string v);
  static Amf0Value Null();
  static Amf0Value Undefined();
  static Amf0Value Object(Amf0Properties props);
  static Amf0Value EcmaArray(Amf0Properties props);
  static Amf0Value StrictArray(std::vector<Amf0Value> elements);
  static Amf0Value Date(double ms_since_epoch, int16_t timezone = 0);

  bool IsString() const { return type == Type::kString; }
  bool IsNumber() const { return type == Type::kNumber; }
  bool IsNull() const { return type == Type::kNull || type == Type::kUndefined; }
  bool IsObjectLike() const { return type == Type::kObject || type == Type::kEcmaArray; }

  // Property lookup on an object or ECMA array (first match); nullptr if absent or not object-like.
  const Amf0Value* Get(std::string_view key) const;
  // The property's value if it exists with the right type, else `def`.
  std::string GetString(std::string_view key, std::string_view def = "") const;
  double GetNumber(std::string_view key, double def = 0) const;
  // Replaces the first property named `key`, or appends it. Meant for objects and ECMA arrays.
  void Set(std::string key, Amf0Value v);

  // Readable one-line form for logs and test failures, e.g. {app: "live", n: 1}.
  std::string DebugString() const;

  bool operator==(const Amf0Value& other) const;
};

constexpr int kAmf0MaxDepth = 32;               // nesting cap (containers inside containers)
constexpr size_t kAmf0MaxElements = 65536;      // per container (properties or elements)
constexpr size_t kAmf0MaxShortString = 0xFFFF;  // 2.4: UTF-8 with a u16 length

// Decodes one value at the reader's position. Errors: kInvalid (truncated or malformed),
// kUnsupported (a type marker outside the set above), kTooLarge (depth or element cap).
// On error the reader position and *out are unspecified.
base::Status DecodeAmf0(base::ByteReader* r, Amf0Value* out, int depth = 0);

// Decodes a whole command/data message body: values until the data ends.
base::Status DecodeAmf0All(std::string_view data, std::vector<Amf0Value>* out);

// Appends the encoding of v. Strings longer than 65535 bytes go out as long strings (2.14);
// property names are u16-length on the wire (2.5), so a longer name is cut to 65535 bytes, and
// a property with an empty name is skipped (it would read back as the object end, 2.11).
void EncodeAmf0(const Amf0Value& v, std::string* out);
std::string EncodeAmf0All(const std::vector<Amf0Value>& values);

}  // namespace cdn::rtmp
