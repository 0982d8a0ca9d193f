#include "lib/base/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <climits>
#include <cstdlib>

#include "lib/base/log.h"

namespace cdn::base {
namespace {

// EVP_Digest of `data` with `md`; returns the raw digest.
std::string Digest(const EVP_MD* md, std::string_view data) {
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), buf, &len, md, nullptr) != 1) {
    // Only fails on allocation failure inside OpenSSL; there is no useful fallback.
    LOG(ERROR) << "EVP_Digest failed";
    std::abort();
  }
  return std::string(reinterpret_cast<const char*>(buf), len);
}

}  // namespace

std::string HmacSha256(std::string_view key, std::string_view data) {
  // OpenSSL 3 rejects a null key pointer even with length 0; an empty view may have one.
  static const unsigned char kEmpty[1] = {0};
  const void* key_ptr = key.empty() ? static_cast<const void*>(kEmpty) : key.data();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (key.size() > INT_MAX || HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()),
                                   reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                                   out, &len) == nullptr) {
    LOG(ERROR) << "HMAC-SHA256 failed";
    std::abort();
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Sha256(std::string_view data) { return Digest(EVP_sha256(), data); }

std::string Md5Hex(std::string_view data) { return HexEncode(Digest(EVP_md5(), data)); }

std::string HexEncode(std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0x0f]);
  }
  return out;
}

void RandomBytes(char* out, size_t n) {
  while (n > 0) {
    int chunk = n > static_cast<size_t>(INT_MAX) ? INT_MAX : static_cast<int>(n);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out), chunk) != 1) {
      LOG(ERROR) << "RAND_bytes failed: no randomness available";
      std::abort();
    }
    out += chunk;
    n -= static_cast<size_t>(chunk);
  }
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // The length is not secret (it is public in every format this compares); the contents are.
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace cdn::base
