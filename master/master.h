// Master is the metadata server's logic, free of any RPC plumbing: the gRPC
// service (master_service.h) only translates calls to these methods, so tests
// drive the master directly.
//
// It owns the durable MetadataStore (namespace, uploads, chunk records), and
// the soft state rebuilt from chunkserver reports: the registry of servers,
// where each chunk's replicas are, and the deletions waiting to ride back on
// each server's next heartbeat.
//
// Thread-safe.
#ifndef SFS_MASTER_MASTER_H_
#define SFS_MASTER_MASTER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "master/chunkserver_registry.h"
#include "master/metadata_store.h"
#include "master/placement.h"
#include "proto/sfs.pb.h"

namespace sfs {

struct MasterOptions {
  // Directory of the RocksDB metadata database.
  std::string data_dir;
  // Replicas per chunk and the fewest a new chunk may start with.
  PlacementPolicy placement;
  // A chunkserver silent for this long is dead.
  absl::Duration dead_after = absl::Seconds(15);
  // A pending upload untouched for this long is abandoned and collected.
  absl::Duration upload_idle_timeout = absl::Hours(1);
  // Page size of List when the request does not say.
  size_t default_list_limit = 1000;
};

class Master {
 public:
  static absl::StatusOr<std::unique_ptr<Master>> Open(
      const MasterOptions& options);

  Master(const Master&) = delete;
  Master& operator=(const Master&) = delete;

  absl::StatusOr<proto::CreateUploadResponse> CreateUpload(
      const proto::CreateUploadRequest& r);
  absl::StatusOr<proto::AllocateChunkResponse> AllocateChunk(
      const proto::AllocateChunkRequest& r);
  absl::StatusOr<proto::CommitChunkResponse> CommitChunk(
      const proto::CommitChunkRequest& r);
  absl::StatusOr<proto::CompleteUploadResponse> CompleteUpload(
      const proto::CompleteUploadRequest& r);
  absl::StatusOr<proto::AbandonUploadResponse> AbandonUpload(
      const proto::AbandonUploadRequest& r);
  absl::StatusOr<proto::StatResponse> Stat(const proto::StatRequest& r);
  absl::StatusOr<proto::ListResponse> List(const proto::ListRequest& r);
  absl::StatusOr<proto::DeleteResponse> Delete(const proto::DeleteRequest& r);
  absl::StatusOr<proto::ClusterStatusResponse> ClusterStatus();
  absl::StatusOr<proto::FsckResponse> Fsck();
  absl::StatusOr<proto::RegisterResponse> Register(
      const proto::RegisterRequest& r);
  absl::StatusOr<proto::HeartbeatResponse> Heartbeat(
      const proto::HeartbeatRequest& r);

  // Abandons uploads idle for longer than upload_idle_timeout; called
  // periodically. Returns how many were abandoned.
  int ExpireIdleUploads(absl::Time now);

 private:
  explicit Master(const MasterOptions& options,
                  std::unique_ptr<MetadataStore> store);

  // Files each reported replica: current ones as locations, garbage and
  // stale ones as deletions for that server.
  void AcceptReports(
      const std::string& server_id,
      const google::protobuf::RepeatedPtrField<proto::ChunkReport>& reports,
      std::vector<uint64_t>* garbage);
  // Queues deletion of every known replica of `handles`.
  void ReleaseChunks(const std::vector<uint64_t>& handles);
  void FillChunkInfo(const proto::ChunkRecord& record, absl::Time now,
                     proto::ChunkInfo* info);
  std::vector<std::string> LiveReplicas(uint64_t handle, absl::Time now);

  const MasterOptions options_;
  const std::unique_ptr<MetadataStore> store_;
  ChunkserverRegistry registry_;
  ChunkLocations locations_;
  absl::Mutex deletions_mu_;
  std::map<std::string, std::vector<uint64_t>> pending_deletions_
      ABSL_GUARDED_BY(deletions_mu_);
};

}  // namespace sfs

#endif  // SFS_MASTER_MASTER_H_
