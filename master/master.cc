#include "master/master.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/path.h"
#include "common/status_macros.h"

namespace sfs {
namespace {

int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

void FillFileHeader(const proto::FileRecord& record, proto::FileInfo* info) {
  info->set_path(record.path());
  info->set_size(record.size());
  info->set_sha256(record.sha256());
  info->set_content_type(record.content_type());
  info->set_created_unix_micros(record.created_unix_micros());
  info->set_modified_unix_micros(record.modified_unix_micros());
}

// Asks a chunkserver to delete each of `handles`.
void AddDeletions(
    const std::vector<uint64_t>& handles,
    google::protobuf::RepeatedPtrField<proto::ChunkserverCommand>* commands) {
  for (uint64_t handle : handles) {
    proto::ChunkserverCommand* command = commands->Add();
    command->set_kind(proto::ChunkserverCommand::DELETE_CHUNK);
    command->set_handle(handle);
  }
}

}  // namespace

Master::Master(const MasterOptions& options,
               std::unique_ptr<MetadataStore> store)
    : options_(options),
      store_(std::move(store)),
      registry_(options.dead_after) {}

absl::StatusOr<std::unique_ptr<Master>> Master::Open(
    const MasterOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<MetadataStore> store,
                   MetadataStore::Open(options.data_dir));
  return std::unique_ptr<Master>(new Master(options, std::move(store)));
}

absl::StatusOr<proto::CreateUploadResponse> Master::CreateUpload(
    const proto::CreateUploadRequest& r) {
  RETURN_IF_ERROR(ValidateFilePath(r.path()));
  ASSIGN_OR_RETURN(proto::PendingUploadRecord upload,
                   store_->CreateUpload(r.path(), NowMicros()));
  proto::CreateUploadResponse response;
  response.set_upload_id(upload.upload_id());
  return response;
}

absl::StatusOr<proto::AllocateChunkResponse> Master::AllocateChunk(
    const proto::AllocateChunkRequest& r) {
  absl::Time now = absl::Now();
  ASSIGN_OR_RETURN(
      std::vector<std::string> chain,
      ChooseReplicas(registry_.LiveCandidates(now), options_.placement));
  ASSIGN_OR_RETURN(
      proto::ChunkRecord chunk,
      store_->AllocateChunk(r.upload_id(), absl::ToUnixMicros(now)));
  registry_.NoteAllocation(chain, 64ull << 20);
  proto::AllocateChunkResponse response;
  response.set_handle(chunk.handle());
  response.set_version(chunk.version());
  for (const std::string& id : chain) {
    std::optional<ChunkserverInfo> info = registry_.Get(id, now);
    if (!info) continue;
    proto::ReplicaLocation* location = response.add_chain();
    location->set_server_id(id);
    location->set_address(info->address);
    location->set_rack(info->rack);
  }
  return response;
}

absl::StatusOr<proto::CommitChunkResponse> Master::CommitChunk(
    const proto::CommitChunkRequest& r) {
  RETURN_IF_ERROR(store_->CommitChunk(r.upload_id(), r.handle(), r.length(),
                                      r.crc32c(), NowMicros()));
  // The replicas that acknowledged every byte hold it now; recording them
  // here lets readers find the chunk before the next heartbeat reports it.
  for (const std::string& id : r.server_ids()) locations_.Add(r.handle(), id);
  return proto::CommitChunkResponse();
}

absl::StatusOr<proto::CompleteUploadResponse> Master::CompleteUpload(
    const proto::CompleteUploadRequest& r) {
  std::vector<uint64_t> released;
  ASSIGN_OR_RETURN(
      proto::FileRecord file,
      store_->CompleteUpload(r.upload_id(), r.size(), r.sha256(),
                             r.content_type(), NowMicros(), &released));
  ReleaseChunks(released);
  proto::CompleteUploadResponse response;
  FillFileHeader(file, response.mutable_file());
  return response;
}

absl::StatusOr<proto::AbandonUploadResponse> Master::AbandonUpload(
    const proto::AbandonUploadRequest& r) {
  std::vector<uint64_t> released;
  RETURN_IF_ERROR(store_->AbandonUpload(r.upload_id(), &released));
  ReleaseChunks(released);
  return proto::AbandonUploadResponse();
}

