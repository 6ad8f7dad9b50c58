#include "chunkserver/master_reporter.h"

#include <grpcpp/grpcpp.h>

#include "common/log.h"
#include "common/rpc_settings.h"

namespace sfs {
namespace {

void SetDeadline(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(10));
}

void FillReport(const SealedChunk& chunk, proto::ChunkReport* report) {
  report->set_handle(chunk.handle);
  report->set_version(chunk.version);
  report->set_length(chunk.length);
}

}  // namespace

MasterReporter::MasterReporter(const ReporterOptions& options,
                               ChunkStore* store, ChunkCloner* cloner)
    : options_(options),
      store_(store),
      cloner_(cloner),
      stub_(proto::Master::NewStub(NewChannel(options.master_address,
                                              *options.credentials,
                                              ClusterRole::kMaster))) {}

MasterReporter::~MasterReporter() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void MasterReporter::Start() {
  thread_ = std::thread([this] { Run(); });
}

void MasterReporter::Run() {
  do {
    bool full_due =
        absl::Now() - last_full_report_ >= options_.full_report_every;
    if (!registered_ || full_due) {
      registered_ = RegisterFully();
    } else if (!SendHeartbeat()) {
      registered_ = false;
    }
  } while (!stop_.WaitForNotificationWithTimeout(options_.interval));
}

bool MasterReporter::RegisterFully() {
  proto::RegisterRequest request;
  request.set_server_id(options_.server_id);
  request.set_address(options_.advertised_address);
  request.set_rack(options_.rack);
  request.set_used_bytes(store_->used_bytes());
  request.set_free_bytes(store_->free_bytes());
  for (const SealedChunk& chunk : store_->TakeFullReport()) {
    FillReport(chunk, request.add_chunks());
  }
  grpc::ClientContext context;
  SetDeadline(&context);
  proto::RegisterResponse response;
  grpc::Status status = stub_->Register(&context, request, &response);
  if (!status.ok()) {
    if (registered_)
      Log("cannot register with master: ", status.error_message());
    return false;
  }
  last_full_report_ = absl::Now();
  Log("registered with master: ", request.chunks_size(), " chunks");
  options_.tokens->AddKey(response.block_key());
  Execute(response.commands());
  return true;
}

bool MasterReporter::SendHeartbeat() {
  std::vector<SealedChunk> added;
  std::vector<uint64_t> removed, corrupt;
  store_->TakeChanges(&added, &removed, &corrupt);
  proto::HeartbeatRequest request;
  request.set_server_id(options_.server_id);
  request.set_used_bytes(store_->used_bytes());
  request.set_free_bytes(store_->free_bytes());
  for (const SealedChunk& chunk : added) FillReport(chunk, request.add_added());
  for (uint64_t handle : removed) request.add_removed(handle);
  for (uint64_t handle : corrupt) request.add_corrupt(handle);
  request.set_disk_failed(store_->disk_failed());
  grpc::ClientContext context;
  SetDeadline(&context);
  proto::HeartbeatResponse response;
  grpc::Status status = stub_->Heartbeat(&context, request, &response);
  if (!status.ok()) {
    // The changes taken above are lost to this heartbeat; the full report
    // sent once the master answers again carries them.
    Log("heartbeat failed: ", status.error_message());
    return false;
  }
  Execute(response.commands());
  return true;
}

void MasterReporter::Execute(
    const google::protobuf::RepeatedPtrField<proto::ChunkserverCommand>&
        commands) {
  for (const proto::ChunkserverCommand& command : commands) {
    switch (command.kind()) {
      case proto::ChunkserverCommand::DELETE_CHUNK: {
        absl::Status status = store_->Delete(command.handle());
        if (!status.ok())
          Log("delete of chunk ", command.handle(),
              " failed: ", status.ToString());
        break;
      }
      case proto::ChunkserverCommand::REPLICATE_CHUNK:
        cloner_->Enqueue(command);
        break;
      case proto::ChunkserverCommand::REREGISTER:
        registered_ = false;
        break;
      default:
        break;
    }
  }
}

}  // namespace sfs
