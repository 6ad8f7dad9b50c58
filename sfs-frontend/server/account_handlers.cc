#include "sfs-frontend/server/account_handlers.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "sfs-frontend/auth/authorizer.h"
#include "sfs-frontend/auth/crypto.h"
#include "sfs-frontend/auth/jwt.h"
#include "sfs-frontend/auth/password.h"
#include "sfs-frontend/server/audit_log.h"
#include "sfs-frontend/server/http_error.h"

namespace sfs::frontend {
namespace {

using nlohmann::json;

std::string SessionCookie(const std::string& value, absl::Duration max_age) {
  return absl::StrCat(kSessionCookieName, "=", value,
                      "; Path=/; HttpOnly; SameSite=Lax; Max-Age=",
                      absl::ToInt64Seconds(max_age));
}

// Who is signed in, as the original service's clients read it. Users have
// no display name or numeric id of their own: both are the username.
json SessionJson(const std::string& username, bool is_admin) {
  return {{"username", username},
          {"display_name", username},
          {"user_id", username},
          {"is_admin", is_admin}};
}

// A hash of a random password: what an attempt for an unknown user is
// verified against, so that it costs what a real one does.
const std::string& UnknownUserHash() {
  static const std::string* hash = [] {
    auto made = HashPassword(absl::BytesToHexString(RandomBytes(16)));
    return new std::string(made.ok() ? *made : "");
  }();
  return *hash;
}

}  // namespace

void AccountHandlers::Register(Router& router) {
  router.Add({"POST"}, "/api/login", "login",
             [this](const HttpCall& call) { return Login(call); });
  router.Add({"POST"}, "/api/logout", "logout",
             [this](const HttpCall& call) { return Logout(call); });
  router.Add({"GET"}, "/api/session", "session",
             [this](const HttpCall& call) { return Session(call); });
  router.Add({"GET"}, "/api/audit", "audit",
             [this](const HttpCall& call) { return ListAudit(call); });
  router.Add({"POST"}, "/api/signing-keys/rotate", "rotate_signing_keys",
             [this](const HttpCall& call) { return RotateSigningKeys(call); });
  router.Add(
      {"GET", "POST"}, "/api/users", "users", [this](const HttpCall& call) {
        return call.req.method == "POST" ? AddUser(call) : ListUsers(call);
      });
  router.Add(
      {"DELETE"}, "/api/users/([^/]+)", "user",
      [this](const HttpCall& call) { return DeleteUser(call, call.match[1]); });
  router.Add({"POST"}, "/api/tokens", "api_tokens",
             [this](const HttpCall& call) { return CreateApiToken(call); });
}

absl::StatusOr<Identity> AccountHandlers::Administrator(
    const HttpCall& call, absl::string_view what, const std::string& action) {
  absl::StatusOr<Identity> caller = Authenticate(*services_, call);
  absl::Status allowed =
      caller.ok() ? CheckUnscopedAdmin(*caller, what) : caller.status();
  if (!allowed.ok()) {
    // A refused account change is a security event too (the body, which
    // would name its target, is never read).
    if (!action.empty()) {
      services_->audit->Record(call, AuditActor(caller), action, call.req.path,
                               allowed);
    }
    return allowed;
  }
  return caller;
}

absl::Status AccountHandlers::ListUsers(const HttpCall& call) {
  RETURN_IF_ERROR(Administrator(call, "list users", "").status());
  ASSIGN_OR_RETURN(std::vector<UserRecord> users, accounts_.ListUsers());
  json out = json::array();
  for (const UserRecord& user : users) {
    out.push_back({{"username", user.username},
                   {"is_admin", user.is_admin},
                   {"created_at", UnixSeconds(user.created_at)}});
  }
  WriteJson(call, 200, json{{"users", out}}.dump());
  return absl::OkStatus();
}

absl::Status AccountHandlers::AddUser(const HttpCall& call) {
  ASSIGN_OR_RETURN(Identity caller,
                   Administrator(call, "add users", "user.add"));
  ASSIGN_OR_RETURN(json body, ReadJsonObject(call));
  if (!body.value("username", json()).is_string() ||
      !body.value("password", json()).is_string() ||
      !body.value("is_admin", json(false)).is_boolean()) {
    return absl::InvalidArgumentError(
        "body must be {\"username\": ..., \"password\": ..., "
        "\"is_admin\": false}");
  }
  const std::string username = body["username"].get<std::string>();
  const bool admin = body.value("is_admin", false);
  absl::Status added =
      accounts_.AddUser(username, body["password"].get<std::string>(), admin);
  services_->audit->Record(call, caller.user,
                           admin ? "user.add (admin)" : "user.add", username,
                           added);
  RETURN_IF_ERROR(added);
  WriteJson(call, 201,
            json{{"username", username}, {"is_admin", admin}}.dump());
  return absl::OkStatus();
}

absl::Status AccountHandlers::DeleteUser(const HttpCall& call,
                                         const std::string& username) {
  ASSIGN_OR_RETURN(Identity caller,
                   Administrator(call, "delete users", "user.delete"));
  absl::Status deleted = accounts_.DeleteUser(username);
  services_->audit->Record(call, caller.user, "user.delete", username, deleted);
  RETURN_IF_ERROR(deleted);
  WriteJson(call, 200, json{{"status", "deleted"}}.dump());
  return absl::OkStatus();
}

absl::Status AccountHandlers::CreateApiToken(const HttpCall& call) {
  ASSIGN_OR_RETURN(Identity caller,
                   Administrator(call, "create API tokens", "token.create"));
  ASSIGN_OR_RETURN(json body, ReadJsonObject(call));
  const json scopes = body.value("scopes", json());
  bool valid = body.value("username", json()).is_string() &&
               scopes.is_array() &&
               body.value("expires_in", json(0)).is_number_integer();
  for (const json& scope : scopes) valid = valid && scope.is_string();
  if (!valid) {
    return absl::InvalidArgumentError(
        "body must be {\"username\": ..., \"scopes\": [...], "
        "\"expires_in\": seconds (0: never)}");
  }
  const std::string username = body["username"].get<std::string>();
  absl::StatusOr<Accounts::NewApiToken> token = accounts_.CreateApiToken(
      username, scopes.get<std::vector<std::string>>(),
      absl::Seconds(body.value("expires_in", int64_t{0})));
  services_->audit->Record(call, caller.user, "token.create",
                           token.ok() ? token->id : username, token.status());
  RETURN_IF_ERROR(token.status());
  WriteJson(call, 201,
            json{{"id", token->id},
                 {"username", username},
                 {"scopes", token->scopes},
                 {"token", token->secret}}
                .dump());
  return absl::OkStatus();
}

absl::Status AccountHandlers::Login(const HttpCall& call) {
  if (services_->jwt_secret.empty()) {
    return absl::UnimplementedError(
        "this frontend verifies tokens from another issuer and has no login");
  }
  ASSIGN_OR_RETURN(std::string text, ReadSmallBody(call));
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.value("username", json()).is_string() ||
      !body.value("password", json()).is_string()) {
    return absl::InvalidArgumentError(
        "body must be {\"username\": ..., \"password\": ...}");
  }
  const std::string username = body["username"].get<std::string>();
  // Every attempt is audited, by the username tried.
  absl::Status attempt =
      Attempt(call, username, body["password"].get<std::string>());
  services_->audit->Record(call, username, "login", username, attempt);
  return attempt;
}

