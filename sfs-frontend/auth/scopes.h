// API-token scopes: what a token may do on whose storage.
//
// Grammar of one scope string (a token carries a list of them):
//
//   scope     = "storage." owner "." kind [ "." namespace ] ":" actions
//   owner     = a username (catalog/names.h: [A-Za-z0-9_-]{1,63}, no '.')
//   kind      = "files" | "namespaces"
//   namespace = a namespace name (catalog/names.h); omitted means every
//               namespace of `owner`
//   actions   = action *( "," action )
//   action    = "read" | "create" | "update" | "delete"
//
// Examples:
//   storage.alice.files.photos:read,create  read and upload files in
//                                           alice's namespace "photos"
//   storage.alice.files:read                read files in all of alice's
//                                           namespaces
//   storage.alice.namespaces:create         create namespaces owned by alice
//   storage.alice.namespaces.photos:update  change the policies of "photos"
//
// Since the owner cannot contain '.', the owner ends at the first '.' after
// "storage." and the namespace (which may contain '.') is the rest after kind.

#ifndef SFS_FRONTEND_AUTH_SCOPES_H_
#define SFS_FRONTEND_AUTH_SCOPES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sfs::frontend {

enum class ScopeKind { kFiles, kNamespaces };

// Bit values, so a Scope holds a set of actions in one integer.
enum class ScopeAction : uint8_t {
  kRead = 1,
  kCreate = 2,
  kUpdate = 4,
  kDelete = 8,
};

struct Scope {
  std::string owner;
  ScopeKind kind = ScopeKind::kFiles;
  std::string ns;       // empty: every namespace of `owner`
  uint8_t actions = 0;  // bitwise OR of ScopeAction values

  bool operator==(const Scope& other) const;
};

// InvalidArgument, naming the offending part, if `text` does not follow the
// grammar above (this includes repeated actions).
absl::StatusOr<Scope> ParseScope(absl::string_view text);

// All of `texts` parsed; the first error fails the whole list, so a token is
// never used with only some of its scopes.
absl::StatusOr<std::vector<Scope>> ParseScopes(
    const std::vector<std::string>& texts);

// The canonical text of `scope`; ParseScope(FormatScope(s)) == s. Actions are
// listed in the order read, create, update, delete.
std::string FormatScope(const Scope& scope);

// True iff some scope in `scopes` grants `action` on `kind` in namespace `ns`
// owned by `owner`. Pass an empty `ns` for actions that concern no single
// namespace (creating or listing namespaces); only an all-namespaces scope
// grants those.
bool Allows(const std::vector<Scope>& scopes, absl::string_view owner,
            ScopeKind kind, absl::string_view ns, ScopeAction action);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_AUTH_SCOPES_H_
