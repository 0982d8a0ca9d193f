#include "lib/rtmp/amf0.h"

#include <bit>
#include <cmath>
#include <cstdio>

namespace cdn::rtmp {
namespace {

using base::ByteReader;
using base::Status;

Status Truncated(const char* what) {
  return Status::Invalid(std::string("amf0: truncated ") + what);
}

Status ReadDouble(ByteReader* r, double* v) {
  uint64_t bits;
  if (!r->ReadBE(8, &bits)) return Truncated("number");
  *v = std::bit_cast<double>(bits);  // 2.2: IEEE-754 double, network byte order
  return Status::Ok();
}

// 2.4 / 2.14: a u16 (short) or u32 (long) byte length, then that many bytes.
Status ReadUtf8(ByteReader* r, bool is_long, std::string* out) {
  uint64_t len;
  if (!r->ReadBE(is_long ? 4 : 2, &len)) return Truncated("string length");
  std::string_view bytes;
  // The length is checked against what is left before anything is allocated.
  if (!r->ReadBytes(len, &bytes)) return Truncated("string");
  out->assign(bytes);
  return Status::Ok();
}

// Reads the name/value pairs of an object (2.5) or ECMA array (2.10) up to the object end
// (empty name + 0x09, 2.11). `end_optional`: some encoders end an ECMA array with the buffer
// instead of the end marker; accept that at a property boundary.
Status ReadProperties(ByteReader* r, int depth, bool end_optional, Amf0Properties* props) {
  for (;;) {
    if (end_optional && r->empty()) return Status::Ok();
    uint16_t name_len;
    if (!r->ReadU16(&name_len)) return Truncated("property name");
    if (name_len == 0) {
      uint8_t marker;
      if (!r->ReadU8(&marker)) {
        if (end_optional) return Status::Ok();
        return Truncated("object end");
      }
      if (marker == kAmf0ObjectEndMarker) return Status::Ok();
      return Status::Invalid("amf0: empty property name without object end marker");
    }
    if (props->size() >= kAmf0MaxElements) return Status::TooLarge("amf0: too many properties");
    std::string_view name;
    if (!r->ReadBytes(name_len, &name)) return Truncated("property name");
    Amf0Value value;
    CDN_RETURN_IF_ERROR(DecodeAmf0(r, &value, depth + 1));
    props->emplace_back(std::string(name), std::move(value));
  }
}

void WriteUtf8Name(std::string_view name, std::string* out) {
  if (name.size() > kAmf0MaxShortString) name = name.substr(0, kAmf0MaxShortString);
  base::PutU16(out, static_cast<uint16_t>(name.size()));
  out->append(name);
}

void WriteProperties(const Amf0Properties& props, std::string* out) {
  for (const auto& [name, value] : props) {
    // An empty name would read back as the object end (2.11); it cannot be encoded.
    if (name.empty()) continue;
    WriteUtf8Name(name, out);
    EncodeAmf0(value, out);
  }
  base::PutU16(out, 0);
  base::PutU8(out, kAmf0ObjectEndMarker);
}

void PutDouble(std::string* out, double v) { base::PutBE(out, std::bit_cast<uint64_t>(v), 8); }

void AppendQuoted(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    auto b = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (b < 0x20 || b == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", b);
      out->append(buf);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

void AppendDebug(const Amf0Value& v, std::string* out) {
  using T = Amf0Value::Type;
  char buf[64];
  switch (v.type) {
    case T::kNumber:
      std::snprintf(buf, sizeof buf, "%.17g", v.number);
      out->append(buf);
      return;
    case T::kBoolean:
      out->append(v.boolean ? "true" : "false");
      return;
    case T::kString:
      AppendQuoted(v.string, out);
      return;
    case T::kNull:
      out->append("null");
      return;
    case T::kUndefined:
      out->append("undefined");
      return;
    case T::kDate:
      std::snprintf(buf, sizeof buf, "Date(%.17g, tz %d)", v.number, v.timezone);
      out->append(buf);
      return;
    case T::kObject:
    case T::kEcmaArray: {
      out->append(v.type == T::kObject ? "{" : "ecma{");
      bool first = true;
      for (const auto& [name, value] : v.properties) {
        if (!first) out->append(", ");
        first = false;
        out->append(name).append(": ");
        AppendDebug(value, out);
      }
      out->append("}");
      return;
    }
    case T::kStrictArray: {
      out->append("[");
      for (size_t i = 0; i < v.elements.size(); ++i) {
        if (i > 0) out->append(", ");
        AppendDebug(v.elements[i], out);
      }
      out->append("]");
      return;
    }
  }
}

}  // namespace

Amf0Value::Amf0Value() = default;
Amf0Value::~Amf0Value() = default;
Amf0Value::Amf0Value(const Amf0Value&) = default;
Amf0Value::Amf0Value(Amf0Value&&) noexcept = default;
Amf0Value& Amf0Value::operator=(const Amf0Value&) = default;
Amf0Value& Amf0Value::operator=(Amf0Value&&) noexcept = default;

Amf0Value Amf0Value::Number(double v) {
  Amf0Value a;
  a.type = Type::kNumber;
  a.number = v;
  return a;
}
Amf0Value Amf0Value::Boolean(bool v) {
  Amf0Value a;
  a.type = Type::kBoolean;
  a.boolean = v;
  return a;
}
Amf0Value Amf0Value::String(std::string v) {
  Amf0Value a;
  a.type = Type::kString;
  a.string = std::move(v);
  return a;
}
Amf0Value Amf0Value::Null() { return Amf0Value(); }
Amf0Value Amf0Value::Undefined() {
  Amf0Value a;
  a.type = Type::kUndefined;
  return a;
}
Amf0Value Amf0Value::Object(Amf0Properties props) {
  Amf0Value a;
  a.type = Type::kObject;
  a.properties = std::move(props);
  return a;
}
Amf0Value Amf0Value::EcmaArray(Amf0Properties props) {
  Amf0Value a;
  a.type = Type::kEcmaArray;
  a.properties = std::move(props);
  return a;
}
Amf0Value Amf0Value::StrictArray(std::vector<Amf0Value> elements) {
  Amf0Value a;
  a.type = Type::kStrictArray;
  a.elements = std::move(elements);
  return a;
}
Amf0Value Amf0Value::Date(double ms_since_epoch, int16_t timezone) {
  Amf0Value a;
  a.type = Type::kDate;
  a.number = ms_since_epoch;
  a.timezone = timezone;
  return a;
}

const Amf0Value* Amf0Value::Get(std::string_view key) const {
  if (!IsObjectLike()) return nullptr;
  for (const auto& [name, value] : properties) {
    if (name == key) return &value;
  }
  return nullptr;
}

std::string Amf0Value::GetString(std::string_view key, std::string_view def) const {
  const Amf0Value* v = Get(key);
  return std::string(v != nullptr && v->IsString() ? std::string_view(v->string) : def);
}

double Amf0Value::GetNumber(std::string_view key, double def) const {
  const Amf0Value* v = Get(key);
  return v != nullptr && v->IsNumber() ? v->number : def;
}

void Amf0Value::Set(std::string key, Amf0Value v) {
  for (auto& [name, value] : properties) {
    if (name == key) {
      value = std::move(v);
      return;
    }
  }
  properties.emplace_back(std::move(key), std::move(v));
}

std::string Amf0Value::DebugString() const {
  std::string out;
  AppendDebug(*this, &out);
  return out;
}

bool Amf0Value::operator==(const Amf0Value& o) const {
  if (type != o.type) return false;
  switch (type) {
    case Type::kNumber:
      return number == o.number || (std::isnan(number) && std::isnan(o.number));
    case Type::kBoolean:
      return boolean == o.boolean;
    case Type::kString:
      return string == o.string;
    case Type::kNull:
    case Type::kUndefined:
      return true;
    case Type::kObject:
    case Type::kEcmaArray:
      return properties == o.properties;
    case Type::kStrictArray:
      return elements == o.elements;
    case Type::kDate:
      return timezone == o.timezone &&
             (number == o.number || (std::isnan(number) && std::isnan(o.number)));
  }
  return false;
}

Status DecodeAmf0(ByteReader* r, Amf0Value* out, int depth) {
  uint8_t marker;
  if (!r->ReadU8(&marker)) return Truncated("type marker");
  using T = Amf0Value::Type;
  auto container = [&](T type) -> Status {
    if (depth >= kAmf0MaxDepth) return Status::TooLarge("amf0: nesting deeper than 32");
    *out = Amf0Value();
    out->type = type;
    return Status::Ok();
  };
  switch (marker) {
    case kAmf0NumberMarker:
      *out = Amf0Value::Number(0);
      return ReadDouble(r, &out->number);
    case kAmf0BooleanMarker: {
      uint8_t b;
      if (!r->ReadU8(&b)) return Truncated("boolean");
      *out = Amf0Value::Boolean(b != 0);
      return Status::Ok();
    }
    case kAmf0StringMarker:
    case kAmf0LongStringMarker:
      *out = Amf0Value::String("");
      return ReadUtf8(r, marker == kAmf0LongStringMarker, &out->string);
    case kAmf0NullMarker:
      *out = Amf0Value::Null();
      return Status::Ok();
    case kAmf0UndefinedMarker:
      *out = Amf0Value::Undefined();
      return Status::Ok();
    case kAmf0ObjectMarker:
      CDN_RETURN_IF_ERROR(container(T::kObject));
      return ReadProperties(r, depth, /*end_optional=*/false, &out->properties);
    case kAmf0EcmaArrayMarker: {
      CDN_RETURN_IF_ERROR(container(T::kEcmaArray));
      // 2.10: the associative-count is a hint only; encoders get it wrong (often 0).
      uint32_t hint;
      if (!r->ReadU32(&hint)) return Truncated("ECMA array count");
      return ReadProperties(r, depth, /*end_optional=*/true, &out->properties);
    }
    case kAmf0StrictArrayMarker: {
      CDN_RETURN_IF_ERROR(container(T::kStrictArray));
      uint32_t count;
      if (!r->ReadU32(&count)) return Truncated("strict array count");
      if (count > kAmf0MaxElements) return Status::TooLarge("amf0: strict array too long");
      // Every element takes at least its marker byte: a count beyond the input is a lie.
      if (count > r->remaining()) return Truncated("strict array");
      // Grow as elements arrive rather than trusting `count` for one big allocation: nested
      // arrays that each declare `remaining` elements would otherwise multiply it by the depth.
      for (uint32_t i = 0; i < count; ++i) {
        Amf0Value e;
        CDN_RETURN_IF_ERROR(DecodeAmf0(r, &e, depth + 1));
        out->elements.push_back(std::move(e));
      }
      return Status::Ok();
    }
    case kAmf0DateMarker: {
      *out = Amf0Value::Date(0);
      CDN_RETURN_IF_ERROR(ReadDouble(r, &out->number));
      uint16_t tz;
      if (!r->ReadU16(&tz)) return Truncated("date time zone");
      out->timezone = static_cast<int16_t>(tz);
      return Status::Ok();
    }
    case kAmf0ObjectEndMarker:
      return Status::Invalid("amf0: object end marker outside an object");
    case kAmf0AvmPlusMarker:
      return Status::Unsupported("amf0: AMF3 switch (0x11) not supported");
    default: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "amf0: unsupported type marker 0x%02x", marker);
      return Status::Unsupported(buf);
    }
  }
}

Status DecodeAmf0All(std::string_view data, std::vector<Amf0Value>* out) {
  ByteReader r(data);
  out->clear();
  while (!r.empty()) {
    if (out->size() >= kAmf0MaxElements) return Status::TooLarge("amf0: too many values");
    Amf0Value v;
    Status st = DecodeAmf0(&r, &v);
    if (!st.ok()) {
      char buf[48];
      std::snprintf(buf, sizeof buf, "value %zu at offset", out->size());
      return st.WithContext(std::string(buf) + " " + std::to_string(r.position()));
    }
    out->push_back(std::move(v));
  }
  return Status::Ok();
}

void EncodeAmf0(const Amf0Value& v, std::string* out) {
  using T = Amf0Value::Type;
  switch (v.type) {
    case T::kNumber:
      base::PutU8(out, kAmf0NumberMarker);
      PutDouble(out, v.number);
      return;
    case T::kBoolean:
      base::PutU8(out, kAmf0BooleanMarker);
      base::PutU8(out, v.boolean ? 1 : 0);
      return;
    case T::kString:
      if (v.string.size() > kAmf0MaxShortString) {
        base::PutU8(out, kAmf0LongStringMarker);
        base::PutU32(out, static_cast<uint32_t>(v.string.size()));
      } else {
        base::PutU8(out, kAmf0StringMarker);
        base::PutU16(out, static_cast<uint16_t>(v.string.size()));
      }
      out->append(v.string);
      return;
    case T::kNull:
      base::PutU8(out, kAmf0NullMarker);
      return;
    case T::kUndefined:
      base::PutU8(out, kAmf0UndefinedMarker);
      return;
    case T::kObject:
      base::PutU8(out, kAmf0ObjectMarker);
      WriteProperties(v.properties, out);
      return;
    case T::kEcmaArray:
      base::PutU8(out, kAmf0EcmaArrayMarker);
      base::PutU32(out, static_cast<uint32_t>(v.properties.size()));
      WriteProperties(v.properties, out);
      return;
    case T::kStrictArray:
      base::PutU8(out, kAmf0StrictArrayMarker);
      base::PutU32(out, static_cast<uint32_t>(v.elements.size()));
      for (const auto& e : v.elements) EncodeAmf0(e, out);
      return;
    case T::kDate:
      base::PutU8(out, kAmf0DateMarker);
      PutDouble(out, v.number);
      base::PutU16(out, static_cast<uint16_t>(v.timezone));
      return;
  }
}

std::string EncodeAmf0All(const std::vector<Amf0Value>& values) {
  std::string out;
  for (const auto& v : values) EncodeAmf0(v, &out);
  return out;
}

}  // namespace cdn::rtmp
