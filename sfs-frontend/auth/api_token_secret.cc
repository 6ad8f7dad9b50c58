#include "sfs-frontend/auth/api_token_secret.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "sfs-frontend/auth/crypto.h"

namespace sfs::frontend {

std::string NewApiTokenSecret() {
  return absl::StrCat("sfs_", absl::WebSafeBase64Escape(RandomBytes(32)));
}

std::string ApiTokenSecretHash(absl::string_view secret) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_Digest(secret.data(), secret.size(), digest, &digest_len, EVP_sha256(),
             nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), digest_len));
}

}  // namespace sfs::frontend
