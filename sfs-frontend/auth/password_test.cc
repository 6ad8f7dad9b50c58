#include "sfs-frontend/auth/password.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace sfs::frontend {
namespace {

TEST(PasswordTest, HashVerifiesOnlyTheRightPassword) {
  auto hash = HashPassword("correct horse battery staple");
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_TRUE(absl::StartsWith(*hash, "$argon2id$")) << *hash;
  EXPECT_TRUE(VerifyPassword("correct horse battery staple", *hash));
  EXPECT_FALSE(VerifyPassword("correct horse battery stapl", *hash));
  EXPECT_FALSE(VerifyPassword("", *hash));
}

TEST(PasswordTest, SamePasswordGetsDifferentSalts) {
  auto first = HashPassword("hunter2");
  auto second = HashPassword("hunter2");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(*first, *second);
  EXPECT_TRUE(VerifyPassword("hunter2", *second));
}

TEST(PasswordTest, MalformedHashNeverVerifies) {
  EXPECT_FALSE(VerifyPassword("hunter2", ""));
  EXPECT_FALSE(VerifyPassword("hunter2", "hunter2"));
  EXPECT_FALSE(VerifyPassword("hunter2", "$argon2id$v=19$m=65536,t=2,p=1$x$y"));
}

TEST(PasswordTest, EmptyPasswordRefused) {
  EXPECT_EQ(HashPassword("").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sfs::frontend
