#include "chunkserver/scrubber.h"

#include <fcntl.h>
#include <unistd.h>

#include "absl/strings/str_format.h"
#include "common/testing/store_test_base.h"
#include "gtest/gtest.h"

namespace sfs {
namespace {

class ScrubberTest : public StoreTestBase<ChunkStore> {
 protected:
  void WriteSealed(uint64_t handle, uint64_t size) {
    auto appender = store_->OpenForAppend(handle, 1, 0);
    ASSERT_TRUE(appender.ok());
    ASSERT_TRUE((*appender)->Append(std::string(size, 'q')).ok());
    ASSERT_TRUE((*appender)->Seal().ok());
  }
  std::string DataPath(uint64_t handle) {
    return absl::StrFormat("%s/%016x.data", dir_, handle);
  }
};

TEST_F(ScrubberTest, QuarantinesFlippedAndTruncatedReplicasOnly) {
  WriteSealed(1, 300000);
  WriteSealed(2, 300000);
  WriteSealed(3, 300000);
  int fd = open(DataPath(1).c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, "Z", 1, 200000), 1);
  close(fd);
  ASSERT_EQ(truncate(DataPath(3).c_str(), 1000), 0);

  Scrubber scrubber(store_.get(), absl::Hours(1), /*bytes_per_second=*/0);
  EXPECT_EQ(scrubber.ScrubOnce(), 2);
  std::vector<SealedChunk> left = store_->ListSealed();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].handle, 2u);
  std::vector<SealedChunk> added;
  std::vector<uint64_t> removed, corrupt;
  store_->TakeChanges(&added, &removed, &corrupt);
  EXPECT_EQ(corrupt, (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(scrubber.ScrubOnce(), 0);
}

}  // namespace
}  // namespace sfs
