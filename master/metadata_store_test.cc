#include "master/metadata_store.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/testing/store_test_base.h"
#include "gtest/gtest.h"

namespace sfs {
namespace {

class MetadataStoreTest : public StoreTestBase<MetadataStore> {
 protected:
  // Writes a complete file of `chunk_lengths` chunks; returns its handles.
  std::vector<uint64_t> WriteFile(const std::string& path,
                                  std::vector<uint64_t> chunk_lengths,
                                  uint32_t keep_versions = 0, int64_t now = 4) {
    auto upload = store_->CreateUpload(path, 1);
    EXPECT_TRUE(upload.ok());
    std::vector<uint64_t> handles;
    uint64_t size = 0;
    for (uint64_t length : chunk_lengths) {
      auto chunk = store_->AllocateChunk(upload->upload_id(), 2);
      EXPECT_TRUE(chunk.ok());
      EXPECT_TRUE(
          store_
              ->CommitChunk(upload->upload_id(), chunk->handle(), length, 7, 3)
              .ok());
      handles.push_back(chunk->handle());
      size += length;
    }
    std::vector<uint64_t> released;
    auto file =
        store_->CompleteUpload(upload->upload_id(), size, "abc", "text/plain",
                               now, keep_versions, &released);
    EXPECT_TRUE(file.ok()) << file.status();
    return handles;
  }
};

TEST_F(MetadataStoreTest, PendingUploadIsInvisibleUntilComplete) {
  auto upload = store_->CreateUpload("/ns/a", 1);
  ASSERT_TRUE(upload.ok());
  auto chunk = store_->AllocateChunk(upload->upload_id(), 2);
  ASSERT_TRUE(chunk.ok());
  EXPECT_EQ(store_->GetFile("/ns/a").status().code(),
            absl::StatusCode::kNotFound);
  std::vector<uint64_t> released;
  // Not committed yet: completion must refuse.
  EXPECT_EQ(
      store_->CompleteUpload(upload->upload_id(), 0, "", "", 3, 0, &released)
          .status()
          .code(),
      absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(
      store_->CommitChunk(upload->upload_id(), chunk->handle(), 10, 1, 3).ok());
  // Size must match the committed bytes.
  EXPECT_FALSE(
      store_->CompleteUpload(upload->upload_id(), 11, "", "", 3, 0, &released)
          .ok());
  auto file = store_->CompleteUpload(upload->upload_id(), 10, "h", "t", 4, 0,
                                     &released);
  ASSERT_TRUE(file.ok());
  EXPECT_TRUE(released.empty());
  auto got = store_->GetFile("/ns/a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->size(), 10u);
  EXPECT_EQ(got->chunks_size(), 1);
  EXPECT_EQ(store_->GetUpload(upload->upload_id()).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(MetadataStoreTest, StateSurvivesReopenAndHandlesAreNeverReused) {
  std::vector<uint64_t> first = WriteFile("/ns/a", {5, 6});
  auto pending = store_->CreateUpload("/ns/b", 1);
  ASSERT_TRUE(pending.ok());
  Reopen();
  auto file = store_->GetFile("/ns/a");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->size(), 11u);
  EXPECT_TRUE(store_->GetUpload(pending->upload_id()).ok());
  EXPECT_EQ(store_->file_count(), 1u);
  EXPECT_EQ(store_->chunk_count(), 2u);
  std::vector<uint64_t> second = WriteFile("/ns/c", {1});
  EXPECT_GT(second[0], first[1]);
}

TEST_F(MetadataStoreTest, OverwriteReleasesOldChunks) {
  std::vector<uint64_t> old_chunks = WriteFile("/ns/a", {5, 6});
  auto upload = store_->CreateUpload("/ns/a", 1);
  auto chunk = store_->AllocateChunk(upload->upload_id(), 2);
  ASSERT_TRUE(
      store_->CommitChunk(upload->upload_id(), chunk->handle(), 3, 0, 3).ok());
  std::vector<uint64_t> released;
  ASSERT_TRUE(
      store_->CompleteUpload(upload->upload_id(), 3, "x", "", 4, 0, &released)
          .ok());
  EXPECT_EQ(released, old_chunks);
  for (uint64_t h : old_chunks) {
    EXPECT_EQ(store_->GetChunk(h).status().code(), absl::StatusCode::kNotFound);
  }
  EXPECT_EQ(store_->GetFile("/ns/a")->size(), 3u);
  EXPECT_EQ(store_->file_count(), 1u);
  EXPECT_EQ(store_->chunk_count(), 1u);
}

TEST_F(MetadataStoreTest, OverwriteKeepsTheNewestOldVersions) {
  std::vector<uint64_t> v1 = WriteFile("/ns/a", {1}, 2, 100);
  std::vector<uint64_t> v2 = WriteFile("/ns/a", {2}, 2, 200);
  WriteFile("/ns/a", {3}, 2, 300);
  WriteFile("/ns/ab", {9}, 2, 300);  // a neighbour whose path extends /ns/a
  auto versions = store_->ListVersions("/ns/a");
  ASSERT_TRUE(versions.ok()) << versions.status();
  ASSERT_EQ(versions->size(), 3u);
  EXPECT_EQ((*versions)[0].size(), 3u);
  EXPECT_EQ((*versions)[1].size(), 2u);
  EXPECT_EQ((*versions)[2].size(), 1u);
  EXPECT_EQ((*versions)[2].generation(), 100u);
  EXPECT_EQ(store_->chunk_count(), 4u);

  // The fourth upload pushes the oldest out and releases its chunks; with
  // keep_versions 0 the next one drops every old version.
  std::vector<uint64_t> released;
  auto upload = store_->CreateUpload("/ns/a", 1);
  auto chunk = store_->AllocateChunk(upload->upload_id(), 2);
  ASSERT_TRUE(
      store_->CommitChunk(upload->upload_id(), chunk->handle(), 4, 0, 3).ok());
  ASSERT_TRUE(
      store_->CompleteUpload(upload->upload_id(), 4, "d", "", 400, 2, &released)
          .ok());
  EXPECT_EQ(released, v1);
  EXPECT_EQ(store_->GetVersion("/ns/a", 100).status().code(),
            absl::StatusCode::kNotFound);
  auto old = store_->GetVersion("/ns/a", 200);
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->chunks(0), v2[0]);
  EXPECT_EQ(store_->GetVersion("/ns/a", 0)->size(), 4u);

  Reopen();
  EXPECT_EQ(store_->ListVersions("/ns/a")->size(), 3u);
  EXPECT_EQ(store_->file_count(), 2u);
  WriteFile("/ns/a", {5}, 0, 500);
  EXPECT_EQ(store_->ListVersions("/ns/a")->size(), 1u);
  EXPECT_EQ(store_->chunk_count(), 2u);  // /ns/a's newest and /ns/ab
}

TEST_F(MetadataStoreTest, UsageCountsFilesAndOldVersionsUnderAPrefix) {
  WriteFile("/ns/a", {1}, 3, 100);
  WriteFile("/ns/a", {2, 5}, 3, 200);  // /ns/a: 7 bytes, one old version
  WriteFile("/ns/dir/b", {4}, 3, 100);
  WriteFile("/nsx/c", {8}, 3, 100);  // shares the prefix's letters only
  WriteFile("/nsx/c", {16}, 3, 200);
  auto usage = store_->Usage("/ns/");
  ASSERT_TRUE(usage.ok()) << usage.status();
  EXPECT_EQ(usage->files(), 2u);
  EXPECT_EQ(usage->bytes(), 11u);
  EXPECT_EQ(usage->old_versions(), 1u);
  EXPECT_EQ(usage->old_version_bytes(), 1u);
  usage = store_->Usage("/nsx/");
  EXPECT_EQ(usage->bytes(), 16u);
  EXPECT_EQ(usage->old_version_bytes(), 8u);
}

TEST_F(MetadataStoreTest, GenerationsGrowAndGuardDeletes) {
  WriteFile("/ns/a", {1}, 0, 500);
  WriteFile("/ns/a", {1}, 0, 400);  // the clock stepped back
  auto file = store_->GetFile("/ns/a");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->generation(), 501u);
  std::vector<uint64_t> released;
  EXPECT_EQ(store_->DeleteFile("/ns/a", 500, &released).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(released.empty());
  EXPECT_TRUE(store_->DeleteFile("/ns/a", 501, &released).ok());
}

TEST_F(MetadataStoreTest, DeleteDropsOldVersions) {
  std::vector<uint64_t> v1 = WriteFile("/ns/a", {1}, 5, 100);
  std::vector<uint64_t> v2 = WriteFile("/ns/a", {2}, 5, 200);
  std::vector<uint64_t> released;
  ASSERT_TRUE(store_->DeleteFile("/ns/a", 0, &released).ok());
  std::sort(released.begin(), released.end());
  EXPECT_EQ(released, (std::vector<uint64_t>{v1[0], v2[0]}));
  EXPECT_EQ(store_->chunk_count(), 0u);
  EXPECT_EQ(store_->GetVersion("/ns/a", 100).status().code(),
            absl::StatusCode::kNotFound);
  // A new file at the path starts with no history.
  WriteFile("/ns/a", {3}, 5, 300);
  EXPECT_EQ(store_->ListVersions("/ns/a")->size(), 1u);
}

TEST_F(MetadataStoreTest, DeleteAndAbandonReleaseChunks) {
  std::vector<uint64_t> chunks = WriteFile("/ns/a", {5});
  std::vector<uint64_t> released;
  ASSERT_TRUE(store_->DeleteFile("/ns/a", 0, &released).ok());
  EXPECT_EQ(released, chunks);
  EXPECT_EQ(store_->DeleteFile("/ns/a", 0, &released).code(),
            absl::StatusCode::kNotFound);

  auto upload = store_->CreateUpload("/ns/b", 1);
  auto chunk = store_->AllocateChunk(upload->upload_id(), 2);
  released.clear();
  ASSERT_TRUE(store_->AbandonUpload(upload->upload_id(), &released).ok());
  EXPECT_EQ(released, std::vector<uint64_t>{chunk->handle()});
  EXPECT_EQ(store_->chunk_count(), 0u);
  EXPECT_EQ(store_->AllocateChunk(upload->upload_id(), 2).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(MetadataStoreTest, ConcurrentWritersKeepCountsAndHandlesConsistent) {
  std::vector<std::thread> writers;
  std::mutex handles_mu;
  std::set<uint64_t> handles;
  for (int t = 0; t < 8; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        // Half the writers race on one path, the rest on paths of their own.
        std::string path =
            t % 2 ? "/ns/shared" : absl::StrCat("/ns/own", t, "-", i);
        std::vector<uint64_t> mine = WriteFile(path, {1, 2});
        std::lock_guard<std::mutex> lock(handles_mu);
        handles.insert(mine.begin(), mine.end());
      }
    });
  }
  for (std::thread& w : writers) w.join();
  EXPECT_EQ(handles.size(), 8u * 20 * 2);  // no handle handed out twice
  EXPECT_EQ(store_->file_count(), 4u * 20 + 1);
  EXPECT_EQ(store_->chunk_count(), (4u * 20 + 1) * 2);
  Reopen();
  EXPECT_EQ(store_->file_count(), 4u * 20 + 1);
  EXPECT_EQ(store_->chunk_count(), (4u * 20 + 1) * 2);
  EXPECT_GT(WriteFile("/ns/after", {1})[0], *handles.rbegin());
}

TEST_F(MetadataStoreTest, CommitRejectsForeignChunk) {
  auto a = store_->CreateUpload("/ns/a", 1);
  auto b = store_->CreateUpload("/ns/b", 1);
  auto chunk = store_->AllocateChunk(a->upload_id(), 2);
  EXPECT_EQ(
      store_->CommitChunk(b->upload_id(), chunk->handle(), 1, 1, 3).code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(MetadataStoreTest, ListsByPrefixWithPagination) {
  for (const char* p :
       {"/ns/a", "/ns/b/1", "/ns/b/2", "/ns/c", "/other/a", "/nsx/a"}) {
    WriteFile(p, {1});
  }
  std::vector<proto::FileRecord> files;
  std::string next;
  ASSERT_TRUE(store_->ListFiles("/ns/", "", 2, &files, &next).ok());
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path(), "/ns/a");
  EXPECT_EQ(files[1].path(), "/ns/b/1");
  EXPECT_EQ(next, "/ns/b/1");
  ASSERT_TRUE(store_->ListFiles("/ns/", next, 2, &files, &next).ok());
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path(), "/ns/b/2");
  EXPECT_EQ(files[1].path(), "/ns/c");
  EXPECT_TRUE(next.empty());  // nothing more under the prefix
  ASSERT_TRUE(store_->ListFiles("/ns/", "/ns/c", 2, &files, &next).ok());
  EXPECT_TRUE(files.empty());
  ASSERT_TRUE(store_->ListFiles("/ns/b/", "", 10, &files, &next).ok());
  EXPECT_EQ(files.size(), 2u);
}

}  // namespace
}  // namespace sfs
