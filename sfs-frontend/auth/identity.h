// Who is calling: the result of authentication, the input of authorization.
#ifndef SFS_FRONTEND_AUTH_IDENTITY_H_
#define SFS_FRONTEND_AUTH_IDENTITY_H_

#include <optional>
#include <string>
#include <vector>

#include "sfs-frontend/auth/scopes.h"

namespace sfs::frontend {

struct Identity {
  std::string user;  // empty: anonymous
  bool is_admin = false;
  // Set for API tokens and for JWTs that carry a "scopes" claim: the caller
  // may then do only what these grant, whoever `user` is.
  std::optional<std::vector<Scope>> scopes;

  bool anonymous() const { return user.empty(); }
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_AUTH_IDENTITY_H_
