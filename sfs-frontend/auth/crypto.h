// The primitives every secret and signature of the frontend is built on
// (HS256 JWTs, API-token secrets, signed URLs): HMAC-SHA256, a timing-safe
// comparison and random bytes.
#ifndef SFS_FRONTEND_AUTH_CRYPTO_H_
#define SFS_FRONTEND_AUTH_CRYPTO_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace sfs::frontend {

// The 32-byte HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(absl::string_view key, absl::string_view data);

// True iff `a` equals `b`, in time that depends only on their lengths.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// `n` bytes from the system's cryptographic generator. Aborts if it fails:
// without randomness there is no safe secret to hand out.
std::string RandomBytes(size_t n);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_AUTH_CRYPTO_H_
