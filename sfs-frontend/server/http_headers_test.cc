#include "sfs-frontend/server/http_headers.h"

#include "gtest/gtest.h"
#include "sfs-frontend/files/media_type.h"

namespace sfs::frontend {
namespace {

TEST(HttpHeadersTest, AttachmentEncodesNonAsciiNames) {
  EXPECT_EQ(AttachmentDisposition("docs/report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf");
  EXPECT_EQ(AttachmentDisposition("r\xc3\xa9sum\xc3\xa9 \"x\".txt"),
            "attachment; filename=\"r__sum__ _x_.txt\"; "
            "filename*=UTF-8''r%C3%A9sum%C3%A9%20%22x%22.txt");
}

TEST(HttpHeadersTest, HttpDatesRoundTrip) {
  absl::Time t = absl::FromUnixSeconds(784111777);
  EXPECT_EQ(FormatHttpDate(t), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), t);
  EXPECT_FALSE(ParseHttpDate("yesterday").has_value());
}

TEST(MediaTypeTest, ByExtensionAndPassiveTypes) {
  EXPECT_EQ(MediaTypeForPath("a/b/Photo.JPG"), "image/jpeg");
  EXPECT_EQ(MediaTypeForPath("noext"), "application/octet-stream");
  EXPECT_EQ(MediaTypeForPath("dir.d/file"), "application/octet-stream");
  for (const char* passive :
       {"image/png", "image/jpeg", "text/plain; charset=utf-8", "audio/mpeg",
        "video/mp4", "application/pdf"}) {
    EXPECT_TRUE(IsPassiveInlineType(passive)) << passive;
  }
  for (const char* active :
       {"text/html", "image/svg+xml", "application/xhtml+xml", "text/xml",
        "application/xml", "application/javascript", "text/css",
        "application/octet-stream", "multipart/x-mixed-replace", ""}) {
    EXPECT_FALSE(IsPassiveInlineType(active)) << active;
  }
}

TEST(MediaTypeTest, DeclaredTypesAreOneTypeWithAtMostACharset) {
  EXPECT_EQ(*CanonicalMediaType("Text/Plain"), "text/plain");
  EXPECT_EQ(*CanonicalMediaType(" text/plain ;Charset=\"UTF-8\""),
            "text/plain; charset=utf-8");
  EXPECT_EQ(*CanonicalMediaType("image/svg+xml"), "image/svg+xml");
  for (const char* bad :
       {"text/html, image/png", "image/png; foo=bar",
        "text/plain; charset=a;x=1", "text", "text/", "/plain", "text/pl ain",
        "text/plain; charset=", "image/png\r\nX-Evil: 1", ""}) {
    EXPECT_EQ(CanonicalMediaType(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(MediaTypeTest, AllowListsWithWildcards) {
  EXPECT_TRUE(MediaTypeAllowed("text/plain", {}));
  EXPECT_TRUE(MediaTypeAllowed("image/png", {"image/*"}));
  EXPECT_TRUE(MediaTypeAllowed("Text/Plain; charset=utf-8", {"text/plain"}));
  EXPECT_FALSE(MediaTypeAllowed("text/plain", {"image/*", "application/pdf"}));
  EXPECT_FALSE(MediaTypeAllowed("imagex/png", {"image/*"}));
}

}  // namespace
}  // namespace sfs::frontend
