#include "sfs-frontend/auth/session_validator.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "sfs-frontend/catalog/names.h"

namespace sfs::frontend {
namespace {

// The record that ends session `id`.
std::string RevocationId(const std::string& id) {
  return absl::StrCat("session-", id);
}

// How long a session without "exp" must stay revoked: for good.
constexpr absl::Duration kForever = absl::Hours(24 * 365 * 100);

}  // namespace

SessionValidator::SessionValidator(Catalog* catalog, absl::Duration recheck,
                                   size_t max_cached)
    : catalog_(catalog), recheck_(recheck), max_cached_(max_cached) {}

absl::Status SessionValidator::Check(const JwtClaims& claims, absl::Time now) {
  if (claims.issuer != kSessionIssuer) return absl::OkStatus();
  if (!ValidateSingleUseId(RevocationId(claims.id)).ok()) {
    return absl::UnauthenticatedError("session token has no valid id (jti)");
  }
  {
    absl::MutexLock lock(&mu_);
    auto it = verdicts_.find(claims.id);
    if (it != verdicts_.end() && now - it->second.checked_at < recheck_) {
      return it->second.status;
    }
  }
  absl::Status status = Evaluate(claims, now);
  // Catalog trouble is not a verdict on the session: not cached.
  if (!status.ok() && !absl::IsUnauthenticated(status)) return status;
  absl::MutexLock lock(&mu_);
  if (verdicts_.size() >= max_cached_) verdicts_.clear();
  verdicts_[claims.id] = Verdict{status, now};
  return status;
}

absl::Status SessionValidator::Evaluate(const JwtClaims& claims,
                                        absl::Time now) {
  ASSIGN_OR_RETURN(bool revoked,
                   catalog_->SingleUseClaimed(RevocationId(claims.id),
                                              absl::ToUnixMicros(now)));
  if (revoked) return absl::UnauthenticatedError("session ended (logged out)");
  absl::StatusOr<UserRecord> user = catalog_->GetUser(claims.subject);
  if (absl::IsNotFound(user.status()) ||
      absl::IsInvalidArgument(user.status())) {
    return absl::UnauthenticatedError(
        "session ended: the user no longer exists");
  }
  RETURN_IF_ERROR(user.status());
  if (claims.is_admin && !user->is_admin) {
    return absl::UnauthenticatedError(
        "session ended: the user is no longer an administrator");
  }
  return absl::OkStatus();
}

absl::Status SessionValidator::Revoke(const JwtClaims& claims, absl::Time now) {
  if (claims.issuer != kSessionIssuer ||
      !ValidateSingleUseId(RevocationId(claims.id)).ok()) {
    return absl::OkStatus();
  }
  const absl::Time until = claims.expires_at != 0
                               ? absl::FromUnixSeconds(claims.expires_at)
                               : now + kForever;
  absl::Status claimed = catalog_->ClaimSingleUse(RevocationId(claims.id),
                                                  absl::ToUnixMicros(until),
                                                  absl::ToUnixMicros(now));
  // Logged out already: the same outcome.
  if (!claimed.ok() && !absl::IsAlreadyExists(claimed)) return claimed;
  absl::MutexLock lock(&mu_);
  verdicts_[claims.id] =
      Verdict{absl::UnauthenticatedError("session ended (logged out)"), now};
  return absl::OkStatus();
}

}  // namespace sfs::frontend
