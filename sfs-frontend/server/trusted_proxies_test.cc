#include "sfs-frontend/server/trusted_proxies.h"

#include "gtest/gtest.h"

namespace sfs::frontend {
namespace {

TEST(TrustedProxiesTest, ParsesAddressesAndBlocks) {
  auto proxies = TrustedProxies::Parse(" 10.0.0.0/8, 192.168.1.7 ,fd00::/8");
  ASSERT_TRUE(proxies.ok()) << proxies.status();
  EXPECT_TRUE(proxies->Contains("10.255.0.1"));
  EXPECT_TRUE(proxies->Contains("::ffff:10.1.2.3"));  // IPv4-mapped
  EXPECT_TRUE(proxies->Contains("192.168.1.7"));
  EXPECT_FALSE(proxies->Contains("192.168.1.8"));
  EXPECT_FALSE(proxies->Contains("11.0.0.1"));
  EXPECT_TRUE(proxies->Contains("fd12::1"));
  EXPECT_FALSE(proxies->Contains("fe80::1"));
  EXPECT_FALSE(proxies->Contains("not an address"));
  EXPECT_TRUE(TrustedProxies::Parse("")->empty());
  EXPECT_TRUE(TrustedProxies::Parse("0.0.0.0/0")->Contains("8.8.8.8"));
  EXPECT_TRUE(TrustedProxies::Parse("10.0.0.0/12")->Contains("10.15.0.1"));
  EXPECT_FALSE(TrustedProxies::Parse("10.0.0.0/12")->Contains("10.16.0.1"));

  for (const char* bad : {"10.0.0.0/33", "fd00::/129", "10.0.0/8",
                          "example.com", "1.2.3.4/x", "1.2.3.4/-1"}) {
    auto parsed = TrustedProxies::Parse(bad);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(TrustedProxiesTest, FindsTheClientBehindTrustedHops) {
  auto proxies = TrustedProxies::Parse("10.0.0.0/8");
  ASSERT_TRUE(proxies.ok());
  // No trusted peer: the header is the client's word, ignored.
  EXPECT_EQ(proxies->ClientAddress("203.0.113.9", "1.1.1.1"), "203.0.113.9");
  // One trusted hop.
  EXPECT_EQ(proxies->ClientAddress("10.0.0.2", "198.51.100.4"), "198.51.100.4");
  // Two trusted hops; what the client wrote itself (left) is ignored.
  EXPECT_EQ(
      proxies->ClientAddress("10.0.0.2", "6.6.6.6, 198.51.100.4, 10.1.1.1"),
      "198.51.100.4");
  // Everything trusted: the leftmost.
  EXPECT_EQ(proxies->ClientAddress("10.0.0.2", "10.9.9.9,10.1.1.1"),
            "10.9.9.9");
  // No header, or garbage where a trusted hop should have written an
  // address: the last hop we can name.
  EXPECT_EQ(proxies->ClientAddress("10.0.0.2", ""), "10.0.0.2");
  EXPECT_EQ(proxies->ClientAddress("10.0.0.2", "1.2.3.4, unknown"), "10.0.0.2");
  EXPECT_EQ(proxies->ClientAddress("10.0.0.2", "2001:db8::1"), "2001:db8::1");
}

}  // namespace
}  // namespace sfs::frontend
