#include "cli/accounts.h"

#include <fcntl.h>
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/path.h"
#include "common/status_macros.h"
#include "sfs-frontend/auth/api_token_secret.h"
#include "sfs-frontend/auth/jwt.h"
#include "sfs-frontend/auth/password.h"
#include "sfs-frontend/auth/scopes.h"
#include "sfs-frontend/catalog/open_catalog.h"

ABSL_DECLARE_FLAG(std::string, data);
ABSL_FLAG(std::string, catalog, "",
          "user, token create: the frontend's catalog (default <--data>/"
          "frontend; a postgres:// URL for PostgreSQL)");
ABSL_FLAG(std::string, user, "", "token: the user the token speaks for");
ABSL_FLAG(bool, admin, false, "user add, token: administrator rights");
ABSL_FLAG(absl::Duration, ttl, absl::Hours(24),
          "token: lifetime (0 = API token that never expires)");
ABSL_FLAG(std::string, scopes, "",
          "token create: comma-separated scopes, e.g. "
          "storage.alice.files.photos:read,create");
ABSL_FLAG(absl::Duration, expires, absl::Minutes(15),
          "share: how long the link works");
ABSL_FLAG(bool, put, false, "share: an upload link instead of a download link");
ABSL_FLAG(std::string, http, "",
          "share: the frontend's address (default $SFS_HTTP or "
          "http://127.0.0.1:8080)");

namespace sfs {
namespace {

using frontend::Catalog;

constexpr char kSecretFileName[] = "jwt.secret";

int Fail(const std::string& what, const absl::Status& status) {
  fprintf(stderr, "sfs %s: %s\n", what.c_str(), status.ToString().c_str());
  return 1;
}

int Usage(const std::string& message) {
  fprintf(stderr, "sfs: %s (see `sfs --help`)\n", message.c_str());
  return 2;
}

absl::StatusOr<std::unique_ptr<Catalog>> OpenConfiguredCatalog() {
  std::string spec = absl::GetFlag(FLAGS_catalog);
  if (spec.empty()) spec = absl::GetFlag(FLAGS_data) + "/frontend";
  return frontend::OpenCatalog(spec);
}

std::string ReadPassword() {
  if (const char* env = getenv("SFS_PASSWORD"); env != nullptr && *env) {
    return env;
  }
  if (isatty(STDIN_FILENO)) fprintf(stderr, "password: ");
  std::string line;
  std::getline(std::cin, line);
  return line;
}

// Records an account change made here in the catalog's audit log, beside
// the frontend's events (actor "cli", no address). A failure to record is
// reported, not fatal: the change is made already.
void Audit(Catalog& catalog, const std::string& action,
           const std::string& target, const absl::Status& status) {
  absl::Status recorded = catalog.AppendAudit(
      {absl::ToUnixMicros(absl::Now()), "cli", action,
       absl::CHexEscape(target).substr(0, 256),
       status.ok() ? "ok" : absl::StatusCodeToString(status.code()), ""});
  if (!recorded.ok()) {
    fprintf(stderr, "sfs: warning: not audited: %s\n",
            recorded.ToString().c_str());
  }
}

int AddUser(Catalog& catalog, const std::string& name) {
  auto hash = frontend::HashPassword(ReadPassword());
  if (!hash.ok()) return Fail("user add", hash.status());
  absl::Status status =
      catalog.AddUser({name, *hash, absl::GetFlag(FLAGS_admin),
                       absl::ToUnixMicros(absl::Now())});
  Audit(catalog, absl::GetFlag(FLAGS_admin) ? "user.add (admin)" : "user.add",
        name, status);
  if (!status.ok()) return Fail("user add", status);
  printf("added %s%s\n", name.c_str(),
         absl::GetFlag(FLAGS_admin) ? " (admin)" : "");
  return 0;
}

int ListUsers(Catalog& catalog) {
  auto users = catalog.ListUsers();
  if (!users.ok()) return Fail("user list", users.status());
  for (const frontend::UserRecord& user : *users) {
    printf("%s%s\n", user.username.c_str(), user.is_admin ? "  admin" : "");
  }
  return 0;
}

absl::StatusOr<std::string> ReadSecret(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("no JWT secret at ", path, " (start `sfs up` once)"));
  }
  std::stringstream text;
  text << in.rdbuf();
  return std::string(absl::StripTrailingAsciiWhitespace(text.str()));
}

