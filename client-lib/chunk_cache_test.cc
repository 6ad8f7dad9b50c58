#include "client-lib/chunk_cache.h"

#include <gtest/gtest.h>

namespace sfs {
namespace {

std::shared_ptr<const std::string> Bytes(size_t n, char c) {
  return std::make_shared<const std::string>(n, c);
}

ChunkIdentity Chunk(uint64_t handle, uint64_t length) {
  return ChunkIdentity{handle, 1, length, 7};
}

TEST(ChunkCacheTest, FindsOnlyTheExactIdentity) {
  ChunkCache cache(1000, 100);
  cache.Insert(Chunk(1, 10), Bytes(10, 'a'));
  ASSERT_NE(cache.Find(Chunk(1, 10)), nullptr);
  EXPECT_EQ(*cache.Find(Chunk(1, 10)), std::string(10, 'a'));
  // Another version, length or checksum of the same handle is another chunk.
  EXPECT_EQ(cache.Find(ChunkIdentity{1, 2, 10, 7}), nullptr);
  EXPECT_EQ(cache.Find(ChunkIdentity{1, 1, 11, 7}), nullptr);
  EXPECT_EQ(cache.Find(ChunkIdentity{1, 1, 10, 8}), nullptr);
}

TEST(ChunkCacheTest, RefusesChunksTooLargeOrNotWhole) {
  ChunkCache cache(1000, 100);
  EXPECT_FALSE(cache.Admits(0));
  EXPECT_FALSE(cache.Admits(101));
  cache.Insert(Chunk(1, 101), Bytes(101, 'a'));
  cache.Insert(Chunk(2, 50), Bytes(49, 'b'));  // not the whole chunk
  EXPECT_EQ(cache.Find(Chunk(1, 101)), nullptr);
  EXPECT_EQ(cache.Find(Chunk(2, 50)), nullptr);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(ChunkCacheTest, EvictsTheLeastRecentlyUsedBeyondItsCapacity) {
  ChunkCache cache(300, 100);
  cache.Insert(Chunk(1, 100), Bytes(100, '1'));
  cache.Insert(Chunk(2, 100), Bytes(100, '2'));
  cache.Insert(Chunk(3, 100), Bytes(100, '3'));
  ASSERT_NE(cache.Find(Chunk(1, 100)), nullptr);  // 2 is now the oldest
  cache.Insert(Chunk(4, 100), Bytes(100, '4'));
  EXPECT_EQ(cache.Find(Chunk(2, 100)), nullptr);
  EXPECT_NE(cache.Find(Chunk(1, 100)), nullptr);
  EXPECT_NE(cache.Find(Chunk(3, 100)), nullptr);
  EXPECT_NE(cache.Find(Chunk(4, 100)), nullptr);
  EXPECT_EQ(cache.bytes(), 300u);
}

TEST(ChunkCacheTest, AnEvictedEntryLivesOnWhileAReaderHoldsIt) {
  ChunkCache cache(100, 100);
  cache.Insert(Chunk(1, 100), Bytes(100, '1'));
  std::shared_ptr<const std::string> held = cache.Find(Chunk(1, 100));
  cache.Insert(Chunk(2, 100), Bytes(100, '2'));
  EXPECT_EQ(cache.Find(Chunk(1, 100)), nullptr);
  EXPECT_EQ(*held, std::string(100, '1'));
}

}  // namespace
}  // namespace sfs
