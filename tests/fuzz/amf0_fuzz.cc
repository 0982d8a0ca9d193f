// libFuzzer target: arbitrary bytes -> DecodeAmf0All, the body of every RTMP command and data
// message (AMF0 spec, depth and element caps). Properties: what decodes re-encodes to bytes that
// decode to the same values, and encoding is then stable (encode . decode . encode = encode);
// the accessors and DebugString handle any decoded value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/rtmp/amf0.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using cdn::rtmp::Amf0Value;

void Touch(const Amf0Value& v) {
  (void)v.DebugString();
  (void)v.GetString("app");
  (void)v.GetNumber("duration");
  (void)v.Get("code");
  for (const auto& [name, value] : v.properties) FUZZ_CHECK(!name.empty());  // an empty name ends an object
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<Amf0Value> values;
  if (!cdn::rtmp::DecodeAmf0All(cdn::fuzz::View(data, size), &values).ok()) return 0;
  for (const Amf0Value& v : values) Touch(v);

  const std::string encoded = cdn::rtmp::EncodeAmf0All(values);
  std::vector<Amf0Value> again;
  FUZZ_CHECK(cdn::rtmp::DecodeAmf0All(encoded, &again).ok());
  FUZZ_CHECK(again == values);
  FUZZ_CHECK(cdn::rtmp::EncodeAmf0All(again) == encoded);
  return 0;
}
