#include "sfs-frontend/server/range_header.h"

#include "gtest/gtest.h"

namespace sfs::frontend {
namespace {

TEST(RangeHeaderTest, ResolvesAndClipsSatisfiableRanges) {
  struct Case {
    const char* header;
    uint64_t offset;
    uint64_t length;
  };
  for (const Case& c : {Case{"bytes=10-19", 10, 10}, Case{"bytes=90-", 90, 10},
                        Case{"bytes=-30", 70, 30}, Case{"bytes=95-1000", 95, 5},
                        Case{"bytes=-1000", 0, 100}}) {
    auto range = ResolveRange(c.header, 100);
    ASSERT_TRUE(range.ok()) << c.header << ": " << range.status();
    ASSERT_TRUE(range->has_value()) << c.header;
    EXPECT_EQ((*range)->offset, c.offset) << c.header;
    EXPECT_EQ((*range)->length, c.length) << c.header;
  }
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
