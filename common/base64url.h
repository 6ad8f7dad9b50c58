// Base64url (RFC 4648 section 5) without padding, decoded strictly: every
// token and signed value SFS verifies goes through here, so that one byte
// sequence has exactly one accepted spelling. A decoder that accepted
// non-zero padding bits, '=' padding or the '+' '/' alphabet would let a
// token be altered without changing what it decodes to.
#ifndef SFS_COMMON_BASE64URL_H_
#define SFS_COMMON_BASE64URL_H_

#include <string>

#include "absl/strings/string_view.h"

namespace sfs {

// Decodes `in` into *out and returns true only when `in` is the canonical
// unpadded base64url spelling of *out (what WebSafeBase64Escape produces).
// On false, *out is unspecified.
bool DecodeCanonicalBase64Url(absl::string_view in, std::string* out);

}  // namespace sfs

#endif  // SFS_COMMON_BASE64URL_H_
