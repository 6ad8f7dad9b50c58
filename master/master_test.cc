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
    options_.gc_grace = absl::ZeroDuration();
    options_.replication_delay = absl::ZeroDuration();
    options_.dead_after = absl::Milliseconds(300);
    auto master = Master::Open(options_);
    ASSERT_TRUE(master.ok()) << master.status();
    master_ = std::move(*master);
    master_->RepairTick(absl::Now());  // nothing stored: leaves safe mode
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
      ASSERT_TRUE(master_->Register(r, "").ok());
    }
  }
  // Creates an upload to `path` with one chunk of 100 bytes, written but
  // not committed; returns the completion that commits it (last_chunk),
  // and the chunk in *chunk.
  proto::CompleteUploadRequest StartUpload(
      const std::string& path, proto::AllocateChunkResponse* chunk = nullptr) {
    proto::CreateUploadRequest create;
    create.set_path(path);
    auto upload = master_->CreateUpload(create);
    EXPECT_TRUE(upload.ok()) << upload.status();
    proto::AllocateChunkRequest alloc;
    alloc.set_upload_id(upload->upload_id());
    auto allocated = master_->AllocateChunk(alloc);
    EXPECT_TRUE(allocated.ok()) << allocated.status();
    proto::CompleteUploadRequest complete;
    complete.set_upload_id(upload->upload_id());
    complete.set_size(100);
    proto::CommitChunkRequest* commit = complete.mutable_last_chunk();
    commit->set_upload_id(upload->upload_id());
    commit->set_handle(allocated->handle());
    commit->set_length(100);
    for (const auto& r : allocated->chain()) {
      commit->add_server_ids(r.server_id());
    }
    if (chunk != nullptr) *chunk = *allocated;
    return complete;
  }
  // Uploads one committed chunk to `path`; returns the chunk's chain.
  proto::AllocateChunkResponse Upload(const std::string& path) {
    proto::AllocateChunkResponse chunk;
    proto::CompleteUploadRequest complete = StartUpload(path, &chunk);
    // Committed by its own call, as the chunks of a file before its last.
    EXPECT_TRUE(master_->CommitChunk(complete.last_chunk()).ok());
    complete.clear_last_chunk();
    EXPECT_TRUE(master_->CompleteUpload(complete).ok());
    return chunk;
  }
  proto::HeartbeatResponse Heartbeat(const std::string& id) {
    proto::HeartbeatRequest r;
    r.set_server_id(id);
    r.set_free_bytes(1ull << 40);
    auto response = master_->Heartbeat(r, "");
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

// The last chunk may commit inside CompleteUpload; only its own upload's.
TEST_F(MasterTest, CompleteUploadCommitsItsLastChunk) {
  RegisterServers(3);
  proto::CompleteUploadRequest a = StartUpload("/ns/a");
  proto::CompleteUploadRequest b = StartUpload("/ns/b");
  // a's completion carrying b's chunk is refused, and commits nothing.
  proto::CompleteUploadRequest mixed = a;
  *mixed.mutable_last_chunk() = b.last_chunk();
  EXPECT_EQ(master_->CompleteUpload(mixed).status().code(),
            absl::StatusCode::kInvalidArgument);
  proto::CompleteUploadRequest uncommitted = b;
  uncommitted.clear_last_chunk();
  EXPECT_EQ(master_->CompleteUpload(uncommitted).status().code(),
            absl::StatusCode::kFailedPrecondition);

  for (const proto::CompleteUploadRequest& complete : {a, b}) {
    auto done = master_->CompleteUpload(complete);
    ASSERT_TRUE(done.ok()) << done.status();
    EXPECT_EQ(done->file().size(), 100u);
  }
  proto::StatRequest stat;
  stat.set_path("/ns/b");
  auto file = master_->Stat(stat);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(file->file().chunks_size(), 1);
  EXPECT_EQ(file->file().chunks(0).replicas_size(), 3);
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

// A create may allocate the first chunk in the same write: it is the
// upload's own (it commits with the completion), placed and tokened as
// AllocateChunk's would be; without servers to place it, nothing is created.
TEST_F(MasterTest, CreateUploadCanAllocateTheFirstChunk) {
  RegisterServers(1);
  proto::CreateUploadRequest create;
  create.set_path("/ns/f");
  create.set_allocate_chunk(true);
  EXPECT_EQ(master_->CreateUpload(create).status().code(),
            absl::StatusCode::kResourceExhausted);
  auto fsck = master_->Fsck();
  ASSERT_TRUE(fsck.ok());
  EXPECT_EQ(fsck->chunks(), 0u);
  EXPECT_EQ(fsck->pending_uploads(), 0u);

  RegisterServers(4);
  auto upload = master_->CreateUpload(create);
  ASSERT_TRUE(upload.ok()) << upload.status();
  const proto::AllocateChunkResponse& chunk = upload->first_chunk();
  EXPECT_NE(chunk.handle(), 0u);
  EXPECT_EQ(chunk.version(), 1u);
  ASSERT_EQ(chunk.chain_size(), 3);
  EXPECT_EQ(chunk.token().handle(), chunk.handle());

  proto::CompleteUploadRequest complete;
  complete.set_upload_id(upload->upload_id());
  complete.set_size(100);
  proto::CommitChunkRequest* commit = complete.mutable_last_chunk();
  commit->set_upload_id(upload->upload_id());
  commit->set_handle(chunk.handle());
  commit->set_length(100);
  for (const auto& r : chunk.chain()) commit->add_server_ids(r.server_id());
  ASSERT_TRUE(master_->CompleteUpload(complete).ok());
  proto::StatRequest stat;
  stat.set_path("/ns/f");
  auto file = master_->Stat(stat);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(file->file().chunks_size(), 1);
  EXPECT_EQ(file->file().chunks(0).handle(), chunk.handle());
  EXPECT_EQ(file->file().chunks(0).replicas_size(), 3);

  // Without the flag, no chunk comes with the upload.
  create.set_allocate_chunk(false);
  auto plain = master_->CreateUpload(create);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->has_first_chunk());
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
  auto response = master_->Register(r, "");
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(response->commands_size(), 1);
  EXPECT_EQ(response->commands(0).handle(), 987654u);
}

TEST_F(MasterTest, DeadReplicaIsClonedOntoAnotherServer) {
  RegisterServers(4);
  proto::AllocateChunkResponse chunk = Upload("/ns/f");
  std::set<std::string> holders;
  for (const auto& r : chunk.chain()) holders.insert(r.server_id());
  std::string dead = *holders.begin();
  std::string spare;
  for (int i = 1; i <= 4; ++i) {
    if (!holders.count("cs" + std::to_string(i)))
      spare = "cs" + std::to_string(i);
  }
  absl::SleepFor(options_.dead_after);
  for (int i = 1; i <= 4; ++i) {
    std::string id = "cs" + std::to_string(i);
    if (id != dead) Heartbeat(id);
  }
  master_->RepairTick(absl::Now());
  auto fsck = master_->Fsck();
  ASSERT_TRUE(fsck.ok());
  EXPECT_EQ(fsck->under_replicated_chunks(), 1u);
  EXPECT_EQ(fsck->replication_backlog(), 1u);

  proto::HeartbeatResponse response = Heartbeat(spare);
  ASSERT_EQ(response.commands_size(), 1);
  const proto::ChunkserverCommand& clone = response.commands(0);
  EXPECT_EQ(clone.kind(), proto::ChunkserverCommand::REPLICATE_CHUNK);
  EXPECT_EQ(clone.handle(), chunk.handle());
  EXPECT_EQ(clone.length(), 100u);
  EXPECT_NE(clone.source_address(), "");

  // The spare reports the copy: the chunk is whole again.
  proto::HeartbeatRequest report;
  report.set_server_id(spare);
  report.set_free_bytes(1ull << 40);
  auto* added = report.add_added();
  added->set_handle(chunk.handle());
  added->set_version(chunk.version());
  ASSERT_TRUE(master_->Heartbeat(report, "").ok());
  fsck = master_->Fsck();
  EXPECT_EQ(fsck->under_replicated_chunks(), 0u);
  EXPECT_EQ(fsck->replication_backlog(), 0u);
}

TEST_F(MasterTest, SafeModeHoldsDeletionsUntilChunksAreReported) {
  RegisterServers(3);
  proto::AllocateChunkResponse chunk = Upload("/ns/f");
  master_.reset();
  auto reopened = Master::Open(options_);  // a restart: locations forgotten
  ASSERT_TRUE(reopened.ok());
  master_ = std::move(*reopened);
  proto::RegisterRequest r;
  r.set_server_id("cs1");
  r.set_address("127.0.0.1:7001");
  auto* orphan = r.add_chunks();
  orphan->set_handle(424242);
  orphan->set_version(1);
  auto registered = master_->Register(r, "");
  ASSERT_TRUE(registered.ok());
  EXPECT_EQ(registered->commands_size(), 0) << "no deletion in safe mode";
  master_->RepairTick(absl::Now());  // 0 of 1 chunks reported: stays safe
  EXPECT_EQ(Heartbeat("cs1").commands_size(), 0);
  EXPECT_TRUE(master_->ClusterStatus()->safe_mode());

  auto* current = r.add_chunks();
  current->set_handle(chunk.handle());
  current->set_version(chunk.version());
  ASSERT_TRUE(master_->Register(r, "").ok());
  master_->RepairTick(absl::Now());
  EXPECT_FALSE(master_->ClusterStatus()->safe_mode());
  proto::HeartbeatResponse response = Heartbeat("cs1");
  ASSERT_EQ(response.commands_size(), 1);
  EXPECT_EQ(response.commands(0).handle(), 424242u);
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
