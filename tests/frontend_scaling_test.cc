// Frontends scaled 1 -> 4 -> 1 behind HAProxy under load, as Kubernetes
// scales the Deployment: replicas start and are SIGTERM-ed while uploads
// and downloads of 1 to 200 MiB run through the proxy and SSE watchers
// follow them from other replicas. HAProxy (Debian's) follows each
// replica's /readyz. Passes only with zero failed transfers (every byte
// checked by SHA-256), a `done` for every watcher, every drain complete
// (exit 0), and no upload left pending in the master.
#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "sfs-frontend/catalog/testing/catalog_stores.h"
#include "tests/frontend_http.h"
#include "tests/frontend_server.h"
#include "tests/test_cluster.h"

namespace sfs {
namespace {

constexpr int kReplicas = 4;
constexpr int kWorkers = 5;
// Sizes in MiB, taken in turn by every worker.
constexpr uint64_t kSizesMiB[] = {1, 200, 4, 48, 2, 120, 16};

// HAProxy in front of every replica's port, checking /readyz every 200 ms
// and taking a replica out after one failed check (in after one good one).
// Connections refused by a stopped replica are retried on another; each
// request gets its own server connection, so a draining replica is sent no
// new request once it is out.
class Haproxy {
 public:
  Haproxy(const std::string& dir, const std::vector<int>& backends)
      : port_(FreeLoopbackPort()) {
    const std::string config = dir + "/haproxy.cfg";
    std::ofstream out(config);
    out << "global\n  maxconn 512\n"
        << "defaults\n  mode http\n  timeout connect 2s\n"
        << "  timeout client 300s\n  timeout server 300s\n"
        << "  retries 3\n  option redispatch\n  option http-server-close\n"
        << "frontend sfs\n  bind 127.0.0.1:" << port_
        << "\n  default_backend replicas\n"
        << "backend replicas\n  balance roundrobin\n"
        << "  option httpchk GET /readyz\n  http-check expect status 200\n"
        << "  default-server inter 200ms fall 1 rise 1\n";
    for (size_t i = 0; i < backends.size(); ++i) {
      out << "  server r" << i << " 127.0.0.1:" << backends[i] << " check\n";
    }
    out.close();
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open((dir + "/haproxy.log").c_str(),
                    O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, STDERR_FILENO);
      dup2(fd, STDOUT_FILENO);
      ExecOrExit({"/usr/sbin/haproxy", "-db", "-f", config});
    }
  }
  ~Haproxy() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  int port() const { return port_; }

 private:
  const int port_;
  pid_t pid_;
};

// The replicas that are up and not draining, for watchers to pick from.
class LiveSet {
 public:
  void Add(int port) {
    absl::MutexLock lock(&mu_);
    ports_.push_back(port);
  }
  void Remove(int port) {
    absl::MutexLock lock(&mu_);
    ports_.erase(std::remove(ports_.begin(), ports_.end(), port), ports_.end());
  }
  // The live replica after the one `n` picks before: watchers spread over
  // all of them, most on another replica than the proxy gave their upload.
  int Pick(uint64_t n) {
    absl::MutexLock lock(&mu_);
    return ports_[n % ports_.size()];
  }

