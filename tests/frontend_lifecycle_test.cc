// sfs-frontend around its requests: accounts made with the `sfs` CLI, and
// a graceful drain on SIGTERM that lets an in-flight upload finish.
#include <httplib.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/checksum.h"
#include "gtest/gtest.h"
#include "tests/frontend_http.h"
#include "tests/frontend_server.h"
#include "tests/test_cluster.h"

namespace sfs {
namespace {

using nlohmann::json;

CommandResult Sfs(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {BinDir() + "/sfs"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

TEST(FrontendLifecycleTest, AccountsAndTokensFromTheCli) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start().ok());
  const std::string data = cluster.dir() + "/data";
  std::filesystem::create_directories(data);
  const std::string data_flag = "--data=" + data;

  // Minting needs the secret `sfs up` would have created.
  EXPECT_EQ(Sfs({"token", "--user=carol", data_flag}).exit_code, 1);
  WriteTestJwtSecret(data + "/jwt.secret");

  setenv("SFS_PASSWORD", "carol-password", 1);
  CommandResult added = Sfs({"user", "add", "carol", data_flag});
  unsetenv("SFS_PASSWORD");
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_EQ(Sfs({"user", "add", "bad.name", data_flag}).exit_code, 1);
  EXPECT_EQ(Sfs({"user", "list", data_flag}).out, "carol\n");
  CommandResult foreign =
      Sfs({"token", "create", "--user=carol",
           "--scopes=storage.dave.files.x:read", data_flag});
  EXPECT_EQ(foreign.exit_code, 1);
  EXPECT_NE(foreign.err.find("only name carol's namespaces"), std::string::npos)
      << foreign.err;
  CommandResult api =
      Sfs({"token", "create", "--user=carol",
           "--scopes=storage.carol.namespaces:create", data_flag});
  ASSERT_EQ(api.exit_code, 0) << api.err;
  const std::string api_token(absl::StripTrailingAsciiWhitespace(api.out));
  EXPECT_EQ(api_token.rfind("sfs_", 0), 0u);
  CommandResult minted =
      Sfs({"token", "--user=carol", "--admin", "--ttl=1h", data_flag});
  ASSERT_EQ(minted.exit_code, 0) << minted.err;
  const std::string jwt(absl::StripTrailingAsciiWhitespace(minted.out));

  FrontendServer server({cluster.master_address(),
                         cluster.tls_dir("frontend"),
                         data + "/frontend",
                         data + "/jwt.secret",
                         {},
                         cluster.dir() + "/frontend.log"});
  ASSERT_TRUE(server.Start().ok());
  auto client = server.NewClient();
  auto session = client->Get("/api/session", Bearer(jwt));
  ASSERT_EQ(session->status, 200);
  EXPECT_EQ(json::parse(session->body)["username"], "carol");
  EXPECT_EQ(json::parse(session->body)["is_admin"], true);
  auto login = client->Post(
      "/api/login", R"({"username":"carol","password":"carol-password"})",
      "application/json");
  EXPECT_EQ(login->status, 200);
  // The API token may create namespaces but nothing else.
  EXPECT_EQ(client
                ->Post("/storage/namespaces", Bearer(api_token),
                       R"({"name":"carols"})", "application/json")
                ->status,
            201);
  EXPECT_EQ(
      client
          ->Post("/storage/carols/x.txt", Bearer(api_token), "x", "text/plain")
          ->status,
      403);
  // The CLI's account changes are in the audit log beside the frontend's
  // events.
  auto audit = client->Get("/api/audit", Bearer(jwt));
  ASSERT_EQ(audit->status, 200) << audit->body;
  std::set<std::string> seen;
  const json events = json::parse(audit->body)["events"];
  for (const json& e : events) {
    seen.insert(absl::StrCat(e["action"].get<std::string>(), " ",
                             e["actor"].get<std::string>(), " ",
                             e["outcome"].get<std::string>()));
  }
  for (const char* expected : {"user.add cli ok", "token.create cli ok",
                               "login carol ok", "namespace.create carol ok"}) {
    EXPECT_TRUE(seen.count(expected)) << expected << " in " << audit->body;
  }
}

// An upload of 16 MiB at about 8 MiB/s on a thread of its own; the
// constructor returns once its first bytes have been sent.
class SlowUpload {
 public:
  static constexpr uint64_t kSize = 16 * kMiB;

