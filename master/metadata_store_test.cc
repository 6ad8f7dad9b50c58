#include "master/metadata_store.h"

#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/testing/store_test_base.h"
#include "gtest/gtest.h"

namespace sfs {
namespace {

FileAttributes Typed(std::string content_type) {
  FileAttributes attributes;
  attributes.content_type = std::move(content_type);
  return attributes;
}

UploadAdmission Incarnation(uint64_t incarnation) {
  UploadAdmission admission;
  admission.namespace_incarnation = incarnation;
  return admission;
}

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
      auto chunk = store_->AllocateChunk(upload->upload_id(), 0, 2);
      EXPECT_TRUE(chunk.ok());
      EXPECT_TRUE(store_
                      ->CommitChunk(upload->upload_id(), chunk->handle(),
                                    length, 7, 0, "", 3)
                      .ok());
      handles.push_back(chunk->handle());
      size += length;
    }
    std::vector<uint64_t> released;
    auto file = store_->CompleteUpload(upload->upload_id(), size, "abc",
                                       Typed("text/plain"), now, keep_versions,
                                       {}, &released);
    EXPECT_TRUE(file.ok()) << file.status();
    return handles;
  }
};

// A resumable upload: taken over, it keeps its committed chunks, client
// data and state, drops the chunk its last writer left half-written, and
// refuses that writer from then on.
TEST_F(MetadataStoreTest,
       TakeOverKeepsTheCommittedPrefixAndFencesTheOldWriter) {
  auto upload = store_->CreateUpload("/ns/resumed", 1, {}, "client data");
  ASSERT_TRUE(upload.ok());
  const std::string id = upload->upload_id();
  auto first = store_->AllocateChunk(id, 0, 2);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(
      store_->CommitChunk(id, first->handle(), 10, 1, 0, "state-10", 3).ok());
  auto half = store_->AllocateChunk(id, 0, 4);
  ASSERT_TRUE(half.ok());

  std::vector<uint64_t> released;
  auto taken = store_->TakeOverUpload(id, 5, std::nullopt, &released);
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ(released, std::vector<uint64_t>{half->handle()});
  EXPECT_EQ(taken->committed_bytes(), 10u);
  EXPECT_EQ(taken->client_data(), "client data");
  EXPECT_EQ(taken->client_state(), "state-10");
  EXPECT_EQ(taken->writer_epoch(), 1u);
  EXPECT_EQ(taken->last_activity_unix_micros(), 5);
  ASSERT_EQ(taken->chunks_size(), 1);
  EXPECT_TRUE(absl::IsNotFound(store_->GetChunk(half->handle()).status()));

  // The old writer can neither commit nor allocate; the new one can.
  EXPECT_EQ(store_->CommitChunk(id, half->handle(), 5, 1, 0, "", 6).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->AllocateChunk(id, 0, 6).status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto second = store_->AllocateChunk(id, 1, 6);
  ASSERT_TRUE(second.ok());
  // An empty state keeps the one stored.
  ASSERT_TRUE(store_->CommitChunk(id, second->handle(), 5, 2, 1, "", 7).ok());
  auto record = store_->GetUpload(id);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->client_state(), "state-10");
  EXPECT_EQ(record->committed_bytes(), 15u);
  taken = store_->TakeOverUpload(id, 8, "new data", &released);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->client_data(), "new data");
  EXPECT_EQ(taken->writer_epoch(), 2u);
  auto file = store_->CompleteUpload(id, 15, "sha", {}, 8, 0, {}, &released);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->size(), 15u);
}