std::vector<std::string> Master::LiveReplicas(uint64_t handle, absl::Time now) {
  std::vector<std::string> live;
  for (const std::string& id : locations_.ServersOf(handle)) {
    std::optional<ChunkserverInfo> info = registry_.Get(id, now);
    if (info && info->alive) live.push_back(id);
  }
  return live;
}

void Master::FillChunkInfo(const proto::ChunkRecord& record, absl::Time now,
                           proto::ChunkInfo* info) {
  info->set_handle(record.handle());
  info->set_version(record.version());
  info->set_length(record.length());
  info->set_crc32c(record.crc32c());
  for (const std::string& id : LiveReplicas(record.handle(), now)) {
    std::optional<ChunkserverInfo> server = registry_.Get(id, now);
    if (!server) continue;
    proto::ReplicaLocation* replica = info->add_replicas();
    replica->set_server_id(id);
    replica->set_address(server->address);
    replica->set_rack(server->rack);
  }
}

absl::StatusOr<proto::StatResponse> Master::Stat(const proto::StatRequest& r) {
  RETURN_IF_ERROR(ValidateFilePath(r.path()));
  ASSIGN_OR_RETURN(proto::FileRecord file, store_->GetFile(r.path()));
  proto::StatResponse response;
  FillFileHeader(file, response.mutable_file());
  absl::Time now = absl::Now();
  for (uint64_t handle : file.chunks()) {
    ASSIGN_OR_RETURN(proto::ChunkRecord chunk, store_->GetChunk(handle));
    FillChunkInfo(chunk, now, response.mutable_file()->add_chunks());
  }
  return response;
}

absl::StatusOr<proto::ListResponse> Master::List(const proto::ListRequest& r) {
  RETURN_IF_ERROR(ValidateListPrefix(r.prefix()));
  size_t limit = r.limit() == 0 ? options_.default_list_limit
                                : std::min<size_t>(r.limit(), 10000);
  std::vector<proto::FileRecord> files;
  proto::ListResponse response;
  RETURN_IF_ERROR(store_->ListFiles(r.prefix(), r.start_after(), limit, &files,
                                    response.mutable_next_start_after()));
  for (const proto::FileRecord& file : files)
    FillFileHeader(file, response.add_files());
  return response;
}

absl::StatusOr<proto::DeleteResponse> Master::Delete(
    const proto::DeleteRequest& r) {
  RETURN_IF_ERROR(ValidateFilePath(r.path()));
  std::vector<uint64_t> released;
  RETURN_IF_ERROR(store_->DeleteFile(r.path(), &released));
  ReleaseChunks(released);
  return proto::DeleteResponse();
}

void Master::ReleaseChunks(const std::vector<uint64_t>& handles) {
  absl::MutexLock lock(&deletions_mu_);
  for (uint64_t handle : handles) {
    for (const std::string& id : locations_.ServersOf(handle)) {
      pending_deletions_[id].push_back(handle);
      locations_.Remove(handle, id);
    }
  }
}

absl::StatusOr<proto::ClusterStatusResponse> Master::ClusterStatus() {
  absl::Time now = absl::Now();
  std::map<std::string, uint64_t> counts = locations_.CountsByServer();
  proto::ClusterStatusResponse response;
  for (const ChunkserverInfo& info : registry_.List(now)) {
    proto::ChunkserverStatus* s = response.add_chunkservers();
    s->set_server_id(info.server_id);
    s->set_address(info.address);
    s->set_rack(info.rack);
    s->set_alive(info.alive);
    s->set_chunk_count(counts[info.server_id]);
    s->set_used_bytes(info.used_bytes);
    s->set_free_bytes(info.free_bytes);
    s->set_last_heartbeat_unix_micros(absl::ToUnixMicros(info.last_heartbeat));
  }
  response.set_file_count(store_->file_count());
  response.set_chunk_count(store_->chunk_count());
  response.set_replication_factor(options_.placement.replication);
  return response;
}

