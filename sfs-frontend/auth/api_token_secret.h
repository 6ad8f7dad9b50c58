// The secret half of an API token. The caller shows the secret once, when the
// token is created; the catalog keeps only its hash, so a leaked catalog
// leaks no usable tokens. A presented secret is looked up by its hash
// (Catalog::FindApiTokenBySecretHash).

#ifndef SFS_FRONTEND_AUTH_API_TOKEN_SECRET_H_
#define SFS_FRONTEND_AUTH_API_TOKEN_SECRET_H_

#include <string>

#include "absl/strings/string_view.h"

namespace sfs::frontend {

// A fresh secret: "sfs_" followed by 32 random bytes in base64url. The prefix
// lets secret scanners and humans recognise a leaked token.
std::string NewApiTokenSecret();

// Lowercase hex SHA-256 of `secret`: what the catalog stores. A fast hash is
// enough because the secret has 256 bits of entropy, unlike a password.
std::string ApiTokenSecretHash(absl::string_view secret);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_AUTH_API_TOKEN_SECRET_H_
