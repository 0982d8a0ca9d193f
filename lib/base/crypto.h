// The one wrapper of OpenSSL libcrypto: hashes, HMAC, randomness, constant-time compare.
// Stateless free functions over byte strings (raw bytes in std::string); safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cdn::base {

constexpr size_t kSha256Size = 32;  // FIPS 180-4: SHA-256 digest length in bytes
constexpr size_t kMd5Size = 16;     // RFC 1321: MD5 digest length in bytes

// HMAC-SHA256 (RFC 2104 / RFC 4231): 32 raw bytes.
std::string HmacSha256(std::string_view key, std::string_view data);

// SHA-256 (FIPS 180-4): 32 raw bytes.
std::string Sha256(std::string_view data);

// MD5 (RFC 1321) as 32 lowercase hex characters (URL signing, not security against collisions).
std::string Md5Hex(std::string_view data);

// Lowercase hex of raw bytes ("\x80\xcd" -> "80cd").
std::string HexEncode(std::string_view bytes);

// Fills out[0, n) from the OpenSSL CSPRNG. Aborts the process if the CSPRNG fails, since no
// caller can continue safely without randomness.
void RandomBytes(char* out, size_t n);

// True when a and b hold the same bytes. Time depends only on the lengths, never on where the
// contents differ (secrets, signatures: STYLE.md habit 11).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace cdn::base
