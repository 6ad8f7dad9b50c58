#include "cli/accounts.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
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

int AddUser(Catalog& catalog, const std::string& name) {
  auto hash = frontend::HashPassword(ReadPassword());
  if (!hash.ok()) return Fail("user add", hash.status());
  absl::Status status =
      catalog.AddUser({name, *hash, absl::GetFlag(FLAGS_admin),
                       absl::ToUnixMicros(absl::Now())});
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

int MintSessionToken() {
  frontend::JwtClaims claims;
  claims.subject = absl::GetFlag(FLAGS_user);
  claims.is_admin = absl::GetFlag(FLAGS_admin);
  if (claims.subject.empty()) return Usage("token needs --user");
  absl::Time now = absl::Now();
  absl::Duration ttl = absl::GetFlag(FLAGS_ttl);
  if (ttl > absl::ZeroDuration()) {
    claims.expires_at = absl::ToUnixSeconds(now + ttl);
  }
  auto secret =
      ReadSecret(absl::StrCat(absl::GetFlag(FLAGS_data), "/", kSecretFileName));
  if (!secret.ok()) return Fail("token", secret.status());
  auto token = frontend::MintHs256Jwt(claims, *secret, now);
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
    return status.ok() ? 0 : Fail("user del", status);
  }
  return Usage("user takes add, del or list");
}

int TokenCommand(const std::vector<std::string>& args) {
  if (args.empty()) return MintSessionToken();
  if (args.size() == 1 && args[0] == "create") return CreateApiToken();
  return Usage("token takes no arguments, or `create`");
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
