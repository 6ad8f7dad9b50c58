#include "sfs-frontend/auth/authenticator.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "sfs-frontend/auth/api_token_secret.h"

namespace sfs::frontend {
namespace {

constexpr char kApiTokenPrefix[] = "sfs_";

// The one credential a request presents, by precedence; empty for none.
absl::StatusOr<std::string> ChosenCredential(
    const PresentedCredentials& presented) {
  if (!presented.authorization.empty()) {
    absl::string_view value = presented.authorization;
    if (!absl::ConsumePrefix(&value, "Bearer ") || value.empty()) {
      return absl::UnauthenticatedError(
          "Authorization must be \"Bearer <token>\"");
    }
    return std::string(absl::StripAsciiWhitespace(value));
  }
  std::string session = CookieValue(presented.cookie, kSessionCookieName);
  if (!session.empty()) return session;
  return presented.token_param;
}

}  // namespace

std::string CookieValue(absl::string_view cookie_header,
                        absl::string_view name) {
  for (absl::string_view pair : absl::StrSplit(cookie_header, ';')) {
    pair = absl::StripAsciiWhitespace(pair);
    if (absl::ConsumePrefix(&pair, name) && absl::ConsumePrefix(&pair, "=")) {
      return std::string(pair);
    }
  }
  return "";
}

absl::StatusOr<Identity> Authenticator::Authenticate(
    const PresentedCredentials& presented, absl::Time now) const {
  absl::StatusOr<std::string> credential = ChosenCredential(presented);
  if (!credential.ok()) return credential.status();
  if (credential->empty()) return Identity{};
  return AuthenticateCredential(*credential, now);
}

absl::Status Authenticator::EndSession(const PresentedCredentials& presented,
                                       absl::Time now) const {
  absl::StatusOr<std::string> credential = ChosenCredential(presented);
  if (!credential.ok() || credential->empty() ||
      absl::StartsWith(*credential, kApiTokenPrefix) ||
      !verifier_.has_value()) {
    return absl::OkStatus();
  }
  absl::StatusOr<JwtClaims> claims = verifier_->Verify(*credential, now);
  // A token that does not verify is no session to end.
  if (!claims.ok()) return absl::OkStatus();
  return sessions_.Revoke(*claims, now);
}

absl::StatusOr<Identity> Authenticator::AuthenticateCredential(
    absl::string_view credential, absl::Time now) const {
  if (absl::StartsWith(credential, kApiTokenPrefix)) {
    return FromApiToken(credential, now);
  }
  return FromJwt(credential, now);
}

absl::StatusOr<Identity> Authenticator::FromApiToken(absl::string_view secret,
                                                     absl::Time now) const {
  auto token = catalog_->FindApiTokenBySecretHash(ApiTokenSecretHash(secret));
  if (absl::IsNotFound(token.status())) {
    return absl::UnauthenticatedError("unknown API token");
  }
  if (!token.ok()) return token.status();
  if (token->expires_at != 0 && absl::ToUnixMicros(now) >= token->expires_at) {
    return absl::UnauthenticatedError("API token expired");
  }
  auto scopes = ParseScopes(token->scopes);
  if (!scopes.ok()) {
    return absl::UnauthenticatedError("API token has malformed scopes");
  }
  return Identity{token->username, false, std::move(*scopes)};
}

absl::StatusOr<Identity> Authenticator::FromJwt(absl::string_view jwt,
                                                absl::Time now) const {
  if (!verifier_.has_value()) {
    return absl::UnauthenticatedError(
        "this frontend has no JWT key configured");
  }
  auto claims = verifier_->Verify(jwt, now);
  if (!claims.ok()) return claims.status();
  if (absl::Status standing = sessions_.Check(*claims, now); !standing.ok()) {
    return standing;
  }
  // Supabase's project keys: the anon key is nobody in particular, the
  // service key the service itself (what it creates belongs to no user).
  if (claims->role == JwtRole::kAnon) return Identity();
  if (claims->role == JwtRole::kServiceRole) {
    return Identity{kSystemOwner, true, std::nullopt};
  }
  if (claims->subject.empty()) {
    return absl::UnauthenticatedError("token names no subject");
  }
  Identity identity{claims->subject, claims->is_admin, std::nullopt};
  if (!claims->scopes.empty()) {
    auto scopes = ParseScopes(claims->scopes);
    if (!scopes.ok()) {
      return absl::UnauthenticatedError("token has malformed scopes");
    }
    identity.scopes = std::move(*scopes);
  }
  return identity;
}

}  // namespace sfs::frontend