absl::StatusOr<proto::FsckResponse> Master::Fsck() {
  constexpr int kMaxProblems = 100;
  absl::Time now = absl::Now();
  proto::FsckResponse response;
  absl::Status chunk_errors;
  RETURN_IF_ERROR(store_->ForEachFile([&](const proto::FileRecord& file) {
    response.set_files(response.files() + 1);
    for (uint64_t handle : file.chunks()) {
      response.set_chunks(response.chunks() + 1);
      size_t live = LiveReplicas(handle, now).size();
      std::string problem;
      if (live == 0) {
        response.set_missing_chunks(response.missing_chunks() + 1);
        problem = absl::StrCat(file.path(), ": chunk ", handle,
                               " has no live replica");
      } else if (live < options_.placement.replication) {
        response.set_under_replicated_chunks(
            response.under_replicated_chunks() + 1);
        problem =
            absl::StrCat(file.path(), ": chunk ", handle, " has ", live, " of ",
                         options_.placement.replication, " replicas");
      } else {
        response.set_healthy_chunks(response.healthy_chunks() + 1);
      }
      if (!problem.empty() && response.problems_size() < kMaxProblems) {
        response.add_problems(problem);
      }
    }
  }));
  RETURN_IF_ERROR(store_->ForEachUpload([&](const proto::PendingUploadRecord&) {
    response.set_pending_uploads(response.pending_uploads() + 1);
  }));
  return response;
}

void Master::AcceptReports(
    const std::string& server_id,
    const google::protobuf::RepeatedPtrField<proto::ChunkReport>& reports,
    std::vector<uint64_t>* garbage) {
  for (const proto::ChunkReport& report : reports) {
    absl::StatusOr<proto::ChunkRecord> record =
        store_->GetChunk(report.handle());
    if (record.status().code() == absl::StatusCode::kNotFound ||
        (record.ok() && record->version() > report.version())) {
      garbage->push_back(report.handle());  // deleted, overwritten or stale
    } else if (record.ok() && record->version() == report.version()) {
      locations_.Add(report.handle(), server_id);
    }
  }
}

absl::StatusOr<proto::RegisterResponse> Master::Register(
    const proto::RegisterRequest& r) {
  if (r.server_id().empty() || r.address().empty()) {
    return absl::InvalidArgumentError(
        "register needs a server id and an address");
  }
  ChunkserverInfo info{r.server_id(), r.address(), r.rack(), r.used_bytes(),
                       r.free_bytes()};
  registry_.Register(info, absl::Now());
  // A full report replaces whatever we believed about this server.
  locations_.RemoveServer(r.server_id());
  std::vector<uint64_t> garbage;
  AcceptReports(r.server_id(), r.chunks(), &garbage);
  Log("chunkserver ", r.server_id(), " at ", r.address(), " registered with ",
      r.chunks_size(), " chunks, ", garbage.size(), " to delete");
  proto::RegisterResponse response;
  AddDeletions(garbage, response.mutable_commands());
  return response;
}

absl::StatusOr<proto::HeartbeatResponse> Master::Heartbeat(
    const proto::HeartbeatRequest& r) {
  proto::HeartbeatResponse response;
  if (!registry_.Heartbeat(r.server_id(), r.used_bytes(), r.free_bytes(),
                           absl::Now())) {
    response.add_commands()->set_kind(proto::ChunkserverCommand::REREGISTER);
    return response;
  }
  for (uint64_t handle : r.removed()) locations_.Remove(handle, r.server_id());
  std::vector<uint64_t> garbage;
  AcceptReports(r.server_id(), r.added(), &garbage);
  {
    absl::MutexLock lock(&deletions_mu_);
    auto it = pending_deletions_.find(r.server_id());
    if (it != pending_deletions_.end()) {
      garbage.insert(garbage.end(), it->second.begin(), it->second.end());
      pending_deletions_.erase(it);
    }
  }
  AddDeletions(garbage, response.mutable_commands());
  return response;
}

int Master::ExpireIdleUploads(absl::Time now) {
  std::vector<std::string> idle;
  int64_t cutoff = absl::ToUnixMicros(now - options_.upload_idle_timeout);
  absl::Status status =
      store_->ForEachUpload([&](const proto::PendingUploadRecord& u) {
        if (u.last_activity_unix_micros() < cutoff)
          idle.push_back(u.upload_id());
      });
  if (!status.ok()) Log("upload expiry scan failed: ", status.ToString());
  int expired = 0;
  for (const std::string& id : idle) {
    std::vector<uint64_t> released;
    if (store_->AbandonUpload(id, &released).ok()) {
      ReleaseChunks(released);
      ++expired;
    }
  }
  return expired;
}

}  // namespace sfs
