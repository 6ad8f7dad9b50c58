#include "cli/local_cluster.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/accounts.h"
#include "common/log.h"

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

}  // namespace

LocalCluster::LocalCluster(const LocalClusterOptions& options)
    : options_(options) {}

LocalCluster::~LocalCluster() { Stop(); }

absl::Status LocalCluster::Spawn(const std::string& name,
                                 const std::string& binary,
                                 std::vector<std::string> args,
                                 const std::string& extra_args) {
  for (absl::string_view extra :
       absl::StrSplit(extra_args, ' ', absl::SkipEmpty())) {
    args.emplace_back(extra);
  }
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0)
    return absl::InternalError(absl::StrCat("fork failed for ", name));
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  children_.push_back(Child{name, pid});
  return absl::OkStatus();
}

absl::Status LocalCluster::Start() {
  std::string bin =
      options_.bin_dir.empty() ? DirOfThisBinary() : options_.bin_dir;
  std::filesystem::create_directories(options_.data_dir);
  std::string master = absl::StrCat("127.0.0.1:", options_.master_port);
  int replication = std::min(3, options_.chunkservers);
  absl::Status status =
      Spawn("master", bin + "/sfs-master",
            {absl::StrCat("--listen=127.0.0.1:", options_.master_port),
             absl::StrCat("--data=", options_.data_dir, "/master"),
             absl::StrCat("--dead_after=", FlagDuration(options_.dead_after)),
             absl::StrCat("--replication=", replication),
             absl::StrCat("--min_replicas=", std::min(2, replication))},
            options_.master_args);
  for (int i = 1; status.ok() && i <= options_.chunkservers; ++i) {
    std::string rack = absl::StrCat("rp", i);
    int port = options_.first_chunkserver_port + i - 1;
    status =
        Spawn(rack, bin + "/sfs-chunkserver",
              {absl::StrCat("--listen=127.0.0.1:", port), "--master=" + master,
               absl::StrCat("--data=", options_.data_dir, "/", rack),
               "--id=" + rack, "--rack=" + rack,
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
          absl::StrCat("-addr=127.0.0.1:", options_.http_port),
          "-master=" + master,
          absl::StrCat("--catalog=", options_.data_dir, "/frontend"),
          "--jwt_secret_file=" + *secret};
      if (!options_.web_dir.empty())
        args.push_back("--static=" + options_.web_dir);
      status =
          Spawn("frontend", frontend, std::move(args), options_.frontend_args);
    }
  }
  if (!status.ok()) Stop();
  return status;
}

std::string LocalCluster::Wait() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  struct timespec tick = {0, 200 * 1000 * 1000};
  while (true) {
    int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig > 0) return absl::StrCat("signal ", sig);
    for (auto it = children_.begin(); it != children_.end(); ++it) {
      int wstatus;
      if (waitpid(it->pid, &wstatus, WNOHANG) == it->pid) {
        std::string why =
            absl::StrCat(it->name, " exited (status ", wstatus, ")");
        children_.erase(it);
        return why;
      }
    }
  }
}

void LocalCluster::Stop() {
  for (const Child& child : children_) kill(child.pid, SIGTERM);
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  for (const Child& child : children_) {
    while (waitpid(child.pid, nullptr, WNOHANG) == 0) {
      if (absl::Now() > deadline) {
        kill(child.pid, SIGKILL);
        waitpid(child.pid, nullptr, 0);
        break;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  }
  children_.clear();
}

}  // namespace sfs
