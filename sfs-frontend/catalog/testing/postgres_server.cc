#include "sfs-frontend/catalog/testing/postgres_server.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "sfs-frontend/catalog/postgres_connection.h"

extern char** environ;

namespace sfs::frontend {
namespace {

namespace fs = std::filesystem;

constexpr char kFallbackUser[] = "sfs-postgres";

// The directory holding initdb and pg_ctl: newest Debian version first.
absl::StatusOr<std::string> FindServerBinaries() {
  std::vector<fs::path> candidates;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    candidates.push_back(entry.path() / "bin");
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const fs::path& a, const fs::path& b) {
              return std::atoi(a.parent_path().filename().c_str()) >
                     std::atoi(b.parent_path().filename().c_str());
            });
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path ? path : "", ':')) {
    if (!dir.empty()) candidates.emplace_back(std::string(dir));
  }
  for (const fs::path& dir : candidates) {
    if (access((dir / "initdb").c_str(), X_OK) == 0 &&
        access((dir / "pg_ctl").c_str(), X_OK) == 0) {
      return dir.string();
    }
  }
  return absl::FailedPreconditionError(
      "no PostgreSQL server binaries (initdb, pg_ctl) in "
      "/usr/lib/postgresql/*/bin or on PATH; install the postgresql package "
      "or set SFS_TEST_POSTGRES_URL");
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Runs argv (no shell), prefixed with runuser when `run_as` is set, with
// stdout and stderr appended to `log`. On failure the error carries the log.
absl::Status Run(const std::string& run_as, std::vector<std::string> argv,
                 const std::string& log) {
  if (!run_as.empty()) {
    argv.insert(argv.begin(), {"runuser", "-u", run_as, "--"});
  }
  std::vector<char*> args;
  for (std::string& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  // The unprivileged user may not be able to enter the test's directory.
  posix_spawn_file_actions_addchdir_np(&actions, "/");
  pid_t pid = 0;
  int err =
      posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  std::string command = absl::StrJoin(argv, " ");
  if (err != 0) {
    return absl::InternalError(
        absl::StrCat("cannot run ", command, ": errno ", err));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(
        absl::StrCat(command, " failed; its log:\n", ReadFile(log)));
  }
  return absl::OkStatus();
}

// The unprivileged user to run PostgreSQL as when we are root.
absl::StatusOr<passwd> UnprivilegedUser(const std::string& log) {
  if (passwd* nobody = getpwnam("nobody")) return *nobody;
  if (getpwnam(kFallbackUser) == nullptr) {
    RETURN_IF_ERROR(Run("",
                        {"useradd", "--system", "--no-create-home", "--shell",
                         "/usr/sbin/nologin", kFallbackUser},
                        log));
  }
  if (passwd* user = getpwnam(kFallbackUser)) return *user;
  return absl::InternalError("no unprivileged user to run PostgreSQL as");
}

// `conninfo` (URL or key=value) with its database replaced by `dbname`.
absl::StatusOr<std::string> WithDatabase(const std::string& conninfo,
                                         const std::string& dbname) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    std::string message = error ? error : "out of memory";
    PQfreemem(error);
    return absl::InvalidArgumentError(absl::StrCat("bad conninfo: ", message));
  }
  std::vector<std::string> parts;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    std::string value = o->val == nullptr ? "" : o->val;
    if (std::string(o->keyword) == "dbname") value = dbname;
    if (value.empty()) continue;
    std::string quoted;
    for (char c : value) {
      if (c == '\'' || c == '\\') quoted += '\\';
      quoted += c;
    }
    parts.push_back(absl::StrCat(o->keyword, "='", quoted, "'"));
  }
  PQconninfoFree(options);
  return absl::StrJoin(parts, " ");
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start() {
  if (const char* url = std::getenv("SFS_TEST_POSTGRES_URL");
      url != nullptr && *url != '\0') {
    return std::unique_ptr<PostgresServer>(new PostgresServer(url, "", "", ""));
  }
  ASSIGN_OR_RETURN(std::string bin, FindServerBinaries());
  char dir_template[] = "/tmp/sfs-pg-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: errno ", errno));
  }
  std::string dir = dir_template;
  std::string log = dir + "/setup.log";
  std::string run_as;
  if (geteuid() == 0) {
    ASSIGN_OR_RETURN(passwd user, UnprivilegedUser(log));
    run_as = user.pw_name;
    if (chown(dir.c_str(), user.pw_uid, user.pw_gid) != 0) {
      return absl::InternalError(
          absl::StrCat("chown ", dir, ": errno ", errno));
    }
  }
  // Constructed now so that the destructor cleans up if a step below fails.
  std::unique_ptr<PostgresServer> server(new PostgresServer(
      absl::StrCat("host=", dir, " port=5432 user=postgres dbname=postgres"),
      dir, bin + "/pg_ctl", run_as));
  std::string data = dir + "/data";
  RETURN_IF_ERROR(Run(run_as,
                      {bin + "/initdb", "-D", data, "-U", "postgres", "-A",
                       "trust", "-E", "UTF8", "--locale=C", "--no-sync"},
                      log));
  // Durability is pointless for a throwaway server; skipping it makes the
  // tests fast.
  RETURN_IF_ERROR(
      Run(run_as,
          {bin + "/pg_ctl", "-D", data, "-l", dir + "/server.log", "-w", "-t",
           "60", "-o",
           absl::StrCat("-k ", dir,
                        " -p 5432 -c listen_addresses= -c fsync=off "
                        "-c synchronous_commit=off -c full_page_writes=off"),
           "start"},
          log));
  return server;
}

PostgresServer::PostgresServer(std::string admin_conninfo, std::string dir,
                               std::string pg_ctl, std::string run_as)
    : admin_conninfo_(std::move(admin_conninfo)),
      dir_(std::move(dir)),
      pg_ctl_(std::move(pg_ctl)),
      run_as_(std::move(run_as)) {}

PostgresServer::~PostgresServer() {
  if (dir_.empty()) {
    absl::StatusOr<std::unique_ptr<PgConnection>> admin =
        PgConnection::Connect(admin_conninfo_);
    for (const std::string& db : databases_) {
      if (admin.ok()) {
        (*admin)
            ->Exec(absl::StrCat("DROP DATABASE ", db, " WITH (FORCE)"))
            .IgnoreError();
      }
    }
    return;
  }
  if (fs::exists(dir_ + "/data/postmaster.pid")) {
    Run(run_as_, {pg_ctl_, "-D", dir_ + "/data", "-m", "fast", "-w", "stop"},
        dir_ + "/setup.log")
        .IgnoreError();
  }
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

absl::StatusOr<std::string> PostgresServer::CreateDatabase() {
  static std::atomic<int> counter{0};
  std::string name = absl::StrCat("sfs_test_", getpid(), "_", counter++);
  ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> admin,
                   PgConnection::Connect(admin_conninfo_));
  // An identifier cannot be a query parameter; `name` is ours and safe.
  RETURN_IF_ERROR(admin->Exec(absl::StrCat("CREATE DATABASE ", name)).status());
  databases_.push_back(name);
  return WithDatabase(admin_conninfo_, name);
}

}  // namespace sfs::frontend
