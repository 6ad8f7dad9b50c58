#include "sfs-frontend/server/multipart_reader.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace sfs::frontend {
namespace {

struct Parsed {
  std::vector<MultipartReader::PartHeader> parts;
  std::vector<std::string> bodies;
  absl::Status status;
};

// Parses `body` fed in pieces of `piece` bytes.
Parsed Parse(const std::string& type, const std::string& body, size_t piece) {
  Parsed out;
  auto reader = MultipartReader::Create(
      type,
      [&](const MultipartReader::PartHeader& h) {
        out.parts.push_back(h);
        out.bodies.emplace_back();
        return true;
      },
      [&](const char* data, size_t n) {
        out.bodies.back().append(data, n);
        return true;
      });
  if (!reader.ok()) {
    out.status = reader.status();
    return out;
  }
  for (size_t at = 0; at < body.size(); at += piece) {
    if (!reader->Feed(body.data() + at, std::min(piece, body.size() - at))) {
      break;
    }
  }
  out.status = reader->Finish();
  return out;
}

const char kType[] = "multipart/form-data; boundary=----formdata-undici-0376";

// What Node.js 18's fetch sends: fields, then the file; no CRLF after the
// close delimiter.
const std::string kNode18 =
    "------formdata-undici-0376\r\n"
    "Content-Disposition: form-data; name=\"cacheControl\"\r\n\r\n"
    "60\r\n"
    "------formdata-undici-0376\r\n"
    "Content-Disposition: form-data; name=\"\"; filename=\"blob\"\r\n"
    "Content-Type: text/plain\r\n\r\n"
    "hello\r\n--not-a-boundary\r\n"
    "\r\n"
    "------formdata-undici-0376--";

TEST(MultipartReaderTest, ParsesFieldsAndFileInAnyPieces) {
  for (size_t piece : {1, 2, 3, 7, 64, 4096}) {
    for (const std::string& ending : {"", "\r\n", "\r\nan epilogue\r\n"}) {
      SCOPED_TRACE(piece);
      Parsed p = Parse(kType, kNode18 + ending, piece);
      ASSERT_TRUE(p.status.ok()) << p.status;
      ASSERT_EQ(p.parts.size(), 2u);
      EXPECT_EQ(p.parts[0].name, "cacheControl");
      EXPECT_EQ(p.parts[0].filename, "");
      EXPECT_EQ(p.bodies[0], "60");
      EXPECT_EQ(p.parts[1].name, "");
      EXPECT_EQ(p.parts[1].filename, "blob");
      EXPECT_EQ(p.parts[1].content_type, "text/plain");
      EXPECT_EQ(p.bodies[1], "hello\r\n--not-a-boundary\r\n");
    }
  }
}

TEST(MultipartReaderTest, PreamblePaddingQuotesAndCase) {
  const std::string body =
      "a preamble\r\n--b  \t\r\n"
      "content-disposition: FORM-DATA; filename=\"x \\\"y\\\".txt\"; "
      "name=file\r\n\r\n"
      "\r\n--b--";
  Parsed p = Parse("Multipart/Form-Data; boundary=\"b\"", body, 5);
  ASSERT_TRUE(p.status.ok()) << p.status;
  ASSERT_EQ(p.parts.size(), 1u);
  EXPECT_EQ(p.parts[0].name, "file");
  EXPECT_EQ(p.parts[0].filename, "x \"y\".txt");
  EXPECT_EQ(p.bodies[0], "");
}

TEST(MultipartReaderTest, RefusesMalformedBodies) {
  // No boundary, or not multipart.
  EXPECT_FALSE(Parse("multipart/form-data", "", 1).status.ok());
  EXPECT_FALSE(Parse("text/plain; boundary=b", "", 1).status.ok());
  // Cut short: inside a part, and before the close delimiter's dashes.
  EXPECT_FALSE(Parse(kType, kNode18.substr(0, 120), 9).status.ok());
  EXPECT_FALSE(
      Parse(kType, kNode18.substr(0, kNode18.size() - 2), 9).status.ok());
  // A boundary that never comes.
  EXPECT_FALSE(Parse(kType, std::string(100000, 'x'), 4096).status.ok());
  // A part without Content-Disposition.
  EXPECT_FALSE(Parse("multipart/form-data; boundary=b",
                     "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", 3)
                   .status.ok());
  // Endless part headers stop at the limit.
  Parsed endless = Parse(
      "multipart/form-data; boundary=b",
      "--b\r\nX: " + std::string(MultipartReader::kMaxPartHeaderBytes, 'h'),
      1000);
  EXPECT_FALSE(endless.status.ok());
  EXPECT_NE(std::string(endless.status.message()).find("part headers"),
            std::string::npos);
}

TEST(MultipartReaderTest, AHandlerCanStopTheParse) {
  auto reader = MultipartReader::Create(
      kType, [](const MultipartReader::PartHeader&) { return false; },
      [](const char*, size_t) { return true; });
  ASSERT_TRUE(reader.ok());
  EXPECT_FALSE(reader->Feed(kNode18.data(), kNode18.size()));
  EXPECT_FALSE(reader->Finish().ok());
}

}  // namespace
}  // namespace sfs::frontend