TEST_F(MetadataStoreTest, PendingUploadIsInvisibleUntilComplete) {
  auto upload = store_->CreateUpload("/ns/a", 1);
  ASSERT_TRUE(upload.ok());
  auto chunk = store_->AllocateChunk(upload->upload_id(), 0, 2);
  ASSERT_TRUE(chunk.ok());
  EXPECT_EQ(store_->GetFile("/ns/a").status().code(),
            absl::StatusCode::kNotFound);
  std::vector<uint64_t> released;
  // Not committed yet: completion must refuse.
  EXPECT_EQ(store_
                ->CompleteUpload(upload->upload_id(), 0, "", Typed(""), 3, 0,
                                 {}, &released)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(
      store_->CommitChunk(upload->upload_id(), chunk->handle(), 10, 1, 0, "", 3)
          .ok());
  // Size must match the committed bytes.
  EXPECT_FALSE(store_
                   ->CompleteUpload(upload->upload_id(), 11, "", Typed(""), 3,
                                    0, {}, &released)
                   .ok());
  auto file = store_->CompleteUpload(upload->upload_id(), 10, "h", Typed("t"),
                                     4, 0, {}, &released);
  ASSERT_TRUE(file.ok());
  EXPECT_TRUE(released.empty());
  auto got = store_->GetFile("/ns/a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->size(), 10u);
  EXPECT_EQ(got->chunks_size(), 1);
  EXPECT_EQ(store_->GetUpload(upload->upload_id()).status().code(),
            absl::StatusCode::kNotFound);
}

// A first chunk allocated with the upload is an ordinary chunk of it:
// counted, committed like any other, dropped when the writer takes over
// without committing it, and released with an abandoned upload.
TEST_F(MetadataStoreTest, FirstChunkComesWithTheUpload) {
  auto upload = store_->CreateUpload("/ns/a", 1, {}, "", /*first_chunk=*/true);
  ASSERT_TRUE(upload.ok()) << upload.status();
  ASSERT_EQ(upload->chunks_size(), 1);
  const uint64_t handle = upload->chunks(0);
  auto record = store_->GetChunk(handle);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->version(), 1u);
  EXPECT_EQ(store_->chunk_count(), 1u);
  auto next = store_->AllocateChunk(upload->upload_id(), 0, 2);
  ASSERT_TRUE(next.ok());
  EXPECT_GT(next->handle(), handle);

  std::vector<uint64_t> released;
  auto taken =
      store_->TakeOverUpload(upload->upload_id(), 3, std::nullopt, &released);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->chunks_size(), 0);
  EXPECT_EQ(released, (std::vector<uint64_t>{handle, next->handle()}));
  EXPECT_EQ(store_->chunk_count(), 0u);

  auto other = store_->CreateUpload("/ns/b", 1, {}, "", true);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(
      store_->CommitChunk(other->upload_id(), other->chunks(0), 10, 1, 0, "", 2)
          .ok());
  released.clear();
  ASSERT_TRUE(store_->AbandonUpload(other->upload_id(), &released).ok());
  EXPECT_EQ(released, (std::vector<uint64_t>{other->chunks(0)}));
  EXPECT_EQ(store_->GetChunk(other->chunks(0)).status().code(),
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
  auto chunk = store_->AllocateChunk(upload->upload_id(), 0, 2);
  ASSERT_TRUE(
      store_->CommitChunk(upload->upload_id(), chunk->handle(), 3, 0, 0, "", 3)
          .ok());
  std::vector<uint64_t> released;
  ASSERT_TRUE(store_
                  ->CompleteUpload(upload->upload_id(), 3, "x", Typed(""), 4, 0,
                                   {}, &released)
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
  auto chunk = store_->AllocateChunk(upload->upload_id(), 0, 2);
  ASSERT_TRUE(
      store_->CommitChunk(upload->upload_id(), chunk->handle(), 4, 0, 0, "", 3)
          .ok());
  ASSERT_TRUE(store_
                  ->CompleteUpload(upload->upload_id(), 4, "d", Typed(""), 400,
                                   2, {}, &released)
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
  auto chunk = store_->AllocateChunk(upload->upload_id(), 0, 2);
  released.clear();
  ASSERT_TRUE(store_->AbandonUpload(upload->upload_id(), &released).ok());
  EXPECT_EQ(released, std::vector<uint64_t>{chunk->handle()});
  EXPECT_EQ(store_->chunk_count(), 0u);
  EXPECT_EQ(store_->AllocateChunk(upload->upload_id(), 0, 2).status().code(),
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
  auto chunk = store_->AllocateChunk(a->upload_id(), 0, 2);
  EXPECT_EQ(store_->CommitChunk(b->upload_id(), chunk->handle(), 1, 1, 0, "", 3)
                .code(),
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

// Counters of `ns` recounted from the records, for comparison.
proto::UsageRecord Recount(MetadataStore& store, const std::string& ns) {
  proto::UsageRecord usage;
  std::vector<std::string> paths;
  EXPECT_TRUE(store
                  .ForEachFile([&](const proto::FileRecord& file) {
                    if (file.path().rfind("/" + ns + "/", 0) != 0) return;
                    usage.set_files(usage.files() + 1);
                    usage.set_bytes(usage.bytes() + file.size());
                    paths.push_back(file.path());
                  })
                  .ok());
  for (const std::string& path : paths) {
    auto versions = store.ListVersions(path);
    EXPECT_TRUE(versions.ok());
    for (size_t i = 1; i < versions->size(); ++i) {
      usage.set_old_versions(usage.old_versions() + 1);
      usage.set_old_version_bytes(usage.old_version_bytes() +
                                  (*versions)[i].size());
    }
  }
  return usage;
}

void ExpectUsage(MetadataStore& store, const std::string& ns,
                 int64_t reserved = 0) {
  auto counters = store.NamespaceUsage(ns);
  ASSERT_TRUE(counters.ok()) << counters.status();
  proto::UsageRecord expected = Recount(store, ns);
  expected.set_reserved_bytes(reserved);
  EXPECT_EQ(counters->SerializeAsString(), expected.SerializeAsString())
      << "counters: " << counters->ShortDebugString()
      << "\nrecounted: " << expected.ShortDebugString();
}

TEST_F(MetadataStoreTest, UsageCountersFollowEveryChangeAndSurviveReopen) {
  WriteFile("/ns/a", {10, 20});
  WriteFile("/ns/b", {5});
  WriteFile("/other/c", {7});
  ExpectUsage(*store_, "ns");
  // Overwrites keep two old versions, then a third drops the first.
  WriteFile("/ns/a", {3}, /*keep_versions=*/2, 5);
  WriteFile("/ns/a", {4}, 2, 6);
  WriteFile("/ns/a", {6}, 2, 7);
  ExpectUsage(*store_, "ns");
  // An overwrite without versions drops them all.
  WriteFile("/ns/a", {1}, 0, 8);
  ExpectUsage(*store_, "ns");
  std::vector<uint64_t> released;
  ASSERT_TRUE(store_->DeleteFile("/ns/b", 0, &released).ok());
  ExpectUsage(*store_, "ns");
  ExpectUsage(*store_, "other");
  Reopen();
  ExpectUsage(*store_, "ns");
  auto usage = store_->Usage("/ns/");
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(usage->files(), 1u);
  EXPECT_EQ(usage->bytes(), 1u);
  // Any other prefix is still counted from the files.
  auto part = store_->Usage("/ns/a");
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(part->files(), 1u);
}

TEST_F(MetadataStoreTest, ReservationsKeepUploadsWithinTheQuota) {
  WriteFile("/q/old", {40});
  // 40 used: a 50-byte reservation fits under 100, a second does not.
  auto first = store_->CreateUpload("/q/a", 1, {50, 100});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(store_->CreateUpload("/q/b", 1, {50, 100}).status().code(),
            absl::StatusCode::kResourceExhausted);
  ExpectUsage(*store_, "q", 50);
  // Unknown sizes reserve as chunks commit: 20 more fits (40 + 50 + 10 is
  // the limit), the next 20 does not.
  auto second = store_->CreateUpload("/q/b", 1, {0, 100});
  ASSERT_TRUE(second.ok());
  auto chunk = store_->AllocateChunk(second->upload_id(), 0, 2);
  ASSERT_TRUE(chunk.ok());
  ASSERT_TRUE(
      store_->CommitChunk(second->upload_id(), chunk->handle(), 10, 1, 0, "", 3)
          .ok());
  chunk = store_->AllocateChunk(second->upload_id(), 0, 2);
  ASSERT_TRUE(chunk.ok());
  EXPECT_EQ(
      store_->CommitChunk(second->upload_id(), chunk->handle(), 20, 1, 0, "", 3)
          .code(),
      absl::StatusCode::kResourceExhausted);
  ExpectUsage(*store_, "q", 60);
  // Abandoning frees the reservation; completing turns it into bytes.
  std::vector<uint64_t> released;
  ASSERT_TRUE(store_->AbandonUpload(second->upload_id(), &released).ok());
  ExpectUsage(*store_, "q", 50);
  chunk = store_->AllocateChunk(first->upload_id(), 0, 2);
  ASSERT_TRUE(
      store_->CommitChunk(first->upload_id(), chunk->handle(), 30, 1, 0, "", 3)
          .ok());
  ASSERT_TRUE(store_
                  ->CompleteUpload(first->upload_id(), 30, "", Typed(""), 4, 0,
                                   {}, &released)
                  .ok());
  ExpectUsage(*store_, "q", 0);
  // Other namespaces have quotas of their own.
  EXPECT_TRUE(store_->CreateUpload("/r/a", 1, {100, 100}).ok());
}

TEST_F(MetadataStoreTest, ParallelReservationsNeverOvershoot) {
  constexpr int kUploads = 8;
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kUploads; ++i) {
    threads.emplace_back([&, i] {
      auto upload = store_->CreateUpload(absl::StrCat("/p/f", i), 1, {30, 100});
      if (upload.ok()) {
        ++admitted;
      } else {
        EXPECT_EQ(upload.status().code(), absl::StatusCode::kResourceExhausted);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 3);
  ExpectUsage(*store_, "p", 90);
}

TEST_F(MetadataStoreTest, CompletionConditionsAreCheckedAtomically) {
  WriteFile("/c/a", {5});
  const uint64_t generation = FileGeneration(*store_->GetFile("/c/a"));
  auto complete = [&](const std::string& path, CompletionCondition condition) {
    auto upload = store_->CreateUpload(path, 1);
    EXPECT_TRUE(upload.ok());
    std::vector<uint64_t> released;
    auto file = store_->CompleteUpload(upload->upload_id(), 0, "", Typed(""), 9,
                                       0, condition, &released);
    if (!file.ok()) {
      // Nothing changed: the upload is still pending, to be abandoned.
      EXPECT_TRUE(store_->GetUpload(upload->upload_id()).ok());
      EXPECT_TRUE(store_->AbandonUpload(upload->upload_id(), &released).ok());
    }
    return file.status().code();
  };
  EXPECT_EQ(complete("/c/a", {true, 0}), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(complete("/c/a", {false, generation + 1}),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(complete("/c/new", {false, 7}),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->GetFile("/c/a")->size(), 5u);
  EXPECT_EQ(complete("/c/a", {false, generation}), absl::StatusCode::kOk);
  EXPECT_EQ(store_->GetFile("/c/a")->size(), 0u);
  EXPECT_EQ(complete("/c/b", {true, 0}), absl::StatusCode::kOk);
  ExpectUsage(*store_, "c");
}

TEST_F(MetadataStoreTest, DeletedNamespaceStartsEmptyWhenCreatedAgain) {
  WriteFile("/d/a", {5});
  WriteFile("/d/a", {6}, /*keep_versions=*/1, 5);
  WriteFile("/d/b", {7});
  WriteFile("/keep/c", {8});
  // In flight during the delete: admitted for incarnation 10 (a frontend),
  // and with no incarnation (begun before the delete).
  auto old = store_->CreateUpload("/d/x", 1, Incarnation(10));
  ASSERT_TRUE(old.ok());
  auto plain = store_->CreateUpload("/d/y", 1);
  ASSERT_TRUE(plain.ok());
  std::vector<uint64_t> released;
  auto deleted = store_->DeleteNamespace("d", 10, 100, &released);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(deleted->files, 2u);
  EXPECT_EQ(deleted->uploads, 2u);
  EXPECT_EQ(released.size(), 3u);
  std::vector<proto::FileRecord> files;
  std::string next;
  ASSERT_TRUE(store_->ListFiles("/d/", "", 10, &files, &next).ok());
  EXPECT_TRUE(files.empty());
  EXPECT_EQ(store_->GetUpload(old->upload_id()).status().code(),
            absl::StatusCode::kNotFound);
  ExpectUsage(*store_, "d");
  ExpectUsage(*store_, "keep");
  EXPECT_TRUE(store_->GetFile("/keep/c").ok());
  // The old incarnation is refused from now on; the next one, and callers
  // naming none that begin after the delete, are welcome.
  EXPECT_EQ(store_->CreateUpload("/d/z", 101, Incarnation(10)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto plain_after = store_->CreateUpload("/d/new", 150);
  ASSERT_TRUE(plain_after.ok());
  ASSERT_TRUE(store_
                  ->CompleteUpload(plain_after->upload_id(), 0, "", Typed(""),
                                   200, 0, {}, &released)
                  .ok());
  auto next_incarnation = store_->CreateUpload("/d/n", 101, Incarnation(11));
  ASSERT_TRUE(next_incarnation.ok());
  EXPECT_TRUE(store_
                  ->CompleteUpload(next_incarnation->upload_id(), 0, "",
                                   Typed(""), 300, 0, {}, &released)
                  .ok());
  // Deleting again is safe and leaves the namespace empty.
  deleted = store_->DeleteNamespace("d", 11, 400, &released);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->files, 2u);
  ExpectUsage(*store_, "d");
}

// Uploads admitted before the delete and completing while it runs must
// leave nothing behind: each either completes before the delete's tombstone
// (and its file is deleted) or is refused.
TEST_F(MetadataStoreTest, UploadsRacingANamespaceDeleteLeaveNothing) {
  constexpr int kWriters = 8;
  std::atomic<bool> deleted{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; !deleted && i < 100000; ++i) {
        auto upload = store_->CreateUpload(absl::StrCat("/race/", w, "-", i), 1,
                                           Incarnation(3));
        if (!upload.ok()) {
          EXPECT_EQ(upload.status().code(),
                    absl::StatusCode::kFailedPrecondition);
          continue;
        }
        auto chunk = store_->AllocateChunk(upload->upload_id(), 0, 2);
        if (!chunk.ok()) continue;  // abandoned by the delete meanwhile
        if (!store_
                 ->CommitChunk(upload->upload_id(), chunk->handle(), 4, 1, 0,
                               "", 3)
                 .ok()) {
          continue;
        }
        std::vector<uint64_t> released;
        auto file = store_->CompleteUpload(upload->upload_id(), 4, "",
                                           Typed(""), 4, 0, {}, &released);
        if (!file.ok()) {
          store_->AbandonUpload(upload->upload_id(), &released).IgnoreError();
        }
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(50));
  std::vector<uint64_t> released;
  ASSERT_TRUE(store_->DeleteNamespace("race", 3, 1000, &released).ok());
  deleted = true;
  for (std::thread& t : writers) t.join();
  std::vector<proto::FileRecord> files;
  std::string next;
  ASSERT_TRUE(store_->ListFiles("/race/", "", 10, &files, &next).ok());
  EXPECT_TRUE(files.empty()) << files.size() << " files survived";
  ExpectUsage(*store_, "race");
}

// Stands in for the store's merge operator when the test opens its
// database directly; the counters it would merge are deleted anyway.
class KeepLatest : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice*,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger*) const override {
    new_value->assign(value.data(), value.size());
    return true;
  }
  const char* Name() const override { return "sfs.UsageAdd"; }
};

// A database written before the usage counters existed gets them, counted
// from its files, when it is first opened.
TEST_F(MetadataStoreTest, OlderDatabaseGetsItsUsageCountersAtOpen) {
  WriteFile("/old/a", {10, 20});
  WriteFile("/old/a", {3}, /*keep_versions=*/1, 5);
  WriteFile("/old/b", {5});
  WriteFile("/other/c", {7});
  store_.reset();
  {
    // Take the database back to its earlier shape: no counters, no marker.
    // (Its log holds merge operands, which RocksDB replays only with a merge
    // operator: without one it stops replaying there and loses the rest.)
    rocksdb::DB* raw = nullptr;
    rocksdb::Options options;
    options.merge_operator = std::make_shared<KeepLatest>();
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    for (const char* key : {"nold", "nother", "m:usage_counters"}) {
      ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), key).ok());
    }
    std::string value;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), "nold", &value).IsNotFound());
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), "f/old/a", &value).ok());
  }
  Reopen();
  ASSERT_TRUE(store_->GetFile("/old/a").ok());
  ExpectUsage(*store_, "old");
  ExpectUsage(*store_, "other");
  auto usage = store_->NamespaceUsage("old");
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(usage->files(), 2);
  EXPECT_EQ(usage->old_versions(), 1);
}

