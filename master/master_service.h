// MasterService exposes a Master over gRPC; it only checks the caller's role
// (common/cluster_tls.h) and translates messages and statuses. `master` must
// outlive the service.
#ifndef SFS_MASTER_MASTER_SERVICE_H_
#define SFS_MASTER_MASTER_SERVICE_H_

#include "master/master.h"
#include "proto/sfs.grpc.pb.h"

namespace sfs {

// Lookups (Stat, StatMany) are callback methods: answered on the thread that
// read the call, from memory or RocksDB's caches, without the hand-off to a
// sync-server thread that costs more than the lookup itself.
using MasterServiceBase = proto::Master::WithCallbackMethod_Stat<
    proto::Master::WithCallbackMethod_StatMany<proto::Master::Service>>;

class MasterService final : public MasterServiceBase {
 public:
  explicit MasterService(Master* master) : master_(master) {}

  grpc::Status CreateUpload(grpc::ServerContext*,
                            const proto::CreateUploadRequest* r,
                            proto::CreateUploadResponse* out) override;
  grpc::Status AllocateChunk(grpc::ServerContext*,
                             const proto::AllocateChunkRequest* r,
                             proto::AllocateChunkResponse* out) override;
  grpc::Status CommitChunk(grpc::ServerContext*,
                           const proto::CommitChunkRequest* r,
                           proto::CommitChunkResponse* out) override;
  grpc::Status CompleteUpload(grpc::ServerContext*,
                              const proto::CompleteUploadRequest* r,
                              proto::CompleteUploadResponse* out) override;
  grpc::Status AbandonUpload(grpc::ServerContext*,
                             const proto::AbandonUploadRequest* r,
                             proto::AbandonUploadResponse* out) override;
  grpc::Status GetUpload(grpc::ServerContext*, const proto::GetUploadRequest* r,
                         proto::GetUploadResponse* out) override;
  grpc::ServerUnaryReactor* Stat(grpc::CallbackServerContext* context,
                                 const proto::StatRequest* r,
                                 proto::StatResponse* out) override;
  grpc::ServerUnaryReactor* StatMany(grpc::CallbackServerContext* context,
                                     const proto::StatManyRequest* r,
                                     proto::StatManyResponse* out) override;
  grpc::Status List(grpc::ServerContext*, const proto::ListRequest* r,
                    proto::ListResponse* out) override;
  grpc::Status Delete(grpc::ServerContext*, const proto::DeleteRequest* r,
                      proto::DeleteResponse* out) override;
  grpc::Status ListVersions(grpc::ServerContext*,
                            const proto::ListVersionsRequest* r,
                            proto::ListVersionsResponse* out) override;
  grpc::Status Usage(grpc::ServerContext*, const proto::UsageRequest* r,
                     proto::UsageResponse* out) override;
  grpc::Status DeleteNamespace(grpc::ServerContext*,
                               const proto::DeleteNamespaceRequest* r,
                               proto::DeleteNamespaceResponse* out) override;
  grpc::Status Copy(grpc::ServerContext*, const proto::CopyRequest* r,
                    proto::CopyResponse* out) override;
  grpc::Status Move(grpc::ServerContext*, const proto::MoveRequest* r,
                    proto::MoveResponse* out) override;
  grpc::Status ClusterStatus(grpc::ServerContext*,
                             const proto::ClusterStatusRequest* r,
                             proto::ClusterStatusResponse* out) override;
  grpc::Status Fsck(grpc::ServerContext*, const proto::FsckRequest* r,
                    proto::FsckResponse* out) override;
  grpc::Status Register(grpc::ServerContext*, const proto::RegisterRequest* r,
                        proto::RegisterResponse* out) override;
  grpc::Status Heartbeat(grpc::ServerContext*, const proto::HeartbeatRequest* r,
                         proto::HeartbeatResponse* out) override;
  grpc::Status Checkpoint(grpc::ServerContext*,
                          const proto::CheckpointRequest* r,
                          proto::CheckpointResponse* out) override;

 private:
  Master* const master_;
};

}  // namespace sfs

#endif  // SFS_MASTER_MASTER_SERVICE_H_
