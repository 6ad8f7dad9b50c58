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
#include "common/block_token.h"
#include "master/chunkserver_registry.h"
#include "master/command_queue.h"
#include "master/metadata_store.h"
#include "master/placement.h"
#include "proto/sfs.pb.h"

namespace sfs {

struct MasterOptions {
  // Directory of the RocksDB metadata database.
  std::string data_dir;
  // The only directory Checkpoint writes under; empty: checkpoints are
  // refused.
  std::string backup_dir;
  // How long the block tokens handed out with chunk locations stay valid
  // (common/block_token.h): the longest a reader may take over one file.
  absl::Duration block_token_lifetime = absl::Hours(10);
  // Replicas per chunk and the fewest a new chunk may start with.
  PlacementPolicy placement;
  // A chunkserver silent for this long is dead.
  absl::Duration dead_after = absl::Seconds(15);
  // A pending upload untouched for this long is abandoned and collected.
  absl::Duration upload_idle_timeout = absl::Hours(1);
  // Page size of List when the request does not say.
  size_t default_list_limit = 1000;
  // How long after a server is declared dead its replicas stop counting and
  // the chunks are re-replicated (a quick restart causes no clone storm).
  absl::Duration replication_delay = absl::Seconds(30);
  // Most clones a server takes part in at once, as source or target.
  size_t max_clones_per_server = 2;
  // A clone not reported done in this time is planned again.
  absl::Duration clone_timeout = absl::Minutes(5);
  // Garbage replicas (deleted files, orphans, stale versions) are deleted
  // this long after they become garbage.
  absl::Duration gc_grace = absl::Minutes(1);
  // After a restart the master deletes and re-replicates nothing until this
  // fraction of chunks has a reported replica, or until safe_mode_max.
  double safe_mode_threshold = 0.999;
  absl::Duration safe_mode_max = absl::Minutes(5);
  // Called after every synced metadata write with its duration (metrics);
  // may be empty.
  MetadataStore::WriteObserver on_metadata_write;
};

// Lookups one StatMany call may carry (sfs.proto).
inline constexpr int kMaxStatMany = 1000;

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
  absl::StatusOr<proto::GetUploadResponse> GetUpload(
      const proto::GetUploadRequest& r);
  absl::StatusOr<proto::StatResponse> Stat(const proto::StatRequest& r);
  // Each request answered as Stat answers it; InvalidArgument for more than
  // kMaxStatMany.
  absl::StatusOr<proto::StatManyResponse> StatMany(
      const proto::StatManyRequest& r);
  absl::StatusOr<proto::ListResponse> List(const proto::ListRequest& r);
  absl::StatusOr<proto::DeleteResponse> Delete(const proto::DeleteRequest& r);
  absl::StatusOr<proto::DeleteNamespaceResponse> DeleteNamespace(
      const proto::DeleteNamespaceRequest& r);
  absl::StatusOr<proto::CopyResponse> Copy(const proto::CopyRequest& r);
  absl::StatusOr<proto::MoveResponse> Move(const proto::MoveRequest& r);
  absl::StatusOr<proto::ListVersionsResponse> ListVersions(
      const proto::ListVersionsRequest& r);
  absl::StatusOr<proto::UsageResponse> Usage(const proto::UsageRequest& r);
  absl::StatusOr<proto::ClusterStatusResponse> ClusterStatus();
  absl::StatusOr<proto::FsckResponse> Fsck();
  // `identity` is the caller's certificate name (empty without TLS). The
  // first identity to register a server id holds it for this master's
  // lifetime: a server presenting another one gets PermissionDenied, so
  // it cannot take over the id's address or report on its chunks.
  absl::StatusOr<proto::RegisterResponse> Register(
      const proto::RegisterRequest& r, const std::string& identity);
  absl::StatusOr<proto::HeartbeatResponse> Heartbeat(
      const proto::HeartbeatRequest& r, const std::string& identity);

  // Writes a checkpoint to backup_dir/r.dir(): a name (letters, digits,
  // '.', '-', '_', not starting with '.') that must not exist yet.
  // FailedPrecondition without a backup_dir.
  absl::StatusOr<proto::CheckpointResponse> Checkpoint(
      const proto::CheckpointRequest& r);

  // Abandons uploads idle for longer than upload_idle_timeout; called
  // periodically. Returns how many were abandoned.
  int ExpireIdleUploads(absl::Time now);

  // One round of the repair loop, called every second or so: leaves safe
  // mode when enough chunks are reported, then plans clones for
  // under-replicated chunks and trims for over-replicated ones.
  void RepairTick(absl::Time now);

  // Whether the master is still in safe mode after a start (see
  // MasterOptions::safe_mode_threshold): it then serves reads but moves and
  // deletes no replicas, and reports itself not ready.
  bool in_safe_mode();

 private:
  Master(const MasterOptions& options, std::unique_ptr<MetadataStore> store,
         BlockTokenSigner tokens);

  struct InFlightClone {
    std::string source_id;
    std::string target_id;
    absl::Time deadline;
  };

  // Files each reported replica: current ones as locations, garbage and
  // stale ones as (conditional, delayed) deletions for that server.
  void AcceptReports(
      const std::string& server_id,
      const google::protobuf::RepeatedPtrField<proto::ChunkReport>& reports,
      absl::Time now);
  // The answer to an allocation of `chunk` on `chain` (ChooseReplicas'
  // choice), with a write token for it, and the chain's servers charged
  // for a chunk.
  proto::AllocateChunkResponse PlaceChunk(const proto::ChunkRecord& chunk,
                                          const std::vector<std::string>& chain,
                                          absl::Time now);
  // Queues deletion of every known replica of `handles`.
  void ReleaseChunks(const std::vector<uint64_t>& handles);
  // Queues deletion of `server_id`'s replica of `handle` at `version` (0:
  // any version).
  void QueueDeletion(const std::string& server_id, uint64_t handle,
                     uint64_t version, absl::Time not_before,
                     bool only_if_unreferenced);
  // Forgets a replica found corrupt, and deletes it when others remain.
  void DropCorruptReplica(uint64_t handle, const std::string& server_id);
  // Commands due for a server, as a heartbeat or registration reply.
  void DeliverCommands(
      const std::string& server_id, absl::Time now,
      google::protobuf::RepeatedPtrField<proto::ChunkserverCommand>* out);
  // Whether the metadata references chunk `handle` at `version` (0: any).
  bool References(uint64_t handle, uint64_t version);
  void FillChunkInfo(const proto::ChunkRecord& record, absl::Time now,
                     proto::ChunkInfo* info);
  std::vector<std::string> LiveReplicas(uint64_t handle, absl::Time now);

  const MasterOptions options_;
  const std::unique_ptr<MetadataStore> store_;
  const BlockTokenSigner tokens_;
  const absl::Time started_ = absl::Now();
  ChunkserverRegistry registry_;
  ChunkLocations locations_;
  CommandQueue commands_;

  absl::Mutex repair_mu_;
  bool safe_mode_ ABSL_GUARDED_BY(repair_mu_) = true;
  std::map<uint64_t, InFlightClone> in_flight_ ABSL_GUARDED_BY(repair_mu_);
  uint64_t under_replicated_ ABSL_GUARDED_BY(repair_mu_) = 0;
  uint64_t corrupt_replicas_found_ ABSL_GUARDED_BY(repair_mu_) = 0;
};

}  // namespace sfs

#endif  // SFS_MASTER_MASTER_H_
