#include "cli/local_cluster.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/accounts.h"
#include "common/cert_authority.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace sfs {
namespace {

std::string DirOfThisBinary() {
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return ".";
  path[n] = '\0';
  return std::filesystem::path(path).parent_path().string();
}

std::string FlagDuration(absl::Duration d) { return absl::FormatDuration(d); }

// "exited with status 3", "killed by signal 9 (Killed)".
std::string DescribeWaitStatus(int wstatus) {
  if (WIFEXITED(wstatus))
    return absl::StrCat("exited with status ", WEXITSTATUS(wstatus));
  if (WIFSIGNALED(wstatus)) {
    return absl::StrCat("killed by signal ", WTERMSIG(wstatus), " (",
                        strsignal(WTERMSIG(wstatus)), ")");
  }
  return absl::StrCat("stopped (wait status ", wstatus, ")");
}

}  // namespace

LocalCluster::LocalCluster(const LocalClusterOptions& options)
    : options_(options) {}

LocalCluster::~LocalCluster() { Stop(); }

absl::Status LocalCluster::Add(const std::string& name, Role role,
                               const std::string& binary,
                               std::vector<std::string> args,
                               const std::string& extra_args) {
  Child child;
  child.name = name;
  child.role = role;
  child.argv.push_back(binary);
  for (std::string& arg : args) child.argv.push_back(std::move(arg));
  for (absl::string_view extra :
       absl::StrSplit(extra_args, ' ', absl::SkipEmpty())) {
    child.argv.emplace_back(extra);
  }
  child.backoff = options_.restart_backoff;
  children_.push_back(std::move(child));
  return Launch(&children_.back());
}

absl::Status LocalCluster::Launch(Child* child) {
  std::vector<char*> argv;
  for (std::string& arg : child->argv) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    return absl::InternalError(
        absl::StrCat("fork for ", child->name, ": ", strerror(errno)));
  }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  child->pid = pid;
  child->started = absl::Now();
  child->restart_at = absl::InfiniteFuture();
  return absl::OkStatus();
}

absl::Status LocalCluster::Start() {
  std::string bin =
      options_.bin_dir.empty() ? DirOfThisBinary() : options_.bin_dir;
  std::filesystem::create_directories(options_.data_dir);
  std::string master = absl::StrCat("127.0.0.1:", options_.master_port);
  // Mutual TLS between every process, from a CA made on the first start.
  const std::string tls = options_.data_dir + "/tls";
  if (options_.tls) {
    RETURN_IF_ERROR(EnsureClusterCertificates(
        tls, LocalClusterIdentities(options_.chunkservers),
        absl::Hours(24 * 825)));
  }
  auto tls_dir = [this, &tls](absl::string_view name) {
    return options_.tls ? absl::StrCat("--tls_dir=", tls, "/", name)
                        : std::string("--tls_dir=");
  };
  int replication = std::min(3, options_.chunkservers);
  // The i-th process's operations address (master 0), or none.
  auto ops = [this](int i) {
    return options_.first_ops_port == 0
               ? std::string("--ops_listen=")
               : absl::StrCat("--ops_listen=127.0.0.1:",
                              options_.first_ops_port + i);
  };
  absl::Status status =
      Add("master", Role::kMaster, bin + "/sfs-master",
          {absl::StrCat("--listen=127.0.0.1:", options_.master_port), ops(0),
           absl::StrCat("--data=", options_.data_dir, "/master"),
           absl::StrCat("--dead_after=", FlagDuration(options_.dead_after)),
           absl::StrCat("--replication=", replication),
           absl::StrCat("--min_replicas=", std::min(2, replication)),
           tls_dir("master")},
          options_.master_args);
  for (int i = 1; status.ok() && i <= options_.chunkservers; ++i) {
    std::string rack = absl::StrCat("rp", i);
    int port = options_.first_chunkserver_port + i - 1;
    status =
        Add(rack, Role::kChunkserver, bin + "/sfs-chunkserver",
            {absl::StrCat("--listen=127.0.0.1:", port), ops(i),
             "--master=" + master,
             absl::StrCat("--data=", options_.data_dir, "/", rack),
             "--id=" + rack, "--rack=" + rack, tls_dir(rack),
             absl::StrCat("--heartbeat=", FlagDuration(options_.heartbeat))},
            options_.chunkserver_args);
  }
  std::string frontend = bin + "/sfs-frontend";
  if (status.ok() && access(frontend.c_str(), X_OK) == 0) {
    // `sfs token --data` signs with the same secret file.
    absl::StatusOr<std::string> secret = EnsureJwtSecretFile(options_.data_dir);
    status = secret.status();
    if (status.ok()) {
      std::vector<std::string> args = {
          absl::StrCat("--addr=127.0.0.1:", options_.http_port),
          "--master=" + master, tls_dir("frontend"),
          absl::StrCat("--catalog=", options_.data_dir, "/frontend"),
          "--jwt_secret_file=" + *secret};
      if (!options_.web_dir.empty())
        args.push_back("--static=" + options_.web_dir);
      status = Add("frontend", Role::kFrontend, frontend, std::move(args),
                   options_.frontend_args);
    }
  }
  if (!status.ok()) Stop();
  return status;
}

std::string LocalCluster::Supervise() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  struct timespec tick = {0, 100 * 1000 * 1000};
  while (true) {
    int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig > 0) return absl::StrCat("signal ", sig, " (", strsignal(sig), ")");
    Tend();
  }
}

void LocalCluster::Tend() {
  absl::Time now = absl::Now();
  for (Child& child : children_) {
    int wstatus;
    if (child.pid > 0 && waitpid(child.pid, &wstatus, WNOHANG) == child.pid) {
      child.pid = -1;
      if (!options_.restart) {
        Log(child.name, " ", DescribeWaitStatus(wstatus),
            "; not restarting it (--restart=false), the others keep serving");
        continue;
      }
      // A child that ran a good while failed afresh: start the pauses over.
      if (now - child.started > options_.max_restart_backoff)
        child.backoff = options_.restart_backoff;
      child.restart_at = now + child.backoff;
      Log(child.name, " ", DescribeWaitStatus(wstatus), "; restarting it in ",
          absl::FormatDuration(child.backoff));
      child.backoff = std::min(child.backoff * 2, options_.max_restart_backoff);
    }
    if (child.pid < 0 && child.restart_at <= now) {
      absl::Status launched = Launch(&child);
      if (launched.ok()) {
        Log(child.name, " restarted (pid ", child.pid, ")");
      } else {
        Log(child.name, ": ", launched.ToString());
        child.restart_at = now + child.backoff;
      }
    }
  }
}

void LocalCluster::StopRole(Role role, absl::Duration grace) {
  for (Child& child : children_) {
    if (child.role == role && child.pid > 0) kill(child.pid, SIGTERM);
  }
  absl::Time deadline = absl::Now() + grace;
  for (Child& child : children_) {
    if (child.role != role || child.pid <= 0) continue;
    while (waitpid(child.pid, nullptr, WNOHANG) == 0) {
      if (absl::Now() > deadline) {
        Log(child.name, " did not stop within ", absl::FormatDuration(grace),
            "; killing it");
        kill(child.pid, SIGKILL);
        waitpid(child.pid, nullptr, 0);
        break;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    child.pid = -1;
  }
}

void LocalCluster::Stop() {
  // Frontends drain first, while the cluster under them still serves.
  StopRole(Role::kFrontend, options_.frontend_stop_grace);
  StopRole(Role::kChunkserver, options_.stop_grace);
  StopRole(Role::kMaster, options_.stop_grace);
  children_.clear();
}

}  // namespace sfs
