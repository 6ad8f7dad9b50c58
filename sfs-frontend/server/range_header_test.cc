#include "sfs-frontend/server/range_header.h"

#include "gtest/gtest.h"

namespace sfs::frontend {
namespace {

ByteRange Resolved(absl::string_view header, uint64_t size) {
  auto range = ResolveRange(header, size);
  EXPECT_TRUE(range.ok()) << range.status();
  EXPECT_TRUE(range.ok() && range->has_value()) << header;
  return range.ok() && range->has_value() ? **range : ByteRange{};
}

TEST(RangeHeaderTest, ClosedOpenAndSuffixRanges) {
  ByteRange r = Resolved("bytes=10-19", 100);
  EXPECT_EQ(r.offset, 10u);
  EXPECT_EQ(r.length, 10u);
  r = Resolved("bytes=90-", 100);
  EXPECT_EQ(r.offset, 90u);
  EXPECT_EQ(r.length, 10u);
  r = Resolved("bytes=-30", 100);
  EXPECT_EQ(r.offset, 70u);
  EXPECT_EQ(r.length, 30u);
}

TEST(RangeHeaderTest, ClipsEndsPastTheFile) {
  ByteRange r = Resolved("bytes=95-1000", 100);
  EXPECT_EQ(r.offset, 95u);
  EXPECT_EQ(r.length, 5u);
  r = Resolved("bytes=-1000", 100);
  EXPECT_EQ(r.offset, 0u);
  EXPECT_EQ(r.length, 100u);
}

TEST(RangeHeaderTest, UnsatisfiableRangesAreOutOfRange) {
  EXPECT_EQ(ResolveRange("bytes=100-", 100).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ResolveRange("bytes=0-0", 0).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ResolveRange("bytes=-0", 100).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST(RangeHeaderTest, IgnoresWhatItCannotServe) {
  for (absl::string_view header : {"", "items=0-1", "bytes=5-1", "bytes=a-b",
                                   "bytes=0-1,4-5", "bytes=+1-2", "bytes=-"}) {
    auto range = ResolveRange(header, 100);
    ASSERT_TRUE(range.ok()) << header;
    EXPECT_FALSE(range->has_value()) << header;
  }
}

}  // namespace
}  // namespace sfs::frontend
