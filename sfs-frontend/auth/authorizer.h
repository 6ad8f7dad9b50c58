// Who may do what to a namespace and its files (API.md "Ownership").
//
//   read files     public namespace: anyone. Private: the owner, an admin,
//                  or a token scoped files:read for it.
//   write files    (create, delete) and change or delete the namespace: the
//                  owner, an admin, or a token scoped for that action.
//   list           a namespace is listed to its owner, to tokens scoped for
//                  it and to admins; being public never lists it to others.
//
// A caller with scopes (API token, scoped JWT) is held to its scopes even
// where its user would have more rights.
//
// Denials are Unauthenticated for the anonymous caller (sign in and retry)
// and PermissionDenied for everyone else.
#ifndef SFS_FRONTEND_AUTH_AUTHORIZER_H_
#define SFS_FRONTEND_AUTH_AUTHORIZER_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "sfs-frontend/auth/identity.h"
#include "sfs-frontend/auth/scopes.h"
#include "sfs-frontend/catalog/catalog.h"

namespace sfs::frontend {

absl::Status CheckReadFiles(const Identity& caller, const NamespaceRecord& ns);

// `action` is kCreate (upload) or kDelete.
absl::Status CheckWriteFiles(const Identity& caller, const NamespaceRecord& ns,
                             ScopeAction action);

// `action` is kUpdate or kDelete.
absl::Status CheckChangeNamespace(const Identity& caller,
                                  const NamespaceRecord& ns,
                                  ScopeAction action);

// Creating a namespace owned by the caller.
absl::Status CheckCreateNamespace(const Identity& caller);

// OK for an administrator without scopes (an admin JWT, service_role);
// 401 for an anonymous caller, 403 "only administrators <what>" otherwise.
absl::Status CheckUnscopedAdmin(const Identity& caller, absl::string_view what);

bool ListsNamespace(const Identity& caller, const NamespaceRecord& ns);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_AUTH_AUTHORIZER_H_