  SlowUpload(int port, const std::string& path) {
    thread_ = std::thread([this, port, path] {
      httplib::Client slow("127.0.0.1", port);
      slow.set_read_timeout(60, 0);
      auto res = slow.Post(
          path, Bearer(TestJwt("alice")), kSize,
          [&](size_t offset, size_t, httplib::DataSink& sink) {
            std::string piece = Pattern(9, offset, kMiB);
            started_ = true;
            absl::SleepFor(absl::Milliseconds(125));
            return sink.write(piece.data(), piece.size());
          },
          "application/octet-stream");
      status_ = res ? res->status : -1;
    });
    while (!started_) absl::SleepFor(absl::Milliseconds(10));
    absl::SleepFor(absl::Milliseconds(300));
  }

  // The HTTP status it ended with (-1: no answer).
  int Status() {
    thread_.join();
    return status_;
  }

 private:
  std::atomic<bool> started_{false};
  int status_ = -1;
  std::thread thread_;
};

TEST(FrontendLifecycleTest, SigtermDrainsInFlightUploads) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start().ok());
  FrontendServer server(TestFrontendOptions(
      cluster, "frontend", "", {"--drain_timeout=60s", "--drain_delay=1s"}));
  ASSERT_TRUE(server.Start().ok());
  ASSERT_EQ(CreateTestNamespace(server, "drain"), 201);

  SlowUpload upload(server.port(), "/storage/drain/slow.bin");
  kill(server.pid(), SIGTERM);
  absl::SleepFor(absl::Milliseconds(300));
  // During the drain delay: still serving, but no longer ready.
  httplib::Client early("127.0.0.1", server.port());
  auto ready = early.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  auto metrics = early.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("sfs_frontend_draining 1"), std::string::npos);
  absl::SleepFor(absl::Seconds(1));
  // No new connections once the delay has passed.
  httplib::Client late("127.0.0.1", server.port());
  EXPECT_FALSE(late.Get("/healthz"));
  EXPECT_EQ(upload.Status(), 201);
  int status = server.WaitForExit();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  auto reader = cluster.NewClient()->Stat("/drain/slow.bin");
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->sha256, PatternSha256(9, SlowUpload::kSize));
}

// A download streaming when SIGTERM comes is not cut: the drain waits for
// its last byte (httplib's own stop would end a streamed body early).
TEST(FrontendLifecycleTest, SigtermLetsADownloadInFlightFinish) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start().ok());
  FrontendServer server(
      TestFrontendOptions(cluster, "frontend", "", {"--drain_timeout=60s"}));
  ASSERT_TRUE(server.Start().ok());
  ASSERT_EQ(CreateTestNamespace(server, "dl"), 201);
  const uint64_t size = 64 * kMiB;
  const std::string alice = TestJwt("alice");
  auto up = UploadPattern(*server.NewClient(), "/storage/dl/big", alice, 4,
                          size, false);
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 201);

  // A slow reader: 100 ms per MiB, so the body streams for seconds.
  std::atomic<bool> started{false};
  uint64_t got = 0;
  Sha256 sha;
  int status = -1;
  std::thread download([&] {
    httplib::Client slow("127.0.0.1", server.port());
    slow.set_read_timeout(60, 0);
    auto res = slow.Get("/storage/dl/big", Bearer(alice),
                        [&](const char* data, size_t n) {
                          if (got / kMiB != (got + n) / kMiB) {
                            started = true;
                            absl::SleepFor(absl::Milliseconds(100));
                          }
                          sha.Update(absl::string_view(data, n));
                          got += n;
                          return true;
                        });
    status = res ? res->status : -1;
  });
  while (!started) absl::SleepFor(absl::Milliseconds(10));
  kill(server.pid(), SIGTERM);
  download.join();
  EXPECT_EQ(status, 200);
  EXPECT_EQ(got, size);
  EXPECT_EQ(sha.FinishHex(), PatternSha256(4, size));
  int exited = server.WaitForExit();
  EXPECT_TRUE(WIFEXITED(exited) && WEXITSTATUS(exited) == 0) << exited;
}

