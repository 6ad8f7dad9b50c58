// `sfs up` as a supervisor, as a user runs it: the real binary starts the
// whole cluster, and the test kills one of its children with SIGKILL.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/checksum.h"
#include "gtest/gtest.h"
#include "tests/test_cluster.h"

namespace sfs {
namespace {

constexpr uint64_t kMiB = 1 << 20;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `sfs up` in a fresh directory on free loopback ports.
class SfsUp {
 public:
  explicit SfsUp(std::vector<std::string> extra_flags)
      : extra_flags_(std::move(extra_flags)) {
    char tmpl[] = "/tmp/sfs-up-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    master_port_ = FreeLoopbackPort();
    first_chunkserver_port_ = FreeLoopbackPorts(4);
    http_port_ = FreeLoopbackPort();
    first_ops_port_ = FreeLoopbackPorts(5);
  }

  ~SfsUp() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    // Children of a killed supervisor: find them by their data directory.
    for (const char* name : {"master", "rp1", "rp2", "rp3", "rp4"}) {
      pid_t child = ChildPid(name);
      if (child > 0) kill(child, SIGKILL);
    }
    std::filesystem::remove_all(dir_);
  }

  void Start() {
    std::vector<std::string> args = {
        BinDir() + "/sfs",
        "up",
        "--data=" + data(),
        absl::StrCat("--master_port=", master_port_),
        absl::StrCat("--chunkserver_port=", first_chunkserver_port_),
        absl::StrCat("--http_port=", http_port_),
        absl::StrCat("--ops_port=", first_ops_port_),
        "--chunkservers=4",
        "--heartbeat=200ms",
        "--dead_after=3s",
        "--master_args=--replication_delay=1s --gc_grace=1s "
        "--repair_interval=200ms"};
    args.insert(args.end(), extra_flags_.begin(), extra_flags_.end());
    pid_ = fork();
    if (pid_ == 0) {
      FILE* log = fopen(log_path().c_str(), "w");
      dup2(fileno(log), STDOUT_FILENO);
      dup2(fileno(log), STDERR_FILENO);
      ExecOrExit(args);
    }
  }

  // Sends `signal` and waits for `sfs up` to exit; its wait status, or -1
  // if it did not exit within `timeout` (then it is killed).
  int Stop(int signal, absl::Duration timeout) {
    kill(pid_, signal);
    absl::Time deadline = absl::Now() + timeout;
    int wstatus = -1;
    while (waitpid(pid_, &wstatus, WNOHANG) == 0) {
      if (absl::Now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        wstatus = -1;
        break;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    pid_ = -1;
    return wstatus;
  }

  bool running() const { return pid_ > 0 && kill(pid_, 0) == 0; }

  // The pid of the running process whose --data is DATA/name, or -1.
  pid_t ChildPid(const std::string& name) const {
    std::string needle = "--data=" + data() + "/" + name;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      std::string cmdline = ReadText(entry.path().string() + "/cmdline");
      for (char& c : cmdline) c = c == '\0' ? ' ' : c;
      if (absl::StrContains(cmdline + " ", needle + " ")) {
        pid_t pid = 0;
        if (absl::SimpleAtoi(entry.path().filename().string(), &pid))
          return pid;
      }
    }
    return -1;
  }

  CommandResult Cli(std::vector<std::string> args) const {
    // With --data, the CLI presents the admin certificate `sfs up` made.
    args.insert(args.begin(),
                {BinDir() + "/sfs", "--master=" + master_address(),
                 "--data=" + data()});
    return RunCommand(args);
  }

  // Live chunkservers as the master reports them; -1 if it did not answer.
  int AliveChunkservers() const {
    CommandResult status = Cli({"status", "--json"});
    if (status.exit_code != 0) return -1;
    nlohmann::json json = nlohmann::json::parse(status.out, nullptr, false);
    if (!json.contains("chunkservers")) return -1;
    int alive = 0;
    for (const auto& server : json["chunkservers"])
      alive += server.value("alive", false) ? 1 : 0;
    return alive;
  }

  // Polls `done` every 100 ms until it holds or `timeout` passes.
  static bool WaitFor(const std::function<bool()>& done,
                      absl::Duration timeout) {
    absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return done();
  }

  std::string log() const { return ReadText(log_path()); }
  std::string master_address() const {
    return absl::StrCat("127.0.0.1:", master_port_);
  }
  std::string data() const { return dir_ + "/data"; }
  int first_ops_port() const { return first_ops_port_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string log_path() const { return dir_ + "/up.log"; }

  const std::vector<std::string> extra_flags_;
  std::string dir_;
  int master_port_;
  int first_chunkserver_port_;
  int http_port_;
  int first_ops_port_;
  pid_t pid_ = -1;
};

// `sfs get PATH -` with its stdout on a pipe the test reads at its own pace.
class PipedGet {
 public:
  explicit PipedGet(const std::vector<std::string>& argv) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      ExecOrExit(argv);
    }
    close(fds[1]);
    out_ = fds[0];
  }
  ~PipedGet() { close(out_); }

  // Reads up to `n` bytes into the hash; returns how many (0 at the end).
  uint64_t Read(uint64_t n) {
    std::string buf(kMiB, '\0');
    uint64_t total = 0;
    while (total < n) {
      ssize_t got = read(out_, buf.data(), std::min<uint64_t>(kMiB, n - total));
      if (got <= 0) break;
      sha_.Update(absl::string_view(buf.data(), got));
      total += got;
    }
    return total;
  }
  std::string FinishHex() { return sha_.FinishHex(); }
  int Wait() {
    int wstatus = 0;
    waitpid(pid_, &wstatus, 0);
    return wstatus;
  }

