// Routes of API.md "Accounts": password login into a session cookie,
// logout, and who the session is. Sessions are HS256 JWTs minted with the
// frontend's shared secret, so any replica with the same secret accepts
// them and no session state is kept. And the administrators' routes: the
// rotation of the signing keys of signed URLs (POST
// /api/signing-keys/rotate), and users and API tokens (/api/users,
// /api/tokens), so accounts change while the frontends run.
#ifndef SFS_FRONTEND_SERVER_ACCOUNT_HANDLERS_H_
#define SFS_FRONTEND_SERVER_ACCOUNT_HANDLERS_H_

#include "absl/time/time.h"
#include "sfs-frontend/auth/accounts.h"
#include "sfs-frontend/auth/login_throttle.h"
#include "sfs-frontend/server/frontend_services.h"
#include "sfs-frontend/server/router.h"

namespace sfs::frontend {

class AccountHandlers {
 public:
  // `services` must outlive this.
  AccountHandlers(const FrontendServices* services,
                  absl::Duration session_lifetime)
      : services_(services),
        session_lifetime_(session_lifetime),
        accounts_(services->catalog) {}

  void Register(Router& router);

 private:
  absl::Status Login(const HttpCall& call);
  // One login attempt of `username`, answered into `call`.
  absl::Status Attempt(const HttpCall& call, const std::string& username,
                       const std::string& password);
  absl::Status Logout(const HttpCall& call);
  absl::Status Session(const HttpCall& call);
  absl::Status RotateSigningKeys(const HttpCall& call);
  absl::Status ListAudit(const HttpCall& call);
  absl::Status ListUsers(const HttpCall& call);
  absl::Status AddUser(const HttpCall& call);
  absl::Status DeleteUser(const HttpCall& call, const std::string& username);
  absl::Status CreateApiToken(const HttpCall& call);
  // Authenticates an unscoped administrator, for `what`; else the error,
  // audited as `action` (unless empty).
  absl::StatusOr<Identity> Administrator(const HttpCall& call,
                                         absl::string_view what,
                                         const std::string& action);

  const FrontendServices* const services_;
  const absl::Duration session_lifetime_;
  LoginThrottle throttle_;
  Accounts accounts_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_ACCOUNT_HANDLERS_H_
