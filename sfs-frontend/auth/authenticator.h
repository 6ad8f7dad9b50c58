// Turns the credentials a request presents into an Identity.
//
// A request may carry one credential, looked for in this order: the
// `Authorization: Bearer` header, the session cookie set by /api/login, the
// `?token=` query parameter (links opened by an iframe). The credential is
// either an API-token secret ("sfs_..."; looked up by its hash in the
// catalog) or a JWT checked by the configured verifier.
//
// No credential at all is the anonymous identity; a credential that does not
// check out is Unauthenticated, never silently anonymous, so a client with an
// expired session learns so instead of seeing a smaller world. Sessions
// this service minted are also checked against the catalog
// (SessionValidator): logged out, user deleted or demoted ends them.
//
// Thread-safety: Authenticate may be called concurrently.
#ifndef SFS_FRONTEND_AUTH_AUTHENTICATOR_H_
#define SFS_FRONTEND_AUTH_AUTHENTICATOR_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sfs-frontend/auth/identity.h"
#include "sfs-frontend/auth/jwt.h"
#include "sfs-frontend/auth/session_validator.h"
#include "sfs-frontend/catalog/catalog.h"

namespace sfs::frontend {

// The cookie /api/login sets.
inline constexpr char kSessionCookieName[] = "sfs_session";

// The raw credential carriers of one request, as received.
struct PresentedCredentials {
  std::string authorization;  // the Authorization header
  std::string cookie;         // the Cookie header
  std::string token_param;    // the `token` query parameter
};

class Authenticator {
 public:
  // `catalog` must outlive this. Without a verifier every JWT is refused
  // (API tokens still work).
  Authenticator(Catalog* catalog, std::optional<JwtVerifier> verifier)
      : catalog_(catalog), verifier_(std::move(verifier)), sessions_(catalog) {}

  absl::StatusOr<Identity> Authenticate(const PresentedCredentials& presented,
                                        absl::Time now) const;

  // The identity a single credential (JWT or API-token secret) stands for.
  absl::StatusOr<Identity> AuthenticateCredential(absl::string_view credential,
                                                  absl::Time now) const;

  // Logout: ends the session the presented credential is, if it is a valid
  // session this service minted; OK when there is nothing to end.
  absl::Status EndSession(const PresentedCredentials& presented,
                          absl::Time now) const;

 private:
  absl::StatusOr<Identity> FromApiToken(absl::string_view secret,
                                        absl::Time now) const;
  absl::StatusOr<Identity> FromJwt(absl::string_view jwt, absl::Time now) const;

  Catalog* const catalog_;
  const std::optional<JwtVerifier> verifier_;
  mutable SessionValidator sessions_;
};

// The value of cookie `name` in a Cookie header; empty if absent.
std::string CookieValue(absl::string_view cookie_header,
                        absl::string_view name);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_AUTH_AUTHENTICATOR_H_