absl::Status AccountHandlers::Attempt(const HttpCall& call,
                                      const std::string& username,
                                      const std::string& password) {
  absl::Duration retry_after;
  auto permit = throttle_.Admit(call.req.remote_addr, username, absl::Now(),
                                &retry_after);
  if (!permit.ok()) {
    call.res.set_header("Retry-After",
                        absl::StrCat(absl::ToInt64Seconds(
                            absl::Ceil(retry_after, absl::Seconds(1)))));
    return TooManyRequestsError(permit.status().message());
  }
  auto user = services_->catalog->GetUser(username);
  if (!user.ok() && !absl::IsNotFound(user.status())) return user.status();
  // An unknown user costs the same hash as a known one, and both failures
  // get one message, so logins reveal neither who exists nor by timing.
  const bool verified =
      VerifyPassword(password,
                     user.ok() ? user->password_hash : UnknownUserHash()) &&
      user.ok();
  if (!verified) {
    (*permit)->Failed(absl::Now());
    return absl::UnauthenticatedError("wrong username or password");
  }
  absl::Time now = absl::Now();
  JwtClaims claims;
  claims.subject = user->username;
  claims.is_admin = user->is_admin;
  claims.expires_at = absl::ToUnixSeconds(now + session_lifetime_);
  // Checked against the catalog on every use (SessionValidator).
  claims.issuer = kSessionIssuer;
  ASSIGN_OR_RETURN(std::string token,
                   MintHs256Jwt(claims, services_->jwt_secret, now));
  call.res.set_header("Set-Cookie", SessionCookie(token, session_lifetime_));
  json out = SessionJson(user->username, user->is_admin);
  out["token"] = token;
  WriteJson(call, 200, out.dump());
  return absl::OkStatus();
}

