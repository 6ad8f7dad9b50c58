// Password hashing for catalog users: argon2id through libsodium's
// crypto_pwhash_str, a memory-hard KDF, so a leaked catalog does not give
// away passwords cheaply.
//
// The hash string is self-describing ("$argon2id$v=19$m=...,t=...,p=...$..."):
// it records its own salt and cost, so costs can change later without
// invalidating stored hashes. The cost is libsodium's "interactive" limit
// (2 passes over 64 MiB, well under a second) because every /api/login pays it.
//
// Thread-safety: both functions may be called concurrently.

#ifndef SFS_FRONTEND_AUTH_PASSWORD_H_
#define SFS_FRONTEND_AUTH_PASSWORD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sfs::frontend {

// A new salted hash of `password`. InvalidArgument for an empty password,
// ResourceExhausted if the KDF could not get its memory.
absl::StatusOr<std::string> HashPassword(absl::string_view password);

// True iff `hash` came from HashPassword(`password`). False for a malformed
// hash as well.
bool VerifyPassword(absl::string_view password, absl::string_view hash);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_AUTH_PASSWORD_H_
