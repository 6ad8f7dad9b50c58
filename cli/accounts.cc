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
#include "sfs-frontend/auth/accounts.h"
#include "sfs-frontend/auth/jwt.h"
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

// A frontend's HTTP API as the CLI calls it: at --http, else $SFS_HTTP,
// as $SFS_TOKEN or, without it, as the local cluster's admin (a one-minute
// session signed with <--data>/jwt.secret).
class FrontendApi {
 public:
  // The address --http or $SFS_HTTP names; empty when neither does.
  static std::string Configured() {
    std::string base = absl::GetFlag(FLAGS_http);
    if (const char* env = getenv("SFS_HTTP"); base.empty() && env != nullptr) {
      base = env;
    }
    return base;
  }

  static absl::StatusOr<FrontendApi> Connect(std::string base) {
    if (const char* env = getenv("SFS_TOKEN"); env != nullptr && *env) {
      return FrontendApi(std::move(base), env);
    }
    ASSIGN_OR_RETURN(std::string token,
                     MintLocalToken("admin", true, absl::Minutes(1)));
    return FrontendApi(std::move(base), std::move(token));
  }

  // Sends `body` (none if null) and returns the answer when its status is
  // `expected`; else what the frontend said, as an error.
  absl::StatusOr<nlohmann::json> Call(const std::string& method,
                                      const std::string& path,
                                      const nlohmann::json& body,
                                      int expected) const {
    httplib::Client client(base_);
    client.set_bearer_token_auth(token_);
    const std::string text = body.is_null() ? "" : body.dump();
    httplib::Result res = method == "GET" ? client.Get(path)
                          : method == "DELETE"
                              ? client.Delete(path)
                              : client.Post(path, text, "application/json");
    if (!res) {
      return absl::UnavailableError(absl::StrCat(
          "cannot reach ", base_, ": ", httplib::to_string(res.error())));
    }
    nlohmann::json answer =
        nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
    if (res->status == expected && answer.is_object()) return answer;
    const std::string why = answer.is_object() && answer["error"].is_string()
                                ? answer["error"].get<std::string>()
                                : res->body;
    return absl::Status(res->status == 403 ? absl::StatusCode::kPermissionDenied
                        : res->status == 401
                            ? absl::StatusCode::kUnauthenticated
                            : absl::StatusCode::kFailedPrecondition,
                        absl::StrCat(res->status, " ", why));
  }

  const std::string& base() const { return base_; }

 private:
  FrontendApi(std::string base, std::string token)
      : base_(std::move(base)), token_(std::move(token)) {}

  std::string base_;
  std::string token_;
};

// --scopes split into scopes: actions follow a ':' and are themselves
// comma-separated, so pieces that do not start a new "storage." scope are
// joined back.
std::vector<std::string> ScopesFlag() {
  std::vector<std::string> joined;
  for (absl::string_view piece :
       absl::StrSplit(absl::GetFlag(FLAGS_scopes), ',', absl::SkipEmpty())) {
    if (joined.empty() || absl::StartsWith(piece, "storage.")) {
      joined.emplace_back(piece);
    } else {
      absl::StrAppend(&joined.back(), ",", piece);
    }
  }
  return joined;
}

// `sfs user` through a frontend's admin API, and (below) offline in the
// catalog: both print the same.
int UserOverHttp(const FrontendApi& api, const std::vector<std::string>& args) {
  if (args[0] == "list") {
    auto answer = api.Call("GET", "/api/users", nullptr, 200);
    if (!answer.ok()) return Fail("user list", answer.status());
    for (const nlohmann::json& user : (*answer)["users"]) {
      printf("%s%s\n", user["username"].get<std::string>().c_str(),
             user["is_admin"].get<bool>() ? "  admin" : "");
    }
    return 0;
  }
  const std::string& name = args[1];
  if (args[0] == "add") {
    const bool admin = absl::GetFlag(FLAGS_admin);
    auto answer = api.Call(
        "POST", "/api/users",
        {{"username", name}, {"password", ReadPassword()}, {"is_admin", admin}},
        201);
    if (!answer.ok()) return Fail("user add", answer.status());
    printf("added %s%s\n", name.c_str(), admin ? " (admin)" : "");
    return 0;
  }
  auto answer = api.Call("DELETE", "/api/users/" + UrlPath(name), nullptr, 200);
  return answer.ok() ? 0 : Fail("user del", answer.status());
}