TEST_F(MetadataStoreTest, CopiesShareChunksUntilTheLastReferenceGoes) {
  const std::vector<uint64_t> chunks = WriteFile("/ns/a", {10, 20});
  const uint64_t chunk_count = store_->chunk_count();
  std::vector<uint64_t> released;
  auto copy = store_->Copy("/ns/a", 0, "/ns/b", 50, 0, {}, {}, &released);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(copy->size(), 30u);
  EXPECT_EQ(std::vector<uint64_t>(copy->chunks().begin(), copy->chunks().end()),
            chunks);
  EXPECT_EQ(store_->chunk_count(), chunk_count) << "a copy moves no chunk";
  // A copy into another namespace, and one of the copy.
  ASSERT_TRUE(
      store_->Copy("/ns/b", 0, "/other/c", 60, 0, {}, {}, &released).ok());
  ExpectUsage(*store_, "ns");
  ExpectUsage(*store_, "other");
  // Overwriting or deleting any of them leaves the others' chunks alone.
  WriteFile("/ns/a", {1}, 0, 70);
  ASSERT_TRUE(store_->DeleteFile("/ns/b", 0, &released).ok());
  EXPECT_TRUE(released.empty());
  for (uint64_t handle : chunks) EXPECT_TRUE(store_->GetChunk(handle).ok());
  // The last one takes them with it.
  ASSERT_TRUE(store_->DeleteFile("/other/c", 0, &released).ok());
  std::sort(released.begin(), released.end());
  EXPECT_EQ(released, chunks);
  for (uint64_t handle : chunks) {
    EXPECT_EQ(store_->GetChunk(handle).status().code(),
              absl::StatusCode::kNotFound);
  }
  ExpectUsage(*store_, "ns");
  ExpectUsage(*store_, "other");
}

