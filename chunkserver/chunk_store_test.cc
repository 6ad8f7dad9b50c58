#include "chunkserver/chunk_store.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "absl/strings/str_format.h"
#include "common/checksum.h"
#include "common/testing/store_test_base.h"
#include "gtest/gtest.h"

namespace sfs {
namespace {

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

class ChunkStoreTest : public StoreTestBase<ChunkStore> {
 protected:
  // Bytes of the seal record ending a sealed chunk's .crc.
  static constexpr uint64_t kSealRecord = 32;
  std::string DataPath(uint64_t handle) {
    return absl::StrFormat("%s/%016x.data", dir_, handle);
  }
  std::string CrcPath(uint64_t handle) {
    return absl::StrFormat("%s/%016x.crc", dir_, handle);
  }
  std::string ReadAll(uint64_t handle, uint64_t version) {
    auto reader = store_->OpenForRead(handle, version);
    EXPECT_TRUE(reader.ok()) << reader.status();
    std::string all, piece;
    for (uint64_t off = 0;; off += piece.size()) {
      absl::Status s = (*reader)->ReadAt(off, 100000, &piece);
      EXPECT_TRUE(s.ok()) << s;
      if (piece.empty()) break;
      all += piece;
    }
    return all;
  }
  void WriteSealed(uint64_t handle, const std::string& data, size_t piece) {
    auto appender = store_->OpenForAppend(handle, 1, 0);
    ASSERT_TRUE(appender.ok()) << appender.status();
    for (size_t off = 0; off < data.size(); off += piece) {
      ASSERT_TRUE(
          (*appender)->Append(absl::string_view(data).substr(off, piece)).ok());
    }
    ASSERT_TRUE((*appender)->Seal().ok());
  }
};

TEST_F(ChunkStoreTest, RoundTripsWithUnalignedAppends) {
  std::string data = RandomBytes(3 * kChunkBlockBytes + 1234, 1);
  WriteSealed(7, data, 10007);
  EXPECT_EQ(ReadAll(7, 1), data);
  std::string mid;
  auto reader = store_->OpenForRead(7, 1);
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE((*reader)->ReadAt(kChunkBlockBytes - 5, 10, &mid).ok());
  EXPECT_EQ(mid, data.substr(kChunkBlockBytes - 5, 10));
}

TEST_F(ChunkStoreTest, SealReturnsWholeChunkCrc) {
  std::string data = RandomBytes(200000, 2);
  auto appender = store_->OpenForAppend(1, 1, 0);
  ASSERT_TRUE(appender.ok());
  ASSERT_TRUE((*appender)->Append(data).ok());
  auto crc = (*appender)->Seal();
  ASSERT_TRUE(crc.ok());
  EXPECT_EQ(*crc, ComputeCrc32c(data));
}

TEST_F(ChunkStoreTest, FlippedByteOnDiskIsDataLoss) {
  std::string data = RandomBytes(2 * kChunkBlockBytes, 3);
  WriteSealed(9, data, 1 << 20);
  int fd = open(DataPath(9).c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  char c;
  ASSERT_EQ(pread(fd, &c, 1, kChunkBlockBytes + 17), 1);
  c ^= 0x01;
  ASSERT_EQ(pwrite(fd, &c, 1, kChunkBlockBytes + 17), 1);
  close(fd);

  auto reader = store_->OpenForRead(9, 1);
  ASSERT_TRUE(reader.ok());
  std::string out;
  EXPECT_TRUE((*reader)->ReadAt(0, 100, &out).ok());  // first block is fine
  EXPECT_EQ((*reader)->ReadAt(kChunkBlockBytes, 100, &out).code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(ChunkStoreTest, TruncatedFileIsDataLoss) {
  WriteSealed(4, RandomBytes(300000, 4), 65536);
  ASSERT_EQ(truncate(DataPath(4).c_str(), 100000), 0);
  auto reader = store_->OpenForRead(4, 1);
  ASSERT_TRUE(reader.ok());
  std::string out;
  EXPECT_EQ((*reader)->ReadAt(200000, 100, &out).code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(ChunkStoreTest, SealedChunksSurviveReopenOpenOnesDoNot) {
  std::string data = RandomBytes(5000, 5);
  WriteSealed(1, data, 5000);
  {
    auto open = store_->OpenForAppend(2, 1, 0);
    ASSERT_TRUE(open.ok());
    ASSERT_TRUE((*open)->Append("partial").ok());
  }
  Reopen();
  auto sealed = store_->ListSealed();
  ASSERT_EQ(sealed.size(), 1u);
  EXPECT_EQ(sealed[0].handle, 1u);
  EXPECT_EQ(sealed[0].length, 5000u);
  EXPECT_EQ(ReadAll(1, 1), data);
  EXPECT_EQ(store_->OpenForRead(2, 1).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(DataPath(2)));
}

// A new chunk has no seal record until it is sealed; a sealed .crc some
// earlier replica of the handle left on disk is emptied before the new
// bytes land, so a crash mid-write cannot pass them off as that chunk.
TEST_F(ChunkStoreTest, ANewChunkRemovesAStaleSealBeforeWriting) {
  std::string data = RandomBytes(5000, 6);
  WriteSealed(1, data, 5000);
  ASSERT_EQ(std::filesystem::file_size(CrcPath(1)), 4u + kSealRecord);
  {
    auto open = store_->OpenForAppend(2, 1, 0);
    ASSERT_TRUE(open.ok());
    ASSERT_TRUE((*open)->Append("partial").ok());
    EXPECT_EQ(std::filesystem::file_size(CrcPath(2)), 4u);
  }
  // Handle 3's stale files claim a sealed chunk of 5000 bytes.
  std::filesystem::copy_file(CrcPath(1), CrcPath(3));
  std::filesystem::copy_file(DataPath(1), DataPath(3));
  {
    auto open = store_->OpenForAppend(3, 1, 0);
    ASSERT_TRUE(open.ok()) << open.status();
    EXPECT_EQ(std::filesystem::file_size(CrcPath(3)), 0u);
    ASSERT_TRUE((*open)->Append("new bytes").ok());
  }
  Reopen();  // as after a crash: neither open chunk is kept
  auto listed = store_->ListSealed();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].handle, 1u);
  EXPECT_EQ(ReadAll(1, 1), data);
}

// A seal record or block CRC torn by a crash reads as no seal: the chunk
// is dropped at load, as an open one is, and the log says why.
TEST_F(ChunkStoreTest, ATornSealRecordIsNoSeal) {
  const std::string data = RandomBytes(3 * kChunkBlockBytes, 8);
  const uint64_t size = 3 * 4 + kSealRecord;
  for (uint64_t at : {uint64_t{0}, uint64_t{5}, size - 13, size - 1}) {
    WriteSealed(1, data, 10000);
    WriteSealed(2, data, 10000);
    ASSERT_EQ(std::filesystem::file_size(CrcPath(2)), size);
    {
      std::fstream crc(CrcPath(2),
                       std::ios::in | std::ios::out | std::ios::binary);
      crc.seekg(at);
      char byte = 0;
      crc.get(byte);
      crc.seekp(at);
      crc.put(static_cast<char>(byte ^ 0x20));
    }
    testing::internal::CaptureStderr();
    Reopen();
    const std::string logged = testing::internal::GetCapturedStderr();
    EXPECT_NE(logged.find("chunk 2: seal record or block CRCs do not verify"),
              std::string::npos)
        << logged;
    auto listed = store_->ListSealed();
    ASSERT_EQ(listed.size(), 1u) << "flipped byte " << at;
    EXPECT_EQ(listed[0].handle, 1u);
    EXPECT_FALSE(std::filesystem::exists(DataPath(2)));
    ASSERT_TRUE(store_->Delete(1).ok());
  }
}

// A store written before seal records marks sealed chunks with a .meta; it
// loads as it always did.
TEST_F(ChunkStoreTest, LegacyMetaFilesStillMarkSealedChunks) {
  const std::string data = RandomBytes(100000, 9);
  WriteSealed(4, data, 100000);
  std::filesystem::resize_file(CrcPath(4), 2 * 4);  // no seal record
  std::ofstream(absl::StrFormat("%s/%016x.meta", dir_, 4))
      << "1 100000 1 " << ComputeCrc32c(data) << "\n";
  Reopen();
  auto listed = store_->ListSealed();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].length, 100000u);
  EXPECT_EQ(ReadAll(4, 1), data);
}

TEST_F(ChunkStoreTest, ResumeAtOffsetTruncatesUnacknowledgedBytes) {
  std::string data = RandomBytes(150000, 6);
  {
    auto a = store_->OpenForAppend(3, 2, 0);
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE((*a)->Append(data.substr(0, 100000)).ok());
    ASSERT_TRUE((*a)->Append("garbage that was never acknowledged").ok());
  }
  auto a = store_->OpenForAppend(3, 2, 100000);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE((*a)->Append(data.substr(100000)).ok());
  // The chunk's CRC covers the kept bytes, not the cut-off garbage.
  auto crc = (*a)->Seal();
  ASSERT_TRUE(crc.ok()) << crc.status();
  EXPECT_EQ(*crc, ComputeCrc32c(data));
  a->reset();
  EXPECT_EQ(ReadAll(3, 2), data);
}

TEST_F(ChunkStoreTest, IdleOpenChunksAreDropped) {
  WriteSealed(1, "sealed", 6);
  {
    auto open = store_->OpenForAppend(2, 1, 0);
    ASSERT_TRUE(open.ok());
    ASSERT_TRUE((*open)->Append("abandoned by its pipeline").ok());
    // Being written: never dropped, however long ago it started.
    EXPECT_EQ(store_->DropIdleOpenChunks(absl::ZeroDuration()), 0);
  }
  EXPECT_EQ(store_->DropIdleOpenChunks(absl::Hours(1)), 0);  // recent
  EXPECT_EQ(store_->DropIdleOpenChunks(absl::Seconds(-10)), 1);
  EXPECT_FALSE(std::filesystem::exists(DataPath(2)));
  EXPECT_EQ(ReadAll(1, 1), "sealed");
}

TEST_F(ChunkStoreTest, RejectsBadOpens) {
  WriteSealed(5, "abc", 3);
  EXPECT_EQ(store_->OpenForAppend(5, 1, 2).status().code(),
            absl::StatusCode::kFailedPrecondition);
  {
    // At its full length a sealed chunk reopens, as a pipeline resuming
    // during the seal needs: no more bytes, the same CRC.
    auto sealed = store_->OpenForAppend(5, 1, 3);
    ASSERT_TRUE(sealed.ok()) << sealed.status();
    EXPECT_FALSE((*sealed)->Append("x").ok());
    auto crc = (*sealed)->Seal();
    ASSERT_TRUE(crc.ok());
    EXPECT_EQ(*crc, ComputeCrc32c("abc"));
  }
  Reopen();
  auto crc_after_restart = store_->OpenForAppend(5, 1, 3);
  ASSERT_TRUE(crc_after_restart.ok());
  EXPECT_EQ(*(*crc_after_restart)->Seal(), ComputeCrc32c("abc"));
  EXPECT_EQ(store_->OpenForAppend(6, 1, 10).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->OpenForRead(5, 2).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->OpenForRead(99, 1).status().code(),
            absl::StatusCode::kNotFound);
  auto a = store_->OpenForAppend(8, 1, 0);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(store_->OpenForAppend(8, 1, 0).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ((*a)->Append(std::string(kMaxChunkBytes + 1, 'x')).code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(ChunkStoreTest, DeleteReportsRemoval) {
  WriteSealed(10, "xyz", 3);
  WriteSealed(11, "uvw", 3);
  std::vector<SealedChunk> added;
  std::vector<uint64_t> removed, corrupt;
  store_->TakeChanges(&added, &removed, &corrupt);
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(store_->used_bytes(), 6u);
  ASSERT_TRUE(store_->Delete(10).ok());
  store_->Quarantine(11);
  store_->TakeChanges(&added, &removed, &corrupt);
  EXPECT_TRUE(added.empty());
  EXPECT_EQ(removed, (std::vector<uint64_t>{10, 11}));
  EXPECT_EQ(corrupt, (std::vector<uint64_t>{11}));
  EXPECT_FALSE(std::filesystem::exists(DataPath(10)));
  EXPECT_FALSE(std::filesystem::exists(DataPath(11)));
  EXPECT_EQ(store_->used_bytes(), 0u);
}

// A writer whose chunk was deleted under it, and opened again by another,
// changes nothing of the new writer's chunk when it appends or ends.
TEST_F(ChunkStoreTest, AWriterWhoseChunkWasReopenedChangesNothing) {
  auto old_writer = store_->OpenForAppend(9, 1, 0);
  ASSERT_TRUE(old_writer.ok());
  ASSERT_TRUE((*old_writer)->Append("old bytes").ok());
  ASSERT_TRUE(store_->Delete(9).ok());
  auto new_writer = store_->OpenForAppend(9, 1, 0);
  ASSERT_TRUE(new_writer.ok()) << new_writer.status();
  ASSERT_TRUE((*new_writer)->Append("new").ok());

  EXPECT_EQ((*old_writer)->Append("more").code(), absl::StatusCode::kAborted);
  old_writer->reset();
  // Still the new writer's: nobody else may open it.
  EXPECT_EQ(store_->OpenForAppend(9, 1, 0).status().code(),
            absl::StatusCode::kAborted);
  ASSERT_TRUE((*new_writer)->Seal().ok());
  EXPECT_EQ(ReadAll(9, 1), "new");
}

TEST_F(ChunkStoreTest, AbandonDeletesTheChunkUnlessItWasReopened) {
  auto abandoned = store_->OpenForAppend(4, 1, 0);
  ASSERT_TRUE(abandoned.ok());
  ASSERT_TRUE((*abandoned)->Append("partial").ok());
  (*abandoned)->Abandon();
  EXPECT_FALSE(std::filesystem::exists(DataPath(4)));
  EXPECT_EQ(store_->chunk_count(), 0u);
  abandoned->reset();

  // Abandoning a chunk deleted and opened again by another writer leaves
  // the other writer's chunk alone.
  auto stale = store_->OpenForAppend(5, 1, 0);
  ASSERT_TRUE(stale.ok());
  ASSERT_TRUE(store_->Delete(5).ok());
  WriteSealed(5, "sealed by the new writer", 7);
  (*stale)->Abandon();
  stale->reset();
  EXPECT_EQ(ReadAll(5, 1), "sealed by the new writer");
}

TEST(ChunkStoreCapacityTest, RefusesWritesPastCapacity) {
  char tmpl[] = "/tmp/chunk_store_capacity.XXXXXX";
  std::string dir = mkdtemp(tmpl);
  {
    auto store = ChunkStore::Open(dir, /*capacity_bytes=*/100000);
    ASSERT_TRUE(store.ok());
    auto a = (*store)->OpenForAppend(1, 1, 0);
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE((*a)->Append(std::string(90000, 'x')).ok());
    EXPECT_EQ((*a)->Append(std::string(20000, 'y')).code(),
              absl::StatusCode::kResourceExhausted);
    EXPECT_LE((*store)->free_bytes(), 10000u);
    EXPECT_FALSE((*store)->disk_failed());
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sfs