// A session JWT signed with <--data>/jwt.secret, expiring after `ttl`.
absl::StatusOr<std::string> MintLocalToken(const std::string& user, bool admin,
                                           absl::Duration ttl) {
  // The frontend refuses tokens without expiry: one that leaked could never
  // be withdrawn.
  if (ttl <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "a session token must expire: give --ttl a positive duration");
  }
  frontend::JwtClaims claims;
  claims.subject = user;
  claims.is_admin = admin;
  absl::Time now = absl::Now();
  claims.expires_at = absl::ToUnixSeconds(now + ttl);
  ASSIGN_OR_RETURN(std::string secret,
                   ReadSecret(absl::StrCat(absl::GetFlag(FLAGS_data), "/",
                                           kSecretFileName)));
  return frontend::MintHs256Jwt(claims, secret, now);
}

int MintSessionToken() {
  const std::string user = absl::GetFlag(FLAGS_user);
  if (user.empty()) return Usage("token needs --user");
  auto token = MintLocalToken(user, absl::GetFlag(FLAGS_admin),
                              absl::GetFlag(FLAGS_ttl));
  if (!token.ok()) return Fail("token", token.status());
  printf("%s\n", token->c_str());
  return 0;
}

int CreateApiToken() {
  const std::string user = absl::GetFlag(FLAGS_user);
  std::vector<std::string> scopes =
      absl::StrSplit(absl::GetFlag(FLAGS_scopes), ',', absl::SkipEmpty());
  if (user.empty() || scopes.empty()) {
    return Usage("token create needs --user and --scopes");
  }
  // Actions follow a ':' and are themselves comma-separated, so re-join the
  // pieces that do not start a new "storage." scope.
  std::vector<std::string> joined;
  for (const std::string& piece : scopes) {
    if (joined.empty() || absl::StartsWith(piece, "storage.")) {
      joined.push_back(piece);
    } else {
      absl::StrAppend(&joined.back(), ",", piece);
    }
  }
  auto parsed = frontend::ParseScopes(joined);
  if (!parsed.ok()) return Fail("token create", parsed.status());
  auto catalog = OpenConfiguredCatalog();
  if (!catalog.ok()) return Fail("token create", catalog.status());
  auto holder = (*catalog)->GetUser(user);
  if (!holder.ok()) return Fail("token create", holder.status());
  // The frontend honours a scope only within its holder's namespaces (an
  // admin's: any); say so now rather than mint a token that cannot work.
  for (const frontend::Scope& scope : *parsed) {
    if (!holder->is_admin && scope.owner != user) {
      return Fail("token create",
                  absl::InvalidArgumentError(absl::StrCat(
                      "a scope of ", user, "'s token may only name ", user,
                      "'s namespaces, not ", scope.owner, "'s")));
    }
  }
  const std::string secret = frontend::NewApiTokenSecret();
  absl::Time now = absl::Now();
  absl::Duration ttl = absl::GetFlag(FLAGS_ttl);
  frontend::ApiTokenRecord record;
  record.id = absl::StrCat(user, "-", absl::ToUnixMicros(now));
  record.username = user;
  record.scopes = joined;
  record.secret_hash = frontend::ApiTokenSecretHash(secret);
  record.expires_at =
      ttl > absl::ZeroDuration() ? absl::ToUnixMicros(now + ttl) : 0;
  record.created_at = absl::ToUnixMicros(now);
  absl::Status status = (*catalog)->CreateApiToken(record);
  Audit(**catalog, "token.create", record.id, status);
  if (!status.ok()) return Fail("token create", status);
  fprintf(stderr, "token %s for %s: %s\n(the secret is shown only now)\n",
          record.id.c_str(), user.c_str(), absl::StrJoin(joined, " ").c_str());
  printf("%s\n", secret.c_str());
  return 0;
}

}  // namespace

