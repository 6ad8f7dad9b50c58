#include "sfs-frontend/auth/password.h"

#include <sodium.h>

#include "absl/status/status.h"

namespace sfs::frontend {
namespace {

// sodium_init is idempotent and thread-safe; it must precede any other call.
bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

}  // namespace

absl::StatusOr<std::string> HashPassword(absl::string_view password) {
  if (password.empty()) return absl::InvalidArgumentError("empty password");
  if (!SodiumReady()) return absl::InternalError("libsodium failed to start");
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(hash, password.data(), password.size(),
                        crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return absl::ResourceExhaustedError("password hashing ran out of memory");
  }
  return std::string(hash);
}

bool VerifyPassword(absl::string_view password, absl::string_view hash) {
  if (!SodiumReady() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  // crypto_pwhash_str_verify wants a NUL-terminated hash.
  std::string terminated(hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(),
                                  password.size()) == 0;
}

}  // namespace sfs::frontend
