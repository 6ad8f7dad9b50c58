// Attack: claiming to be someone else through X-Forwarded-For. Behind a
// proxy the frontend is told to trust (--trusted_proxies), the client that
// proxy names is the request's client: anonymous transfers belong to it,
// and the login throttle counts it. From anyone else the header is the
// client's own word and changes nothing.
#include <httplib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/frontend_http.h"
#include "tests/frontend_server.h"
#include "tests/test_cluster.h"

namespace sfs {
namespace {

// Uploads a small file through a signed URL, with no credentials, as the
// client `forwarded_for` names, under transfer id `id`.
void UploadAnonymously(FrontendServer& server, const std::string& id,
                       const std::string& forwarded_for) {
  const httplib::Headers alice = Bearer(TestJwt("alice"));
  auto client = server.NewClient();
  auto created =
      client->Post("/storage/namespaces", alice,
                   R"({"name":"fw","visibility":0})", "application/json");
  ASSERT_TRUE(created && (created->status == 201 || created->status == 409));
  auto signed_url =
      client->Post("/storage/sign/fw/" + id, alice,
                   R"({"method":"PUT","expires_in":60})", "application/json");
  ASSERT_TRUE(signed_url && signed_url->status == 200);
  const std::string url =
      nlohmann::json::parse(signed_url->body)["url"].get<std::string>();
  auto put =
      client->Put(url + "&id=" + id, {{"X-Forwarded-For", forwarded_for}},
                  "hello", "text/plain");
  ASSERT_TRUE(put);
  ASSERT_EQ(put->status, 201) << put->body;
}

// Whether an anonymous watcher of `id`, as the client `forwarded_for`
// names (none if empty), sees its progress within two seconds (a late
// watcher of a visible transfer gets its final event at once).
bool Sees(const FrontendServer& server, const std::string& id,
          const std::string& forwarded_for) {
  httplib::Client watcher("127.0.0.1", server.port());
  httplib::Headers headers;
  if (!forwarded_for.empty()) headers.emplace("X-Forwarded-For", forwarded_for);
  const absl::Time until = absl::Now() + absl::Seconds(2);
  std::string seen;
  watcher.Get(
      "/sse/progress?id=" + id, headers, [&](const char* data, size_t n) {
        seen.append(data, n);
        return seen.find("data: ") == std::string::npos && absl::Now() < until;
      });
  return seen.find("data: ") != std::string::npos;
}

TEST(ForwardedClientTest, OnlyATrustedProxyNamesTheClient) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start().ok());
  FrontendServer behind_proxy(TestFrontendOptions(
      cluster, "behind-proxy", "",
      {"--trusted_proxies=127.0.0.1/32", "--sse_keepalive=1s"}));
  FrontendServer exposed(
      TestFrontendOptions(cluster, "exposed", "", {"--sse_keepalive=1s"}));
  ASSERT_TRUE(behind_proxy.Start().ok());
  ASSERT_TRUE(exposed.Start().ok());

  // Behind the proxy (our loopback address), the transfer is the named
  // client's: neither another client nor the proxy itself sees it.
  UploadAnonymously(behind_proxy, "t1", "198.51.100.7");
  EXPECT_TRUE(Sees(behind_proxy, "t1", "198.51.100.7"));
  EXPECT_FALSE(Sees(behind_proxy, "t1", "198.51.100.8"));
  EXPECT_FALSE(Sees(behind_proxy, "t1", ""));
  // What the client itself wrote left of the proxy's entry is ignored.
  EXPECT_TRUE(Sees(behind_proxy, "t1", "198.51.100.8, 198.51.100.7"));

  // Without --trusted_proxies the header is nobody's word: every caller
  // here is 127.0.0.1, whatever it claims.
  UploadAnonymously(exposed, "t2", "198.51.100.7");
  EXPECT_TRUE(Sees(exposed, "t2", "198.51.100.8"));
  EXPECT_TRUE(Sees(exposed, "t2", ""));
}

TEST(ForwardedClientTest, ABadTrustedProxyListStopsTheFrontend) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start().ok());
  FrontendServer frontend(TestFrontendOptions(
      cluster, "frontend", "", {"--trusted_proxies=10.0.0.0/33"}));
  EXPECT_FALSE(frontend.Start().ok());
  // For that reason, named.
  std::ifstream log(cluster.dir() + "/frontend.log");
  std::stringstream text;
  text << log.rdbuf();
  EXPECT_NE(text.str().find("10.0.0.0/33"), std::string::npos) << text.str();
}

}  // namespace
}  // namespace sfs
