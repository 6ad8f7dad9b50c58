#include "common/base64url.h"

#include "absl/strings/escaping.h"

namespace sfs {

bool DecodeCanonicalBase64Url(absl::string_view in, std::string* out) {
  // absl's decoder accepts padding and ignores the low bits of a last
  // partial group; re-encoding is the exact test of canonical form. A
  // length of 1 mod 4 cannot be produced by any byte string.
  if (in.size() % 4 == 1) return false;
  if (!absl::WebSafeBase64Unescape(in, out)) return false;
  return absl::WebSafeBase64Escape(*out) == in;
}

}  // namespace sfs