// A drain that runs out of time cuts what is in flight: the process says so
// with a non-zero exit status, and the cut upload leaves nothing.
TEST(FrontendLifecycleTest, DrainTimeoutExitsNonZeroAndLeavesNothing) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start().ok());
  FrontendServer server(
      TestFrontendOptions(cluster, "frontend", "", {"--drain_timeout=500ms"}));
  ASSERT_TRUE(server.Start().ok());
  ASSERT_EQ(CreateTestNamespace(server, "cut"), 201);

  SlowUpload upload(server.port(), "/storage/cut/slow.bin");
  kill(server.pid(), SIGTERM);
  int status = server.WaitForExit();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3) << status;
  EXPECT_NE(upload.Status(), 201);
  std::ifstream log(cluster.dir() + "/frontend.log");
  std::string text(std::istreambuf_iterator<char>(log), {});
  EXPECT_NE(text.find("drain timed out with 1 requests still running"),
            std::string::npos)
      << text;
  EXPECT_EQ(cluster.NewClient()->Stat("/cut/slow.bin").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(FrontendLifecycleTest, StalledUploadIsTimedOutAndLeavesNothing) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start().ok());
  FrontendServer server(
      TestFrontendOptions(cluster, "frontend", "", {"--io_timeout=2s"}));
  ASSERT_TRUE(server.Start().ok());
  ASSERT_EQ(CreateTestNamespace(server, "stall"), 201);

  // 1 MiB of a promised 8 MiB, then silence for longer than the timeout;
  // the upload counts as active until the server gives the connection up.
  auto active_uploads = [&server] {
    std::string text = server.NewClient()->Get("/metrics")->body;
    const std::string key =
        "sfs_frontend_active_transfers{direction=\"upload\"} ";
    size_t at = text.find(key);
    return at == std::string::npos ? text : text.substr(at + key.size(), 1);
  };
  std::atomic<bool> stalled{false};
  int upload_status = -1;
  std::thread upload([&] {
    httplib::Client client("127.0.0.1", server.port());
    client.set_read_timeout(30, 0);
    auto res = client.Post(
        "/storage/stall/s.bin", Bearer(TestJwt("alice")), 8 * kMiB,
        [&](size_t offset, size_t, httplib::DataSink& sink) {
          if (offset >= kMiB) {
            stalled = true;
            absl::SleepFor(absl::Seconds(6));
            return false;
          }
          std::string piece = Pattern(2, offset, kMiB);
          return sink.write(piece.data(), piece.size());
        },
        "application/octet-stream");
    upload_status = res ? res->status : -1;
  });
  while (!stalled) absl::SleepFor(absl::Milliseconds(10));
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(active_uploads(), "1");
  absl::SleepFor(absl::Seconds(3));
  EXPECT_EQ(active_uploads(), "0");
  upload.join();
  EXPECT_NE(upload_status, 201);
  auto stat = cluster.NewClient()->Stat("/stall/s.bin");
  EXPECT_TRUE(absl::IsNotFound(stat.status())) << stat.status();
  // The server dropped only that connection.
  EXPECT_EQ(server.NewClient()->Get("/healthz")->status, 200);
}

}  // namespace
}  // namespace sfs