absl::Status AccountHandlers::Logout(const HttpCall& call) {
  // Audited here, by who the session was before it ended.
  const std::string actor = AuditActor(Authenticate(*services_, call));
  // The session ends on every replica, not only in this browser.
  absl::Status ended =
      services_->authenticator->EndSession(Presented(call), absl::Now());
  services_->audit->Record(call, actor, "logout", actor, ended);
  RETURN_IF_ERROR(ended);
  call.res.set_header("Set-Cookie", SessionCookie("", absl::ZeroDuration()));
  WriteJson(call, 200, json{{"status", "logged_out"}}.dump());
  return absl::OkStatus();
}

absl::Status AccountHandlers::ListAudit(const HttpCall& call) {
  ASSIGN_OR_RETURN(Identity caller, Authenticate(*services_, call));
  RETURN_IF_ERROR(CheckUnscopedAdmin(caller, "read the audit log"));
  // Unix seconds, as every time the API takes.
  auto seconds = [&](const char* name,
                     int64_t fallback) -> absl::StatusOr<int64_t> {
    if (!call.req.has_param(name)) return fallback;
    int64_t value = 0;
    if (!absl::SimpleAtoi(call.req.get_param_value(name), &value) ||
        value < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " must be unix seconds"));
    }
    return value;
  };
  ASSIGN_OR_RETURN(int64_t since, seconds("since", 0));
  ASSIGN_OR_RETURN(int64_t before,
                   seconds("before", absl::ToUnixSeconds(absl::Now()) + 1));
  ASSIGN_OR_RETURN(int64_t limit, seconds("limit", 100));
  if (limit < 1 || limit > 1000) {
    return absl::InvalidArgumentError("limit must be 1 to 1000");
  }
  ASSIGN_OR_RETURN(std::vector<AuditEvent> events,
                   services_->catalog->ListAudit(
                       absl::ToUnixMicros(absl::FromUnixSeconds(since)),
                       absl::ToUnixMicros(absl::FromUnixSeconds(before)),
                       static_cast<size_t>(limit)));
  json out = json::array();
  for (const AuditEvent& e : events) {
    out.push_back({{"at", UnixSeconds(e.at)},
                   {"at_us", e.at},
                   {"actor", e.actor},
                   {"action", e.action},
                   {"target", e.target},
                   {"outcome", e.outcome},
                   {"address", e.address}});
  }
  WriteJson(call, 200, json{{"events", out}}.dump());
  return absl::OkStatus();
}

absl::Status AccountHandlers::RotateSigningKeys(const HttpCall& call) {
  ASSIGN_OR_RETURN(Identity caller, Authenticate(*services_, call));
  ASSIGN_OR_RETURN(std::string key_id,
                   services_->files->RotateSigningKeys(caller));
  WriteJson(call, 200, json{{"status", "rotated"}, {"key_id", key_id}}.dump());
  return absl::OkStatus();
}

absl::Status AccountHandlers::Session(const HttpCall& call) {
  ASSIGN_OR_RETURN(Identity caller, Authenticate(*services_, call));
  if (caller.anonymous()) return absl::UnauthenticatedError("not signed in");
  WriteJson(call, 200,
            SessionJson(caller.user, caller.is_admin)
                .dump(-1, ' ', false, json::error_handler_t::replace));
  return absl::OkStatus();
}

}  // namespace sfs::frontend
