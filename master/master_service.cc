#include "master/master_service.h"

#include "common/grpc_status.h"

namespace sfs {
namespace {

template <typename Response>
grpc::Status Reply(absl::StatusOr<Response> result, Response* out) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *out = std::move(*result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status MasterService::CreateUpload(grpc::ServerContext*,
                                         const proto::CreateUploadRequest* r,
                                         proto::CreateUploadResponse* out) {
  return Reply(master_->CreateUpload(*r), out);
}
grpc::Status MasterService::AllocateChunk(grpc::ServerContext*,
                                          const proto::AllocateChunkRequest* r,
                                          proto::AllocateChunkResponse* out) {
  return Reply(master_->AllocateChunk(*r), out);
}
grpc::Status MasterService::CommitChunk(grpc::ServerContext*,
                                        const proto::CommitChunkRequest* r,
                                        proto::CommitChunkResponse* out) {
  return Reply(master_->CommitChunk(*r), out);
}
grpc::Status MasterService::CompleteUpload(
    grpc::ServerContext*, const proto::CompleteUploadRequest* r,
    proto::CompleteUploadResponse* out) {
  return Reply(master_->CompleteUpload(*r), out);
}
grpc::Status MasterService::AbandonUpload(grpc::ServerContext*,
                                          const proto::AbandonUploadRequest* r,
                                          proto::AbandonUploadResponse* out) {
  return Reply(master_->AbandonUpload(*r), out);
}

grpc::Status MasterService::GetUpload(grpc::ServerContext*,
                                      const proto::GetUploadRequest* r,
                                      proto::GetUploadResponse* out) {
  return Reply(master_->GetUpload(*r), out);
}
grpc::Status MasterService::Stat(grpc::ServerContext*,
                                 const proto::StatRequest* r,
                                 proto::StatResponse* out) {
  return Reply(master_->Stat(*r), out);
}
grpc::Status MasterService::List(grpc::ServerContext*,
                                 const proto::ListRequest* r,
                                 proto::ListResponse* out) {
  return Reply(master_->List(*r), out);
}
grpc::Status MasterService::DeleteNamespace(
    grpc::ServerContext*, const proto::DeleteNamespaceRequest* r,
    proto::DeleteNamespaceResponse* out) {
  return Reply(master_->DeleteNamespace(*r), out);
}

grpc::Status MasterService::Copy(grpc::ServerContext*,
                                 const proto::CopyRequest* r,
                                 proto::CopyResponse* out) {
  return Reply(master_->Copy(*r), out);
}

grpc::Status MasterService::Move(grpc::ServerContext*,
                                 const proto::MoveRequest* r,
                                 proto::MoveResponse* out) {
  return Reply(master_->Move(*r), out);
}

grpc::Status MasterService::Delete(grpc::ServerContext*,
                                   const proto::DeleteRequest* r,
                                   proto::DeleteResponse* out) {
  return Reply(master_->Delete(*r), out);
}

grpc::Status MasterService::ListVersions(grpc::ServerContext*,
                                         const proto::ListVersionsRequest* r,
                                         proto::ListVersionsResponse* out) {
  return Reply(master_->ListVersions(*r), out);
}

grpc::Status MasterService::Usage(grpc::ServerContext*,
                                  const proto::UsageRequest* r,
                                  proto::UsageResponse* out) {
  return Reply(master_->Usage(*r), out);
}
grpc::Status MasterService::ClusterStatus(grpc::ServerContext*,
                                          const proto::ClusterStatusRequest*,
                                          proto::ClusterStatusResponse* out) {
  return Reply(master_->ClusterStatus(), out);
}
grpc::Status MasterService::Fsck(grpc::ServerContext*,
                                 const proto::FsckRequest*,
                                 proto::FsckResponse* out) {
  return Reply(master_->Fsck(), out);
}
grpc::Status MasterService::Register(grpc::ServerContext*,
                                     const proto::RegisterRequest* r,
                                     proto::RegisterResponse* out) {
  return Reply(master_->Register(*r), out);
}
grpc::Status MasterService::Heartbeat(grpc::ServerContext*,
                                      const proto::HeartbeatRequest* r,
                                      proto::HeartbeatResponse* out) {
  return Reply(master_->Heartbeat(*r), out);
}

grpc::Status MasterService::ReportBadReplica(
    grpc::ServerContext*, const proto::ReportBadReplicaRequest* r,
    proto::ReportBadReplicaResponse* out) {
  return Reply(master_->ReportBadReplica(*r), out);
}
grpc::Status MasterService::Checkpoint(grpc::ServerContext*,
                                       const proto::CheckpointRequest* r,
                                       proto::CheckpointResponse* out) {
  return Reply(master_->Checkpoint(*r), out);
}

}  // namespace sfs
