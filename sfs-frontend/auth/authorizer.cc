#include "sfs-frontend/auth/authorizer.h"

#include "absl/strings/str_cat.h"

namespace sfs::frontend {
namespace {

bool Grants(const Identity& caller, const NamespaceRecord& ns, ScopeKind kind,
            ScopeAction action) {
  if (caller.anonymous()) return false;
  const bool owns = caller.is_admin || caller.user == ns.owner_id;
  // A scope narrows what its holder may do; it never reaches beyond the
  // holder's own namespaces (an admin's: any).
  if (caller.scopes.has_value()) {
    return owns && Allows(*caller.scopes, ns.owner_id, kind, ns.name, action);
  }
  return owns;
}

absl::Status Denied(const Identity& caller, absl::string_view what) {
  if (caller.anonymous()) {
    return absl::UnauthenticatedError(absl::StrCat("sign in to ", what));
  }
  return absl::PermissionDeniedError(absl::StrCat("not allowed to ", what));
}

}  // namespace

absl::Status CheckReadFiles(const Identity& caller, const NamespaceRecord& ns) {
  if (ns.visibility == Visibility::kPublic ||
      Grants(caller, ns, ScopeKind::kFiles, ScopeAction::kRead)) {
    return absl::OkStatus();
  }
  return Denied(caller, absl::StrCat("read namespace ", ns.name));
}

absl::Status CheckWriteFiles(const Identity& caller, const NamespaceRecord& ns,
                             ScopeAction action) {
  if (Grants(caller, ns, ScopeKind::kFiles, action)) return absl::OkStatus();
  return Denied(caller, absl::StrCat("change files in namespace ", ns.name));
}

absl::Status CheckChangeNamespace(const Identity& caller,
                                  const NamespaceRecord& ns,
                                  ScopeAction action) {
  if (Grants(caller, ns, ScopeKind::kNamespaces, action)) {
    return absl::OkStatus();
  }
  return Denied(caller, absl::StrCat("change namespace ", ns.name));
}

absl::Status CheckCreateNamespace(const Identity& caller) {
  if (caller.anonymous()) return Denied(caller, "create namespaces");
  if (caller.scopes.has_value() &&
      !Allows(*caller.scopes, caller.user, ScopeKind::kNamespaces, "",
              ScopeAction::kCreate)) {
    return Denied(caller, "create namespaces");
  }
  return absl::OkStatus();
}

bool ListsNamespace(const Identity& caller, const NamespaceRecord& ns) {
  return Grants(caller, ns, ScopeKind::kFiles, ScopeAction::kRead) ||
         Grants(caller, ns, ScopeKind::kNamespaces, ScopeAction::kRead);
}

absl::Status CheckUnscopedAdmin(const Identity& caller,
                                absl::string_view what) {
  if (caller.is_admin && !caller.scopes.has_value()) return absl::OkStatus();
  return caller.anonymous()
             ? absl::UnauthenticatedError("sign in as an administrator")
             : absl::PermissionDeniedError(
                   absl::StrCat("only administrators ", what));
}

}  // namespace sfs::frontend
