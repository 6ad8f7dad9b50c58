#include "master/master.h"

#include <stdlib.h>

#include <filesystem>
#include <set>

#include "gtest/gtest.h"

namespace sfs {
namespace {

class MasterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/master_test.XXXXXX";
    options_.data_dir = mkdtemp(tmpl);
    auto master = Master::Open(options_);
    ASSERT_TRUE(master.ok()) << master.status();
    master_ = std::move(*master);
  }
  void TearDown() override {
    master_.reset();
    std::filesystem::remove_all(options_.data_dir);
  }
  void RegisterServers(int n) {
    for (int i = 1; i <= n; ++i) {
      proto::RegisterRequest r;
      r.set_server_id("cs" + std::to_string(i));
      r.set_address("127.0.0.1:" + std::to_string(7000 + i));
      r.set_rack("rp" + std::to_string(i));
      r.set_free_bytes(1ull << 40);
      ASSERT_TRUE(master_->Register(r).ok());
    }
  }
  // Uploads one committed chunk to `path`; returns the chunk's chain.
  proto::AllocateChunkResponse Upload(const std::string& path) {
    proto::CreateUploadRequest create;
    create.set_path(path);
    auto upload = master_->CreateUpload(create);
    EXPECT_TRUE(upload.ok());
    proto::AllocateChunkRequest alloc;
    alloc.set_upload_id(upload->upload_id());
    auto chunk = master_->AllocateChunk(alloc);
    EXPECT_TRUE(chunk.ok()) << chunk.status();
    proto::CommitChunkRequest commit;
    commit.set_upload_id(upload->upload_id());
    commit.set_handle(chunk->handle());
    commit.set_length(100);
    for (const auto& r : chunk->chain()) commit.add_server_ids(r.server_id());
    EXPECT_TRUE(master_->CommitChunk(commit).ok());
    proto::CompleteUploadRequest complete;
    complete.set_upload_id(upload->upload_id());
    complete.set_size(100);
    EXPECT_TRUE(master_->CompleteUpload(complete).ok());
    return *chunk;
  }
  proto::HeartbeatResponse Heartbeat(const std::string& id) {
    proto::HeartbeatRequest r;
    r.set_server_id(id);
    r.set_free_bytes(1ull << 40);
    auto response = master_->Heartbeat(r);
    EXPECT_TRUE(response.ok());
    return *response;
  }

  MasterOptions options_;
  std::unique_ptr<Master> master_;
};

TEST_F(MasterTest, AllocationPlacesThreeReplicasOnDistinctRacks) {
  RegisterServers(4);
  proto::AllocateChunkResponse chunk = Upload("/ns/f");
  ASSERT_EQ(chunk.chain_size(), 3);
  std::set<std::string> racks;
  for (const auto& r : chunk.chain()) racks.insert(r.rack());
  EXPECT_EQ(racks.size(), 3u);

  proto::StatRequest stat;
  stat.set_path("/ns/f");
  auto info = master_->Stat(stat);
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(info->file().chunks_size(), 1);
  EXPECT_EQ(info->file().chunks(0).replicas_size(), 3);
}

TEST_F(MasterTest, BackToBackAllocationsSpreadOverServers) {
  RegisterServers(4);
  proto::AllocateChunkResponse first = Upload("/ns/a");
  proto::AllocateChunkResponse second = Upload("/ns/b");
  std::set<std::string> servers;
  for (const auto& r : first.chain()) servers.insert(r.server_id());
  for (const auto& r : second.chain()) servers.insert(r.server_id());
  EXPECT_EQ(servers.size(), 4u);
}

TEST_F(MasterTest, PlacementFailsWithoutEnoughServers) {
  RegisterServers(1);
  proto::CreateUploadRequest create;
  create.set_path("/ns/f");
  auto upload = master_->CreateUpload(create);
  proto::AllocateChunkRequest alloc;
  alloc.set_upload_id(upload->upload_id());
  EXPECT_EQ(master_->AllocateChunk(alloc).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(MasterTest, RejectsInvalidPaths) {
  proto::CreateUploadRequest create;
  create.set_path("/ns/../etc/passwd");
  EXPECT_EQ(master_->CreateUpload(create).status().code(),
            absl::StatusCode::kInvalidArgument);
  proto::StatRequest stat;
  stat.set_path("/ns/missing");
  EXPECT_EQ(master_->Stat(stat).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(MasterTest, DeletedChunksAreCollectedThroughHeartbeats) {
  RegisterServers(3);
  proto::AllocateChunkResponse chunk = Upload("/ns/f");
  proto::DeleteRequest del;
  del.set_path("/ns/f");
  ASSERT_TRUE(master_->Delete(del).ok());
  for (const auto& replica : chunk.chain()) {
    proto::HeartbeatResponse response = Heartbeat(replica.server_id());
    ASSERT_EQ(response.commands_size(), 1);
    EXPECT_EQ(response.commands(0).kind(),
              proto::ChunkserverCommand::DELETE_CHUNK);
    EXPECT_EQ(response.commands(0).handle(), chunk.handle());
  }
}

TEST_F(MasterTest, UnknownAndStaleReportsAreDeleted) {
  RegisterServers(3);
  proto::AllocateChunkResponse chunk = Upload("/ns/f");
  proto::RegisterRequest r;
  r.set_server_id("cs9");
  r.set_address("127.0.0.1:7009");
  auto* unknown = r.add_chunks();
  unknown->set_handle(987654);
  unknown->set_version(1);
  auto* current = r.add_chunks();
  current->set_handle(chunk.handle());
  current->set_version(chunk.version());
  auto response = master_->Register(r);
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(response->commands_size(), 1);
  EXPECT_EQ(response->commands(0).handle(), 987654u);
}

TEST_F(MasterTest, UnknownServerIsAskedToRegister) {
  proto::HeartbeatResponse response = Heartbeat("stranger");
  ASSERT_EQ(response.commands_size(), 1);
  EXPECT_EQ(response.commands(0).kind(), proto::ChunkserverCommand::REREGISTER);
}

TEST_F(MasterTest, IdleUploadsExpire) {
  proto::CreateUploadRequest create;
  create.set_path("/ns/f");
  ASSERT_TRUE(master_->CreateUpload(create).ok());
  EXPECT_EQ(master_->ExpireIdleUploads(absl::Now()), 0);
  EXPECT_EQ(master_->ExpireIdleUploads(absl::Now() + absl::Hours(2)), 1);
  auto fsck = master_->Fsck();
  ASSERT_TRUE(fsck.ok());
  EXPECT_EQ(fsck->pending_uploads(), 0u);
}

TEST_F(MasterTest, FsckCountsUnderReplication) {
  RegisterServers(4);
  Upload("/ns/f");
  auto fsck = master_->Fsck();
  ASSERT_TRUE(fsck.ok());
  EXPECT_EQ(fsck->files(), 1u);
  EXPECT_EQ(fsck->healthy_chunks(), 1u);
  EXPECT_EQ(fsck->under_replicated_chunks(), 0u);
}

}  // namespace
}  // namespace sfs
