#include "sfs-frontend/catalog/names.h"

#include <string>

#include "gtest/gtest.h"

namespace sfs::frontend {
namespace {

TEST(NamespaceNameTest, Accepts) {
  for (const std::string& name :
       {std::string("a"), std::string("photos"),
        std::string("My.Photos_2024-x"), std::string("..."),
        std::string(".hidden"), std::string("Uploads"), std::string(63, 'n')}) {
    EXPECT_TRUE(ValidateNamespaceName(name).ok()) << name;
  }
}

TEST(NamespaceNameTest, Rejects) {
  for (const std::string& name : {std::string(""),
                                  std::string("."),
                                  std::string(".."),
                                  std::string(64, 'n'),
                                  std::string("a/b"),
                                  std::string("a b"),
                                  std::string("caf\xc3\xa9"),
                                  std::string("a%2f"),
                                  std::string("namespaces"),
                                  std::string("files"),
                                  std::string("download"),
                                  std::string("upload"),
                                  std::string("delete"),
                                  std::string("status"),
                                  std::string("sign"),
                                  std::string("uploads"),
                                  std::string("versions"),
                                  std::string("copy"),
                                  std::string("move"),
                                  std::string("v1"),
                                  std::string("a\0b", 3)}) {
    EXPECT_EQ(ValidateNamespaceName(name).code(),
              absl::StatusCode::kInvalidArgument)
        << name;
  }
}

TEST(UsernameTest, AcceptsAndRejects) {
  EXPECT_TRUE(ValidateUsername("alice").ok());
  EXPECT_TRUE(ValidateUsername("bob_smith-2").ok());
  EXPECT_TRUE(ValidateUsername(std::string(63, 'u')).ok());
  for (const std::string& name :
       {std::string(""), std::string("a.b"), std::string("a@b"),
        std::string(64, 'u'), std::string("a b")}) {
    EXPECT_EQ(ValidateUsername(name).code(), absl::StatusCode::kInvalidArgument)
        << name;
  }
}

TEST(SigningKeyIdTest, AcceptsAndRejects) {
  EXPECT_TRUE(ValidateSigningKeyId("2024-06_a").ok());
  EXPECT_TRUE(ValidateSigningKeyId(std::string(64, 'k')).ok());
  for (const std::string& id :
       {std::string(""), std::string("a.b"), std::string("a:b"),
        std::string(65, 'k'), std::string("a\0b", 3)}) {
    EXPECT_EQ(ValidateSigningKeyId(id).code(),
              absl::StatusCode::kInvalidArgument)
        << id;
  }
}

TEST(SingleUseIdTest, AcceptsAndRejects) {
  EXPECT_TRUE(ValidateSingleUseId("up:alice.photos_2024-x").ok());
  EXPECT_TRUE(ValidateSingleUseId(std::string(128, 'g')).ok());
  for (const std::string& id :
       {std::string(""), std::string("a/b"), std::string("a b"),
        std::string(129, 'g'), std::string("a\0b", 3)}) {
    EXPECT_EQ(ValidateSingleUseId(id).code(),
              absl::StatusCode::kInvalidArgument)
        << id;
  }
}

}  // namespace
}  // namespace sfs::frontend
