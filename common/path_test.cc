#include "common/path.h"

#include <string>

#include "gtest/gtest.h"

namespace sfs {
namespace {

TEST(PathTest, AcceptsOrdinaryPaths) {
  EXPECT_TRUE(ValidateFilePath("/ns/a").ok());
  EXPECT_TRUE(ValidateFilePath("/my-ns_1.x/dir/sub/file.txt").ok());
  EXPECT_TRUE(ValidateFilePath("/ns/caf\xC3\xA9.txt").ok());
  EXPECT_TRUE(ValidateFilePath("/ns/..hidden").ok());
}

TEST(PathTest, RejectsTraversalAndEmptySegments) {
  for (const char* bad : {"", "ns/a", "/ns", "/ns/", "/ns/../x", "/ns/./x",
                          "/ns/a/..", "/ns//x", "/../x", "/./x", "/ns/a/"}) {
    absl::Status s = ValidateFilePath(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(PathTest, RejectsControlCharactersAndNul) {
  EXPECT_FALSE(ValidateFilePath(std::string("/ns/a\0b", 7)).ok());
  EXPECT_FALSE(ValidateFilePath("/ns/a\nb").ok());
  EXPECT_FALSE(ValidateFilePath("/ns/a\x7f").ok());
}

TEST(PathTest, RejectsInvalidUtf8) {
  EXPECT_FALSE(ValidateFilePath("/ns/\xC3").ok());          // truncated
  EXPECT_FALSE(ValidateFilePath("/ns/\xC0\xAF").ok());      // overlong '/'
  EXPECT_FALSE(ValidateFilePath("/ns/\xED\xA0\x80").ok());  // surrogate
  EXPECT_FALSE(ValidateFilePath("/ns/\xFF").ok());
}

TEST(PathTest, EnforcesLengthLimit) {
  std::string path = "/ns/";
  path += std::string(kMaxPathBytes - path.size(), 'a');
  EXPECT_TRUE(ValidateFilePath(path).ok());
  path += "a";
  EXPECT_FALSE(ValidateFilePath(path).ok());
}

TEST(PathTest, NamespaceNames) {
  EXPECT_TRUE(ValidateNamespaceName("a").ok());
  EXPECT_TRUE(ValidateNamespaceName(std::string(63, 'x')).ok());
  EXPECT_FALSE(ValidateNamespaceName(std::string(64, 'x')).ok());
  EXPECT_FALSE(ValidateNamespaceName("").ok());
  EXPECT_FALSE(ValidateNamespaceName("..").ok());
  EXPECT_FALSE(ValidateNamespaceName("a b").ok());
  EXPECT_FALSE(ValidateNamespaceName("a/b").ok());
}

TEST(PathTest, ListPrefixes) {
  EXPECT_TRUE(ValidateListPrefix("/ns/").ok());
  EXPECT_TRUE(ValidateListPrefix("/ns/dir/").ok());
  EXPECT_TRUE(ValidateListPrefix("/ns/dir/par").ok());
  EXPECT_FALSE(ValidateListPrefix("/ns").ok());
  EXPECT_FALSE(ValidateListPrefix("/ns/../").ok());
  EXPECT_FALSE(ValidateListPrefix("/ns//").ok());
}

TEST(PathTest, UrlPathsEncodeAllButUnreservedAndSlash) {
  EXPECT_EQ(UrlPath("photos/2024/a b+c?.png"), "photos/2024/a%20b%2Bc%3F.png");
  EXPECT_EQ(UrlPath("caf\xc3\xa9/~x_y-z#"), "caf%C3%A9/~x_y-z%23");
  EXPECT_EQ(PercentEncode("a b!", "!"), "a%20b!");
}

}  // namespace
}  // namespace sfs