int UserOffline(frontend::Catalog& catalog,
                const std::vector<std::string>& args) {
  frontend::Accounts accounts(&catalog);
  if (args[0] == "list") {
    auto users = accounts.ListUsers();
    if (!users.ok()) return Fail("user list", users.status());
    for (const frontend::UserRecord& user : *users) {
      printf("%s%s\n", user.username.c_str(), user.is_admin ? "  admin" : "");
    }
    return 0;
  }
  const std::string& name = args[1];
  if (args[0] == "add") {
    const bool admin = absl::GetFlag(FLAGS_admin);
    absl::Status status = accounts.AddUser(name, ReadPassword(), admin);
    Audit(catalog, admin ? "user.add (admin)" : "user.add", name, status);
    if (!status.ok()) return Fail("user add", status);
    printf("added %s%s\n", name.c_str(), admin ? " (admin)" : "");
    return 0;
  }
  absl::Status status = accounts.DeleteUser(name);
  Audit(catalog, "user.delete", name, status);
  return status.ok() ? 0 : Fail("user del", status);
}

int CreateApiToken() {
  const std::string user = absl::GetFlag(FLAGS_user);
  const std::vector<std::string> scopes = ScopesFlag();
  if (user.empty() || scopes.empty()) {
    return Usage("token create needs --user and --scopes");
  }
  const absl::Duration ttl = absl::GetFlag(FLAGS_ttl);
  frontend::Accounts::NewApiToken token;
  if (std::string base = FrontendApi::Configured(); !base.empty()) {
    auto api = FrontendApi::Connect(std::move(base));
    if (!api.ok()) return Fail("token create", api.status());
    auto answer = api->Call("POST", "/api/tokens",
                            {{"username", user},
                             {"scopes", scopes},
                             {"expires_in", absl::ToInt64Seconds(ttl)}},
                            201);
    if (!answer.ok()) return Fail("token create", answer.status());
    token = {(*answer)["id"].get<std::string>(),
             (*answer)["token"].get<std::string>(), scopes};
  } else {
    auto catalog = OpenConfiguredCatalog();
    if (!catalog.ok()) return Fail("token create", catalog.status());
    auto created =
        frontend::Accounts(catalog->get()).CreateApiToken(user, scopes, ttl);
    Audit(**catalog, "token.create", created.ok() ? created->id : user,
          created.status());
    if (!created.ok()) return Fail("token create", created.status());
    token = std::move(*created);
  }
  fprintf(stderr, "token %s for %s: %s\n(the secret is shown only now)\n",
          token.id.c_str(), user.c_str(), absl::StrJoin(scopes, " ").c_str());
  printf("%s\n", token.secret.c_str());
  return 0;
}

}  // namespace

int UserCommand(const std::vector<std::string>& args) {
  const bool list = args.size() == 1 && args[0] == "list";
  const bool change =
      args.size() == 2 && (args[0] == "add" || args[0] == "del");
  if (!list && !change) {
    return Usage("user takes add NAME, del NAME or list");
  }
  if (std::string base = FrontendApi::Configured(); !base.empty()) {
    auto api = FrontendApi::Connect(std::move(base));
    if (!api.ok()) return Fail("user", api.status());
    return UserOverHttp(*api, args);
  }
  auto catalog = OpenConfiguredCatalog();
  if (!catalog.ok()) return Fail("user", catalog.status());
  return UserOffline(**catalog, args);
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
  std::string base = FrontendApi::Configured();
  if (base.empty()) base = "http://127.0.0.1:8080";
  auto api = FrontendApi::Connect(std::move(base));
  if (!api.ok()) return Fail("share", api.status());
  nlohmann::json body = {
      {"method", absl::GetFlag(FLAGS_put) ? "PUT" : "GET"},
      {"expires_in", absl::ToInt64Seconds(absl::GetFlag(FLAGS_expires))}};
  auto answer = api->Call(
      "POST", absl::StrCat("/storage/sign", UrlPath(args[0])), body, 200);
  if (!answer.ok()) return Fail("share", answer.status());
  if (!(*answer)["url"].is_string()) {
    return Fail("share", absl::InternalError("the answer has no url"));
  }
  printf("%s%s\n", api->base().c_str(),
         (*answer)["url"].get<std::string>().c_str());
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
