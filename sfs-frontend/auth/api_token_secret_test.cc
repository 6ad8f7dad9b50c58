#include "sfs-frontend/auth/api_token_secret.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace sfs::frontend {
namespace {

TEST(ApiTokenSecretTest, SecretsAreFreshAndPrefixed) {
  std::string a = NewApiTokenSecret();
  std::string b = NewApiTokenSecret();
  EXPECT_NE(a, b);
  EXPECT_TRUE(absl::StartsWith(a, "sfs_"));
  EXPECT_EQ(a.size(), 4 + 43);  // 32 bytes in unpadded base64url
}

TEST(ApiTokenSecretTest, HashIsSha256Hex) {
  EXPECT_EQ(ApiTokenSecretHash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace sfs::frontend
