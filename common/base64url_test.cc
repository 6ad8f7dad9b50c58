#include "common/base64url.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace sfs {
namespace {

TEST(Base64UrlTest, RoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    std::string decoded;
    ASSERT_TRUE(
        DecodeCanonicalBase64Url(absl::WebSafeBase64Escape(bytes), &decoded))
        << n;
    EXPECT_EQ(decoded, bytes);
    bytes.push_back(static_cast<char>(n * 37 + 250));
  }
}

TEST(Base64UrlTest, NonZeroPaddingBitsRejected) {
  // "A" encodes as "QQ": the second character carries 2 data bits and 4
  // padding bits. "QR".."QZ" decode to the same byte under a lax decoder.
  std::string out;
  ASSERT_TRUE(DecodeCanonicalBase64Url("QQ", &out));
  EXPECT_EQ(out, "A");
  for (const char* alias : {"QR", "QS", "QT", "QU", "QV", "QW"}) {
    EXPECT_FALSE(DecodeCanonicalBase64Url(alias, &out)) << alias;
  }
  // Two bytes: the third character carries 4 data bits and 2 padding bits.
  ASSERT_TRUE(DecodeCanonicalBase64Url("QUI", &out));  // "AB"
  EXPECT_FALSE(DecodeCanonicalBase64Url("QUJ", &out));
}

TEST(Base64UrlTest, OtherNonCanonicalFormsRejected) {
  std::string out;
  for (const char* bad : {"QQ==", "QUI=", "Q", "QQ QQ", "a+b/", "QQ\n",
                          "====", "QUJD=", "Q=Q="}) {
    EXPECT_FALSE(DecodeCanonicalBase64Url(bad, &out)) << bad;
  }
  EXPECT_TRUE(DecodeCanonicalBase64Url("", &out));
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(DecodeCanonicalBase64Url("-_-_", &out));
}

}  // namespace
}  // namespace sfs