int UserCommand(const std::vector<std::string>& args) {
  if (args.empty()) return Usage("user takes add, del or list");
  auto catalog = OpenConfiguredCatalog();
  if (!catalog.ok()) return Fail("user", catalog.status());
  if (args[0] == "list" && args.size() == 1) return ListUsers(**catalog);
  if (args.size() != 2) return Usage("user add|del takes one name");
  if (args[0] == "add") return AddUser(**catalog, args[1]);
  if (args[0] == "del") {
    absl::Status status = (*catalog)->DeleteUser(args[1]);
    Audit(**catalog, "user.delete", args[1], status);
    return status.ok() ? 0 : Fail("user del", status);
  }
  return Usage("user takes add, del or list");
}

int TokenCommand(const std::vector<std::string>& args) {
  if (args.empty()) return MintSessionToken();
  if (args.size() == 1 && args[0] == "create") return CreateApiToken();
  return Usage("token takes no arguments, or `create`");
}

int ShareCommand(const std::vector<std::string>& args) {
  if (args.size() != 1 || !absl::StartsWith(args[0], "/")) {
    return Usage("share takes one /ns/path");
  }
  const size_t slash = args[0].find('/', 1);
  if (slash == std::string::npos || slash + 1 == args[0].size()) {
    return Usage("share takes one /ns/path");
  }
  std::string base = absl::GetFlag(FLAGS_http);
  if (const char* env = getenv("SFS_HTTP"); base.empty() && env != nullptr) {
    base = env;
  }
  if (base.empty()) base = "http://127.0.0.1:8080";
  // The caller's credential, or the local cluster's: a one-minute admin
  // session signed with its secret.
  std::string token;
  if (const char* env = getenv("SFS_TOKEN"); env != nullptr && *env) {
    token = env;
  } else {
    auto minted = MintLocalToken("admin", true, absl::Minutes(1));
    if (!minted.ok()) return Fail("share", minted.status());
    token = *minted;
  }
  nlohmann::json body = {
      {"method", absl::GetFlag(FLAGS_put) ? "PUT" : "GET"},
      {"expires_in", absl::ToInt64Seconds(absl::GetFlag(FLAGS_expires))}};
  httplib::Client client(base);
  client.set_bearer_token_auth(token);
  auto res = client.Post(absl::StrCat("/storage/sign", UrlPath(args[0])),
                         body.dump(), "application/json");
  if (!res) {
    return Fail("share", absl::UnavailableError(
                             absl::StrCat("cannot reach ", base, ": ",
                                          httplib::to_string(res.error()))));
  }
  nlohmann::json answer =
      nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  if (res->status != 200 || !answer.is_object() || !answer["url"].is_string()) {
    const std::string why = answer.is_object() && answer["error"].is_string()
                                ? answer["error"].get<std::string>()
                                : res->body;
    fprintf(stderr, "sfs share: %d %s\n", res->status, why.c_str());
    return 1;
  }
  printf("%s%s\n", base.c_str(), answer["url"].get<std::string>().c_str());
  return 0;
}

absl::StatusOr<std::string> EnsureJwtSecretFile(const std::string& data_dir) {
  const std::string path = absl::StrCat(data_dir, "/", kSecretFileName);
  if (std::filesystem::exists(path)) return path;
  std::ifstream random("/dev/urandom", std::ios::binary);
  std::string bytes(32, '\0');
  if (!random.read(bytes.data(), bytes.size())) {
    return absl::InternalError("cannot read /dev/urandom");
  }
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot create ", path));
  std::string text = absl::BytesToHexString(bytes) + "\n";
  bool written =
      write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (!written) return absl::InternalError(absl::StrCat("cannot write ", path));
  return path;
}

}  // namespace sfs
