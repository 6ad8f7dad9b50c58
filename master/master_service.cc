#include "master/master_service.h"

#include <initializer_list>

#include "common/cluster_tls.h"
#include "common/grpc_status.h"
#include "common/log.h"
#include "common/rpc_observer.h"

namespace sfs {
namespace {

// Who may call what (admins may call everything; common/cluster_tls.h).
const std::initializer_list<ClusterRole> kFileCallers = {
    ClusterRole::kFrontend};
const std::initializer_list<ClusterRole> kChunkservers = {
    ClusterRole::kChunkserver};
const std::initializer_list<ClusterRole> kAdminOnly = {};

// Runs `call` for a caller holding one of `roles`, and translates its
// result; PERMISSION_DENIED for anyone else.
template <typename Response, typename Call>
grpc::Status Serve(const grpc::ServerContextBase& context,
                   std::initializer_list<ClusterRole> roles, Call call,
                   Response* out) {
  absl::StatusOr<ClusterCaller> caller = CallerOf(context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (grpc::Status allowed = Authorize(*caller, roles); !allowed.ok()) {
    return allowed;
  }
  absl::StatusOr<Response> result = call(*caller);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *out = std::move(*result);
  return grpc::Status::OK;
}

// Serve for a callback method: answers on the calling thread, in the
// caller's request id.
template <typename Response, typename Call>
grpc::ServerUnaryReactor* ServeInline(grpc::CallbackServerContext* context,
                                      std::initializer_list<ClusterRole> roles,
                                      Call call, Response* out) {
  ScopedRequestId request_id(RequestIdOf(*context));
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(Serve(*context, roles, call, out));
  return reactor;
}

}  // namespace

grpc::Status MasterService::CreateUpload(grpc::ServerContext* context,
                                         const proto::CreateUploadRequest* r,
                                         proto::CreateUploadResponse* out) {
  return Serve(
      *context, kFileCallers,
      [&](const ClusterCaller&) { return master_->CreateUpload(*r); }, out);
}

grpc::Status MasterService::AllocateChunk(grpc::ServerContext* context,
                                          const proto::AllocateChunkRequest* r,
                                          proto::AllocateChunkResponse* out) {
  return Serve(
      *context, kFileCallers,
      [&](const ClusterCaller&) { return master_->AllocateChunk(*r); }, out);
}

grpc::Status MasterService::CommitChunk(grpc::ServerContext* context,
                                        const proto::CommitChunkRequest* r,
                                        proto::CommitChunkResponse* out) {
  return Serve(
      *context, kFileCallers,
      [&](const ClusterCaller&) { return master_->CommitChunk(*r); }, out);
}

grpc::Status MasterService::CompleteUpload(
    grpc::ServerContext* context, const proto::CompleteUploadRequest* r,
    proto::CompleteUploadResponse* out) {
  return Serve(
      *context, kFileCallers,
      [&](const ClusterCaller&) { return master_->CompleteUpload(*r); }, out);
}

grpc::Status MasterService::AbandonUpload(grpc::ServerContext* context,
                                          const proto::AbandonUploadRequest* r,
                                          proto::AbandonUploadResponse* out) {
  return Serve(
      *context, kFileCallers,
      [&](const ClusterCaller&) { return master_->AbandonUpload(*r); }, out);
}

grpc::Status MasterService::GetUpload(grpc::ServerContext* context,
                                      const proto::GetUploadRequest* r,
                                      proto::GetUploadResponse* out) {
  return Serve(
      *context, kFileCallers,
      [&](const ClusterCaller&) { return master_->GetUpload(*r); }, out);
}

grpc::ServerUnaryReactor* MasterService::Stat(
    grpc::CallbackServerContext* context, const proto::StatRequest* r,
    proto::StatResponse* out) {
  return ServeInline(
      context, kFileCallers,
      [&](const ClusterCaller&) { return master_->Stat(*r); }, out);
}

grpc::ServerUnaryReactor* MasterService::StatMany(
    grpc::CallbackServerContext* context, const proto::StatManyRequest* r,
    proto::StatManyResponse* out) {
  return ServeInline(
      context, kFileCallers,
      [&](const ClusterCaller&) { return master_->StatMany(*r); }, out);
}

grpc::Status MasterService::List(grpc::ServerContext* context,
                                 const proto::ListRequest* r,
                                 proto::ListResponse* out) {
  return Serve(
      *context, kFileCallers,
      [&](const ClusterCaller&) { return master_->List(*r); }, out);
}

grpc::Status MasterService::Delete(grpc::ServerContext* context,
                                   const proto::DeleteRequest* r,
                                   proto::DeleteResponse* out) {
  return Serve(
      *context, kFileCallers,
      [&](const ClusterCaller&) { return master_->Delete(*r); }, out);
}

grpc::Status MasterService::DeleteNamespace(
    grpc::ServerContext* context, const proto::DeleteNamespaceRequest* r,
    proto::DeleteNamespaceResponse* out) {
  return Serve(
      *context, kFileCallers,
      [&](const ClusterCaller&) { return master_->DeleteNamespace(*r); }, out);
}

grpc::Status MasterService::Copy(grpc::ServerContext* context,
                                 const proto::CopyRequest* r,
                                 proto::CopyResponse* out) {
  return Serve(
      *context, kFileCallers,
      [&](const ClusterCaller&) { return master_->Copy(*r); }, out);
}

grpc::Status MasterService::Move(grpc::ServerContext* context,
                                 const proto::MoveRequest* r,
                                 proto::MoveResponse* out) {
  return Serve(
      *context, kFileCallers,
      [&](const ClusterCaller&) { return master_->Move(*r); }, out);
}

grpc::Status MasterService::ListVersions(grpc::ServerContext* context,
                                         const proto::ListVersionsRequest* r,
                                         proto::ListVersionsResponse* out) {
  return Serve(
      *context, kFileCallers,
      [&](const ClusterCaller&) { return master_->ListVersions(*r); }, out);
}

grpc::Status MasterService::Usage(grpc::ServerContext* context,
                                  const proto::UsageRequest* r,
                                  proto::UsageResponse* out) {
  return Serve(
      *context, kFileCallers,
      [&](const ClusterCaller&) { return master_->Usage(*r); }, out);
}

grpc::Status MasterService::ClusterStatus(grpc::ServerContext* context,
                                          const proto::ClusterStatusRequest*,
                                          proto::ClusterStatusResponse* out) {
  return Serve(
      *context, kFileCallers,
      [&](const ClusterCaller&) { return master_->ClusterStatus(); }, out);
}

grpc::Status MasterService::Fsck(grpc::ServerContext* context,
                                 const proto::FsckRequest*,
                                 proto::FsckResponse* out) {
  return Serve(
      *context, kAdminOnly,
      [&](const ClusterCaller&) { return master_->Fsck(); }, out);
}

grpc::Status MasterService::Register(grpc::ServerContext* context,
                                     const proto::RegisterRequest* r,
                                     proto::RegisterResponse* out) {
  return Serve(
      *context, kChunkservers,
      [&](const ClusterCaller& caller) {
        return master_->Register(*r, caller.name);
      },
      out);
}

grpc::Status MasterService::Heartbeat(grpc::ServerContext* context,
                                      const proto::HeartbeatRequest* r,
                                      proto::HeartbeatResponse* out) {
  return Serve(
      *context, kChunkservers,
      [&](const ClusterCaller& caller) {
        return master_->Heartbeat(*r, caller.name);
      },
      out);
}

grpc::Status MasterService::Checkpoint(grpc::ServerContext* context,
                                       const proto::CheckpointRequest* r,
                                       proto::CheckpointResponse* out) {
  return Serve(
      *context, kAdminOnly,
      [&](const ClusterCaller&) { return master_->Checkpoint(*r); }, out);
}

}  // namespace sfs
