// Accounts changes the users and API tokens of a catalog: the one place
// the rules of an account change live, for the administrators' HTTP API
// (server/account_handlers.h) and the CLI's offline mode alike. Who may
// change accounts is the caller's business (administrators only, over
// HTTP); these rules are about what a change may be.
//
// Thread-safe as the catalog is. The catalog must outlive this object.
#ifndef SFS_FRONTEND_AUTH_ACCOUNTS_H_
#define SFS_FRONTEND_AUTH_ACCOUNTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sfs-frontend/catalog/catalog.h"

namespace sfs::frontend {

class Accounts {
 public:
  explicit Accounts(Catalog* catalog) : catalog_(catalog) {}

  // Adds `username` with `password` (hashed here; never stored).
  // InvalidArgument for an empty password, AlreadyExists for a taken name.
  absl::Status AddUser(const std::string& username, const std::string& password,
                       bool admin);
  // Deletes the user; its sessions and API tokens stop working (within
  // seconds on every replica, auth/session_validator.h).
  absl::Status DeleteUser(const std::string& username);
  absl::StatusOr<std::vector<UserRecord>> ListUsers();

  struct NewApiToken {
    std::string id;      // shown in listings and the audit log
    std::string secret;  // the bearer token; shown once, never stored
    std::vector<std::string> scopes;
  };
  // An API token for `username` holding `scopes` (auth/scopes.h grammar),
  // which may only name the user's own namespaces unless the user is an
  // administrator; it expires after `ttl` (zero: never).
  absl::StatusOr<NewApiToken> CreateApiToken(
      const std::string& username, const std::vector<std::string>& scopes,
      absl::Duration ttl);

 private:
  Catalog* const catalog_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_AUTH_ACCOUNTS_H_
