// Attack: a login flood. Every /api/login attempt hashes a password with
// argon2id over 64 MiB; unthrottled, a few dozen parallel attempts take a
// replica's memory (48 at once would need 3 GiB). The frontend must answer
// the flood with 429s and Retry-After, keep its memory bounded, and lock
// the attacked username for a while whatever the password.
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "gtest/gtest.h"
#include "tests/frontend_http.h"
#include "tests/frontend_server.h"
#include "tests/test_cluster.h"

namespace sfs {
namespace {

TEST(LoginFloodTest, IsThrottledWithBoundedMemory) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start().ok());
  const std::string data = cluster.dir() + "/data";
  std::filesystem::create_directories(data);
  WriteTestJwtSecret(data + "/jwt.secret");
  setenv("SFS_PASSWORD", "carol-password", 1);
  CommandResult added =
      RunCommand({BinDir() + "/sfs", "user", "add", "carol", "--data=" + data});
  unsetenv("SFS_PASSWORD");
  ASSERT_EQ(added.exit_code, 0) << added.err;
  FrontendServer server({cluster.master_address(), cluster.tls_dir("frontend"),
                         data + "/frontend",
                         data + "/jwt.secret",
                         {},
                         cluster.dir() + "/fe.log"});
  ASSERT_TRUE(server.Start().ok());

  // 32 clients guess carol's password until the server locks her name.
  std::atomic<int> unauthorized{0};
  std::atomic<int> throttled{0};
  std::atomic<int> other{0};
  std::atomic<bool> locked{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < 32; ++c) {
    clients.emplace_back([&, c] {
      auto client = server.NewClient();
      for (int i = 0; i < 200 && !locked; ++i) {
        auto res = client->Post(
            "/api/login",
            absl::StrCat(R"({"username":"carol","password":"guess-)", c, "-", i,
                         R"("})"),
            "application/json");
        if (res && res->status == 401) {
          ++unauthorized;
        } else if (res && res->status == 429) {
          ++throttled;
          int seconds = 0;
          EXPECT_TRUE(absl::SimpleAtoi(res->get_header_value("Retry-After"),
                                       &seconds) &&
                      seconds >= 1)
              << res->get_header_value("Retry-After");
          auto body = nlohmann::json::parse(res->body, nullptr, false);
          EXPECT_EQ(body.value("code", ""), "too_many_requests") << res->body;
          if (body.value("error", "").find("for this user") !=
              std::string::npos) {
            locked = true;
          }
        } else {
          ++other;
        }
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_TRUE(locked);
  EXPECT_EQ(other, 0);
  EXPECT_GT(throttled, 0);
  // Five failures lock the name; up to three more were hashing meanwhile.
  EXPECT_LE(unauthorized, 8);
  // At most four hashes of 64 MiB at once, beside the frontend itself.
  EXPECT_LT(server.PeakRssKib(), 512 * 1024);

  // Now even the right password waits: the name is locked, not the
  // attacker's guesses only.
  auto right = server.NewClient()->Post(
      "/api/login", R"({"username":"carol","password":"carol-password"})",
      "application/json");
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 429);
  EXPECT_FALSE(right->get_header_value("Retry-After").empty());
}

}  // namespace
}  // namespace sfs
