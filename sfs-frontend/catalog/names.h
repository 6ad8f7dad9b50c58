// Rules for the names a user chooses: namespace names and usernames.
//
// Both appear in URLs (/storage/<namespace>/...) and in API-token scopes
// (storage.<username>.files.<namespace>), so the rules are strict and the same
// for every frontend replica and both catalog implementations.

#ifndef SFS_FRONTEND_CATALOG_NAMES_H_
#define SFS_FRONTEND_CATALOG_NAMES_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sfs::frontend {

// OK iff `name` matches [A-Za-z0-9._-]{1,63}, is not "." or "..", and is not
// a reserved route word (namespaces, files, download, upload, delete, status,
// sign, uploads): those are the first path segments the HTTP API uses under
// /storage/, so a namespace with such a name could never be addressed.
// Otherwise InvalidArgument saying why.
absl::Status ValidateNamespaceName(absl::string_view name);

// OK iff `username` matches [A-Za-z0-9_-]{1,63}. No '.', because the scope
// grammar (auth/scopes.h) separates the username from what follows with '.'.
absl::Status ValidateUsername(absl::string_view username);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_CATALOG_NAMES_H_
