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
  for (const std::string& name :
       {std::string(""), std::string("."), std::string(".."),
        std::string(64, 'n'), std::string("a/b"), std::string("a b"),
        std::string("caf\xc3\xa9"), std::string("a%2f"),
        std::string("namespaces"), std::string("files"),
        std::string("download"), std::string("upload"), std::string("delete"),
        std::string("status"), std::string("sign"), std::string("uploads"),
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

}  // namespace
}  // namespace sfs::frontend
