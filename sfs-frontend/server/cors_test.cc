#include "sfs-frontend/server/cors.h"

#include <httplib.h>

#include "gtest/gtest.h"

namespace sfs::frontend {
namespace {

TEST(CorsPolicyTest, ExactAndWildcardOrigins) {
  auto policy = CorsPolicy::Parse(
      "https://cloud.example.com, http://localhost:5173,https://*.example.org");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_TRUE(policy->Allows("https://cloud.example.com"));
  EXPECT_TRUE(policy->Allows("https://CLOUD.example.com"));
  EXPECT_TRUE(policy->Allows("http://localhost:5173"));
  EXPECT_TRUE(policy->Allows("https://a.example.org"));
  EXPECT_TRUE(policy->Allows("https://a.b.example.org"));
  for (const char* refused :
       {"http://cloud.example.com", "https://cloud.example.com:8443",
        "https://storage.example.com", "http://localhost:5174",
        "https://example.org", "https://evilexample.org",
        "http://a.example.org", "https://a.example.org:444",
        "https://x/.example.org", "null", ""}) {
    EXPECT_FALSE(policy->Allows(refused)) << refused;
  }
  EXPECT_FALSE(CorsPolicy().Allows("https://cloud.example.com"));
}

TEST(CorsPolicyTest, MalformedEntriesAreRefused) {
  for (const char* bad : {"*", "cloud.example.com", "https://a.com/path",
                          "https://a.*.com", "ftp://a.com", "https://"}) {
    EXPECT_EQ(CorsPolicy::Parse(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_TRUE(CorsPolicy::Parse("").ok());
}

TEST(CorsPolicyTest, PreflightsAndAnswers) {
  auto policy = CorsPolicy::Parse("https://cloud.example.com");
  ASSERT_TRUE(policy.ok());
  httplib::Request preflight;
  preflight.method = "OPTIONS";
  preflight.headers = {{"Origin", "https://cloud.example.com"},
                       {"Access-Control-Request-Method", "POST"}};
  httplib::Response res;
  ASSERT_TRUE(policy->Apply(preflight, res));
  EXPECT_EQ(res.status, 204);
  EXPECT_EQ(res.get_header_value("Access-Control-Allow-Origin"),
            "https://cloud.example.com");
  EXPECT_EQ(res.get_header_value("Access-Control-Allow-Credentials"), "true");
  EXPECT_NE(res.get_header_value("Access-Control-Allow-Headers")
                .find("X-Transfer-Id"),
            std::string::npos);
  EXPECT_NE(res.get_header_value("Access-Control-Allow-Methods").find("PATCH"),
            std::string::npos);

  httplib::Request other = preflight;
  other.headers = {{"Origin", "https://evil.example"},
                   {"Access-Control-Request-Method", "POST"}};
  httplib::Response refused;
  ASSERT_TRUE(policy->Apply(other, refused));
  EXPECT_EQ(refused.status, 403);
  EXPECT_FALSE(refused.has_header("Access-Control-Allow-Origin"));

  // Ordinary requests: headers for the allowed origin only, never handled.
  httplib::Request get;
  get.method = "GET";
  get.headers = {{"Origin", "https://cloud.example.com"}};
  httplib::Response answer;
  EXPECT_FALSE(policy->Apply(get, answer));
  EXPECT_EQ(answer.get_header_value("Access-Control-Allow-Origin"),
            "https://cloud.example.com");
  EXPECT_EQ(answer.get_header_value("Vary"), "Origin");
  get.headers = {{"Origin", "https://evil.example"}};
  httplib::Response plain;
  EXPECT_FALSE(policy->Apply(get, plain));
  EXPECT_FALSE(plain.has_header("Access-Control-Allow-Origin"));
  EXPECT_FALSE(plain.has_header("Access-Control-Allow-Credentials"));
}

}  // namespace
}  // namespace sfs::frontend
