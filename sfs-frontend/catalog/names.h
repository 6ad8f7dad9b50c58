// Rules for the names a user chooses (namespace names and usernames) and for
// the ids of signing keys and single-use grants.
//
// Names appear in URLs (/storage/<namespace>/...) and in API-token scopes
// (storage.<username>.files.<namespace>); the ids travel inside signed URLs.
// So the rules are strict and the same for every frontend replica and both
// catalog implementations.

#ifndef SFS_FRONTEND_CATALOG_NAMES_H_
#define SFS_FRONTEND_CATALOG_NAMES_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sfs::frontend {

// OK iff `name` matches [A-Za-z0-9._-]{1,63}, is not "." or "..", and is not
// a reserved route word (namespaces, files, download, upload, delete, status,
// sign, uploads, versions, copy, move, and v1 for the supabase dialect):
// those are the first path segments the HTTP API uses under /storage/, so a
// namespace with such a name could never be addressed.
// Otherwise InvalidArgument saying why.
absl::Status ValidateNamespaceName(absl::string_view name);

// OK iff `username` matches [A-Za-z0-9_-]{1,63}. No '.', because the scope
// grammar (auth/scopes.h) separates the username from what follows with '.'.
absl::Status ValidateUsername(absl::string_view username);

// OK iff `id` matches [A-Za-z0-9_-]{1,64}: the id of a key signed URLs are
// signed with (SigningKeyRecord in catalog.h).
absl::Status ValidateSigningKeyId(absl::string_view id);

// OK iff `id` matches [A-Za-z0-9._:-]{1,128}: the id of a single-use grant
// (Catalog::ClaimSingleUse), the alphabet of transfer ids.
absl::Status ValidateSingleUseId(absl::string_view id);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_CATALOG_NAMES_H_
