#include "sfs-frontend/auth/accounts.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "sfs-frontend/auth/api_token_secret.h"
#include "sfs-frontend/auth/password.h"
#include "sfs-frontend/auth/scopes.h"

namespace sfs::frontend {

absl::Status Accounts::AddUser(const std::string& username,
                               const std::string& password, bool admin) {
  if (password.empty()) {
    return absl::InvalidArgumentError("a user needs a password");
  }
  ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  return catalog_->AddUser(
      {username, std::move(hash), admin, absl::ToUnixMicros(absl::Now())});
}

absl::Status Accounts::DeleteUser(const std::string& username) {
  return catalog_->DeleteUser(username);
}

absl::StatusOr<std::vector<UserRecord>> Accounts::ListUsers() {
  return catalog_->ListUsers();
}

absl::StatusOr<Accounts::NewApiToken> Accounts::CreateApiToken(
    const std::string& username, const std::vector<std::string>& scopes,
    absl::Duration ttl) {
  if (scopes.empty()) {
    return absl::InvalidArgumentError("an API token needs at least one scope");
  }
  if (ttl < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("a token's lifetime cannot be negative");
  }
  ASSIGN_OR_RETURN(std::vector<Scope> parsed, ParseScopes(scopes));
  ASSIGN_OR_RETURN(UserRecord holder, catalog_->GetUser(username));
  // The frontend honours a scope only within its holder's namespaces (an
  // admin's: any); refuse now rather than mint a token that cannot work.
  for (const Scope& scope : parsed) {
    if (!holder.is_admin && scope.owner != username) {
      return absl::InvalidArgumentError(
          absl::StrCat("a scope of ", username, "'s token may only name ",
                       username, "'s namespaces, not ", scope.owner, "'s"));
    }
  }
  const absl::Time now = absl::Now();
  NewApiToken token{absl::StrCat(username, "-", absl::ToUnixMicros(now)),
                    NewApiTokenSecret(), scopes};
  ApiTokenRecord record;
  record.id = token.id;
  record.username = username;
  record.scopes = scopes;
  record.secret_hash = ApiTokenSecretHash(token.secret);
  record.expires_at =
      ttl > absl::ZeroDuration() ? absl::ToUnixMicros(now + ttl) : 0;
  record.created_at = absl::ToUnixMicros(now);
  RETURN_IF_ERROR(catalog_->CreateApiToken(record));
  return token;
}

}  // namespace sfs::frontend