 private:
  pid_t pid_;
  int out_;
  Sha256 sha_;
};

TEST(SfsUpTest, ChunkserverSigkillDuringGetIsSurvivedRestartedAndHealed) {
  SfsUp up({});
  up.Start();
  ASSERT_TRUE(SfsUp::WaitFor([&] { return up.AliveChunkservers() == 4; },
                             absl::Seconds(30)))
      << up.log();
  // Every server's operations port answers: the master's, then rp1..rp4's.
  for (int i = 0; i < 5; ++i) {
    CommandResult ready =
        RunCommand({"/usr/bin/curl", "-sf",
                    absl::StrCat("http://127.0.0.1:", up.first_ops_port() + i,
                                 "/readyz")});
    EXPECT_EQ(ready.exit_code, 0)
        << "operations port " << i << ": " << ready.err;
  }

  constexpr uint64_t kSize = 300 * kMiB;
  std::string local = up.dir() + "/big";
  std::string sha = WriteRandomFile(local, kSize, 7);
  CommandResult put = up.Cli({"put", local, "/ns/big"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  std::filesystem::remove(local);

  // The download blocks on the pipe after its first 64 MiB until the test
  // reads on, so the SIGKILL lands in the middle of it.
  pid_t victim = up.ChildPid("rp2");
  ASSERT_GT(victim, 0);
  PipedGet get({BinDir() + "/sfs", "--master=" + up.master_address(),
                "--data=" + up.data(), "get", "/ns/big", "-"});
  ASSERT_EQ(get.Read(64 * kMiB), 64 * kMiB);
  ASSERT_EQ(kill(victim, SIGKILL), 0);
  EXPECT_EQ(get.Read(kSize), kSize - 64 * kMiB);
  int wstatus = get.Wait();
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << wstatus;
  EXPECT_EQ(get.FinishHex(), sha);

  // The supervisor said what happened, kept the others up and brought the
  // chunkserver back; the cluster heals without help.
  EXPECT_TRUE(up.running());
  EXPECT_TRUE(SfsUp::WaitFor(
      [&] {
        pid_t again = up.ChildPid("rp2");
        return again > 0 && again != victim;
      },
      absl::Seconds(30)))
      << up.log();
  std::string log = up.log();
  EXPECT_TRUE(absl::StrContains(log, "rp2 killed by signal 9")) << log;
  EXPECT_TRUE(absl::StrContains(log, "rp2 restarted")) << log;
  EXPECT_TRUE(SfsUp::WaitFor([&] { return up.AliveChunkservers() == 4; },
                             absl::Seconds(30)));
  EXPECT_TRUE(SfsUp::WaitFor([&] { return up.Cli({"fsck"}).exit_code == 0; },
                             absl::Seconds(120)))
      << up.Cli({"fsck"}).out;

  // Ctrl-C stops everything: the frontend first, the master last.
  std::vector<pid_t> children;
  for (const char* name : {"master", "rp1", "rp2", "rp3", "rp4", "frontend"}) {
    children.push_back(up.ChildPid(name));
  }
  int stopped = up.Stop(SIGINT, absl::Seconds(60));
  EXPECT_TRUE(WIFEXITED(stopped) && WEXITSTATUS(stopped) == 0) << stopped;
  for (pid_t child : children) {
    if (child > 0) {
      EXPECT_NE(kill(child, 0), 0) << "child " << child;
    }
  }
  // The frontend drained and stopped before the master was signalled.
  log = up.log();
  size_t frontend_stopped = log.find("frontend stopped");
  size_t master_signalled = log.find("master signal ");
  ASSERT_NE(frontend_stopped, std::string::npos) << log;
  ASSERT_NE(master_signalled, std::string::npos) << log;
  EXPECT_LT(frontend_stopped, master_signalled) << log;
}

TEST(SfsUpTest, WithRestartsOffAKilledChildStaysDownAndTheRestServes) {
  SfsUp up({"--restart=false"});
  up.Start();
  ASSERT_TRUE(SfsUp::WaitFor([&] { return up.AliveChunkservers() == 4; },
                             absl::Seconds(30)))
      << up.log();
  pid_t victim = up.ChildPid("rp1");
  ASSERT_GT(victim, 0);
  ASSERT_EQ(kill(victim, SIGKILL), 0);
  // The master declares it dead (--dead_after=3s) and still answers.
  EXPECT_TRUE(SfsUp::WaitFor([&] { return up.AliveChunkservers() == 3; },
                             absl::Seconds(30)))
      << up.log();
  EXPECT_TRUE(up.running());
  EXPECT_EQ(up.ChildPid("rp1"), -1);
  EXPECT_TRUE(absl::StrContains(up.log(), "rp1 killed by signal 9"))
      << up.log();
  EXPECT_TRUE(absl::StrContains(up.log(), "not restarting")) << up.log();
  int stopped = up.Stop(SIGTERM, absl::Seconds(60));
  EXPECT_TRUE(WIFEXITED(stopped) && WEXITSTATUS(stopped) == 0) << stopped;
}

}  // namespace
}  // namespace sfs
