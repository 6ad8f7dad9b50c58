// Whether a session this service minted (a JWT with "iss" kSessionIssuer:
// /api/login) still stands. A signature alone cannot
// say: the session may have been logged out, its user deleted, or an
// administrator's rights taken away since it was signed. Each of those ends
// the session on every replica within `recheck`, the time a verdict is
// cached per session.
//
// Logging out records the session id in the catalog as a used single-use
// grant ("session-<jti>") until the token expires (Catalog::ClaimSingleUse),
// which every replica sees. Tokens from other issuers (RS256/ES256 or a
// shared HS256 secret) name users this catalog does not hold and are not
// checked.
//
// Thread-safety: every method may be called concurrently. `catalog` must
// outlive the validator.
#ifndef SFS_FRONTEND_AUTH_SESSION_VALIDATOR_H_
#define SFS_FRONTEND_AUTH_SESSION_VALIDATOR_H_

#include <cstddef>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sfs-frontend/auth/jwt.h"
#include "sfs-frontend/catalog/catalog.h"

namespace sfs::frontend {

class SessionValidator {
 public:
  explicit SessionValidator(Catalog* catalog,
                            absl::Duration recheck = absl::Seconds(5),
                            size_t max_cached = 10000);

  // OK when `claims` are not ours, or our session still stands at `now`;
  // Unauthenticated saying why it ended. Catalog errors pass through.
  absl::Status Check(const JwtClaims& claims, absl::Time now);

  // Ends the session `claims` belong to, on every replica (here at once).
  // OK for tokens that are not our sessions (nothing to end).
  absl::Status Revoke(const JwtClaims& claims, absl::Time now);

 private:
  struct Verdict {
    absl::Status status;
    absl::Time checked_at;
  };
  absl::Status Evaluate(const JwtClaims& claims, absl::Time now);

  Catalog* const catalog_;
  const absl::Duration recheck_;
  const size_t max_cached_;
  absl::Mutex mu_;
  // By session id; dropped whole when full (a burst of rechecks, no more).
  std::map<std::string, Verdict> verdicts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_AUTH_SESSION_VALIDATOR_H_