TEST_F(MetadataStoreTest, CopyKeepsVersionsConditionsAndQuota) {
  WriteFile("/ns/a", {3}, 0, 10);
  const uint64_t first = FileGeneration(*store_->GetFile("/ns/a"));
  WriteFile("/ns/a", {4}, /*keep_versions=*/1, 20);
  WriteFile("/ns/d", {5});
  std::vector<uint64_t> released;
  // An old version can be copied; the destination keeps its history.
  auto copy = store_->Copy("/ns/a", first, "/ns/d", 30, /*keep_versions=*/1, {},
                           {}, &released);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(copy->size(), 3u);
  EXPECT_EQ(store_->ListVersions("/ns/d")->size(), 2u);
  // A failed condition or quota changes nothing, reference counts included.
  const std::string before = store_->GetChunk(copy->chunks(0))->DebugString();
  EXPECT_EQ(store_->Copy("/ns/a", 0, "/ns/d", 40, 0, {true, 0}, {}, &released)
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);
  UploadAdmission tight;
  tight.quota_bytes = 18;  // 15 used, the copy is 4 more
  EXPECT_EQ(store_->Copy("/ns/a", 0, "/ns/e", 40, 0, {}, tight, &released)
                .status()
                .code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(store_->GetChunk(copy->chunks(0))->DebugString(), before);
  EXPECT_TRUE(released.empty());
  EXPECT_EQ(store_->Copy("/ns/nope", 0, "/ns/f", 40, 0, {}, {}, &released)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  ExpectUsage(*store_, "ns");
}

TEST_F(MetadataStoreTest, MoveRenamesWithHistoryWithinAndAcrossNamespaces) {
  const std::vector<uint64_t> old_chunks = WriteFile("/ns/a", {3}, 0, 10);
  const std::vector<uint64_t> chunks = WriteFile("/ns/a", {4}, 1, 20);
  std::vector<uint64_t> released;
  auto moved = store_->Move("/ns/a", "/ns/b", 30, false, {}, &released);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(store_->GetFile("/ns/a").status().code(),
            absl::StatusCode::kNotFound);
  auto versions = store_->ListVersions("/ns/b");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].size(), 4u);
  EXPECT_EQ((*versions)[1].size(), 3u);
  EXPECT_TRUE(released.empty());
  ExpectUsage(*store_, "ns");
  // Across namespaces, onto an existing file only with overwrite.
  const std::vector<uint64_t> target = WriteFile("/other/t", {7}, 0, 1000);
  const uint64_t target_generation =
      FileGeneration(*store_->GetFile("/other/t"));
  EXPECT_EQ(store_->Move("/ns/b", "/other/t", 40, false, {}, &released)
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);
  UploadAdmission tight;
  tight.quota_bytes = 10;  // 7 used; the file and its version are 7 more
  EXPECT_EQ(store_->Move("/ns/b", "/other/t", 40, true, tight, &released)
                .status()
                .code(),
            absl::StatusCode::kResourceExhausted);
  moved = store_->Move("/ns/b", "/other/t", 40, true, {}, &released);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(released, target);
  // Later than what the destination held, though its clock read 40.
  EXPECT_GT(moved->generation(), target_generation);
  EXPECT_EQ(store_->ListVersions("/other/t")->size(), 2u);
  ExpectUsage(*store_, "ns");
  ExpectUsage(*store_, "other");
  EXPECT_EQ(store_->Move("/other/t", "/other/t", 50, true, {}, &released)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  // The chunks went along: deleting the moved file releases them.
  released.clear();
  ASSERT_TRUE(store_->DeleteFile("/other/t", 0, &released).ok());
  std::vector<uint64_t> all = old_chunks;
  all.insert(all.end(), chunks.begin(), chunks.end());
  std::sort(all.begin(), all.end());
  std::sort(released.begin(), released.end());
  EXPECT_EQ(released, all);
}

}  // namespace
}  // namespace sfs