 private:
  absl::Mutex mu_;
  std::vector<int> ports_ ABSL_GUARDED_BY(mu_);
};

// Follows transfer `id` on live replicas until it sees `done`, moving to
// another replica when one drains and ends the stream. The event it ended
// with, or "" if none came within the deadline.
std::string WatchUntilDone(LiveSet& live, const std::string& id,
                           const std::string& token, uint64_t seed,
                           const std::function<void()>& on_open) {
  const absl::Time deadline = absl::Now() + absl::Minutes(5);
  bool opened = false;
  for (uint64_t attempt = seed; absl::Now() < deadline; ++attempt) {
    std::vector<std::string> events =
        WatchProgress(live.Pick(attempt), id, token, [&] {
          if (!opened && on_open) on_open();
          opened = true;
        });
    if (!events.empty() &&
        nlohmann::json::parse(events.back()).value("done", false)) {
      return events.back();
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  if (!opened && on_open) on_open();
  return "";
}

struct Totals {
  std::atomic<int> transfers{0};
  std::atomic<int> failures{0};
  std::atomic<int> watchers_done{0};
  std::atomic<int> watchers{0};
};

// One worker: upload through the proxy with a watcher on some replica, then
// download through the proxy, until `stop`.
void Work(int worker, int proxy_port, LiveSet& live, Totals& totals,
          const std::atomic<bool>& stop) {
  httplib::Client client("127.0.0.1", proxy_port);
  client.set_read_timeout(120, 0);
  client.set_write_timeout(120, 0);
  const std::string alice = TestJwt("alice", false, absl::Hours(2));
  for (int i = 0; !stop; ++i) {
    const uint64_t size = kSizesMiB[(worker + i) % std::size(kSizesMiB)] * kMiB;
    const uint64_t seed = worker * 1000 + i;
    const std::string id = absl::StrCat("scale-", worker, "-", i);
    const std::string path = absl::StrCat("/storage/scale/w", worker, "-", i);
    std::string last_event;
    absl::Notification watching;
    std::thread watcher([&] {
      last_event =
          WatchUntilDone(live, id, alice, seed, [&] { watching.Notify(); });
    });
    watching.WaitForNotification();
    auto up = UploadPattern(client, path, alice, seed, size, false,
                            {{"X-Transfer-Id", id}});
    const bool uploaded = up && up->status == 201;
    EXPECT_TRUE(uploaded) << path << ": "
                          << (up ? absl::StrCat(up->status, " ", up->body)
                                 : httplib::to_string(up.error()));
    uint64_t got = 0;
    const bool downloaded =
        uploaded &&
        DownloadSha256(client, path, alice, &got) == PatternSha256(seed, size);
    EXPECT_TRUE(!uploaded || downloaded) << path << " read back wrong";
    watcher.join();
    ++totals.watchers;
    if (!last_event.empty()) {
      auto event = nlohmann::json::parse(last_event);
      if (event.value("bytes", uint64_t{0}) == size &&
          !event.contains("error")) {
        ++totals.watchers_done;
      }
    }
    EXPECT_FALSE(last_event.empty()) << id << ": no done event";
    ++totals.transfers;
    if (!uploaded || !downloaded) ++totals.failures;
  }
}

TEST(FrontendScalingTest, OneToFourToOneUnderLoadLosesNothing) {
  const absl::Time started = absl::Now();
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start().ok());
  auto database = frontend::NewPostgresDatabase();
  ASSERT_TRUE(database.ok()) << database.status();
  std::vector<std::unique_ptr<FrontendServer>> replicas;
  std::vector<int> ports;
  for (int i = 0; i < kReplicas; ++i) {
    replicas.push_back(std::make_unique<FrontendServer>(
        TestFrontendOptions(cluster, absl::StrCat("frontend-", i), *database,
                            {"--drain_delay=2s", "--drain_timeout=120s"})));
    ports.push_back(replicas.back()->port());
  }
  LiveSet live;
  ASSERT_TRUE(replicas[0]->Start().ok());
  live.Add(ports[0]);
  ASSERT_EQ(CreateTestNamespace(*replicas[0], "scale"), 201);
  Haproxy proxy(cluster.dir(), ports);
  // Until the proxy has checked every replica once.
  httplib::Client probe("127.0.0.1", proxy.port());
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!probe.Get("/readyz") && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  absl::SleepFor(absl::Milliseconds(500));

  Totals totals;
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] { Work(w, proxy.port(), live, totals, stop); });
  }
  // Each step waits for `n` more transfers to finish, so every replica set
  // carries traffic whatever the machine's speed.
  auto after_transfers = [&](int n) {
    const int target = totals.transfers + n;
    while (totals.transfers < target) absl::SleepFor(absl::Milliseconds(50));
  };
  int scale_steps = 0;
  after_transfers(kWorkers);
  for (int i = 1; i < kReplicas; ++i) {  // 1 -> 4
    ASSERT_TRUE(replicas[i]->Start().ok());
    live.Add(ports[i]);
    ++scale_steps;
    after_transfers(3);
  }
  for (int i = kReplicas - 1; i >= 1; --i) {  // 4 -> 1
    live.Remove(ports[i]);
    const int status = replicas[i]->Stop(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "replica " << i << " drain ended with wait status " << status;
    ++scale_steps;
    after_transfers(3);
  }
  stop = true;
  for (std::thread& t : workers) t.join();

  EXPECT_EQ(totals.failures, 0);
  EXPECT_EQ(totals.watchers_done, totals.watchers);
  auto fsck = cluster.NewClient()->Fsck();
  ASSERT_TRUE(fsck.ok()) << fsck.status();
  EXPECT_EQ(fsck->pending_uploads, 0u);
  printf(
      "[scaling] %d transfers (uploads, each read back), %d watchers, "
      "%d scale steps, %d failed, %.0f s\n",
      totals.transfers.load(), totals.watchers.load(), scale_steps,
      totals.failures.load(), absl::ToDoubleSeconds(absl::Now() - started));
}

}  // namespace
}  // namespace sfs
