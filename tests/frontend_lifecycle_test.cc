// sfs-frontend around its requests: accounts made with the `sfs` CLI, and
// a graceful drain on SIGTERM that lets an in-flight upload finish.
#include <httplib.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
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
}

TEST(FrontendLifecycleTest, SigtermDrainsInFlightUploads) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start().ok());
  FrontendServer server(
      TestFrontendOptions(cluster, "frontend", "", {"--drain_timeout=60s"}));
  ASSERT_TRUE(server.Start().ok());
  const std::string alice = TestJwt("alice");
  ASSERT_EQ(CreateTestNamespace(server, "drain"), 201);

  // A slow upload: 16 MiB at about 8 MiB/s.
  const uint64_t size = 16 * kMiB;
  std::atomic<bool> started{false};
  int upload_status = -1;
  std::thread upload([&] {
    httplib::Client slow("127.0.0.1", server.port());
    slow.set_read_timeout(60, 0);
    auto res = slow.Post(
        "/storage/drain/slow.bin", Bearer(alice), size,
        [&](size_t offset, size_t, httplib::DataSink& sink) {
          std::string piece = Pattern(9, offset, kMiB);
          started = true;
          absl::SleepFor(absl::Milliseconds(125));
          return sink.write(piece.data(), piece.size());
        },
        "application/octet-stream");
    upload_status = res ? res->status : -1;
  });
  while (!started) absl::SleepFor(absl::Milliseconds(10));
  absl::SleepFor(absl::Milliseconds(300));
  kill(server.pid(), SIGTERM);
  absl::SleepFor(absl::Milliseconds(300));
  // No new connections once draining.
  httplib::Client late("127.0.0.1", server.port());
  EXPECT_FALSE(late.Get("/healthz"));
  upload.join();
  EXPECT_EQ(upload_status, 201);
  int status = server.WaitForExit();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  auto reader = cluster.NewClient()->Stat("/drain/slow.bin");
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->sha256, PatternSha256(9, size));
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
