#include "master/master.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/path.h"
#include "common/status_macros.h"
#include "master/repair_planner.h"

namespace sfs {
namespace {

int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

// Bounds the old versions a writer may ask to keep (each costs its chunks).
constexpr uint32_t kMaxKeepVersions = 1000;
// Bounds of what clients keep with a resumable upload (sfs.proto).
constexpr size_t kMaxClientData = 16 << 10;
constexpr size_t kMaxClientState = 1 << 10;

// The admission every write into a namespace carries (CreateUpload, Copy,
// Move): the namespace's quota and incarnation.
template <typename Request>
UploadAdmission AdmissionOf(const Request& r) {
  UploadAdmission admission;
  if (r.has_quota_bytes()) admission.quota_bytes = r.quota_bytes();
  admission.namespace_incarnation = r.namespace_incarnation();
  return admission;
}

absl::Status CheckKeepVersions(uint32_t keep_versions) {
  if (keep_versions > kMaxKeepVersions) {
    return absl::InvalidArgumentError(absl::StrCat(
        "keep_versions ", keep_versions, " is above ", kMaxKeepVersions));
  }
  return absl::OkStatus();
}

// Bounds what a writer may store about a file: every Stat carries it.
absl::Status ValidateAttributes(const proto::CompleteUploadRequest& r) {
  constexpr size_t kMaxAttributeBytes = 4096;
  size_t bytes = r.content_type().size() + r.cache_control().size();
  for (const auto& [key, value] : r.metadata())
    bytes += key.size() + value.size();
  if (bytes > kMaxAttributeBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("content type, cache control and metadata exceed ",
                     kMaxAttributeBytes, " bytes"));
  }
  return absl::OkStatus();
}

void FillFileHeader(const proto::FileRecord& record, proto::FileInfo* info) {
  info->set_path(record.path());
  info->set_size(record.size());
  info->set_sha256(record.sha256());
  info->set_content_type(record.content_type());
  info->set_created_unix_micros(record.created_unix_micros());
  info->set_modified_unix_micros(record.modified_unix_micros());
  info->set_generation(FileGeneration(record));
  info->set_cache_control(record.cache_control());
  *info->mutable_metadata() = record.metadata();
}

}  // namespace

Master::Master(const MasterOptions& options,
               std::unique_ptr<MetadataStore> store, BlockTokenSigner tokens)
    : options_(options),
      store_(std::move(store)),
      tokens_(std::move(tokens)),
      registry_(options.dead_after) {}

absl::StatusOr<std::unique_ptr<Master>> Master::Open(
    const MasterOptions& options) {
  ASSIGN_OR_RETURN(
      std::unique_ptr<MetadataStore> store,
      MetadataStore::Open(options.data_dir, options.on_metadata_write));
  ASSIGN_OR_RETURN(
      BlockTokenSigner tokens,
      BlockTokenSigner::OpenKeyFile(options.data_dir + "/block_token.key",
                                    options.block_token_lifetime));
  return std::unique_ptr<Master>(
      new Master(options, std::move(store), std::move(tokens)));
}

absl::StatusOr<proto::CreateUploadResponse> Master::CreateUpload(
    const proto::CreateUploadRequest& r) {
  RETURN_IF_ERROR(ValidateFilePath(r.path()));
  if (r.client_data().size() > kMaxClientData) {
    return absl::InvalidArgumentError(
        absl::StrCat("client data exceeds ", kMaxClientData, " bytes"));
  }
  UploadAdmission admission = AdmissionOf(r);
  admission.reserve_bytes = r.reserve_bytes();
  const absl::Time now = absl::Now();
  std::vector<std::string> chain;
  if (r.allocate_chunk()) {
    ASSIGN_OR_RETURN(chain, ChooseReplicas(registry_.LiveCandidates(now),
                                           options_.placement));
  }
  ASSIGN_OR_RETURN(
      proto::PendingUploadRecord upload,
      store_->CreateUpload(r.path(), absl::ToUnixMicros(now), admission,
                           r.client_data(), r.allocate_chunk()));
  proto::CreateUploadResponse response;
  response.set_upload_id(upload.upload_id());
  if (r.allocate_chunk()) {
    proto::ChunkRecord chunk;
    chunk.set_handle(upload.chunks(0));
    chunk.set_version(1);
    *response.mutable_first_chunk() = PlaceChunk(chunk, chain, now);
  }
  return response;
}

absl::StatusOr<proto::AllocateChunkResponse> Master::AllocateChunk(
    const proto::AllocateChunkRequest& r) {
  absl::Time now = absl::Now();
  ASSIGN_OR_RETURN(
      std::vector<std::string> chain,
      ChooseReplicas(registry_.LiveCandidates(now), options_.placement));
  ASSIGN_OR_RETURN(proto::ChunkRecord chunk,
                   store_->AllocateChunk(r.upload_id(), r.writer_epoch(),
                                         absl::ToUnixMicros(now)));
  return PlaceChunk(chunk, chain, now);
}

proto::AllocateChunkResponse Master::PlaceChunk(
    const proto::ChunkRecord& chunk, const std::vector<std::string>& chain,
    absl::Time now) {
  registry_.NoteAllocation(chain, 64ull << 20);
  proto::AllocateChunkResponse response;
  response.set_handle(chunk.handle());
  response.set_version(chunk.version());
  std::vector<std::string> addresses;
  for (const std::string& id : chain) {
    std::optional<ChunkserverInfo> info = registry_.Get(id, now);
    if (!info) continue;
    proto::ReplicaLocation* location = response.add_chain();
    location->set_server_id(id);
    location->set_address(info->address);
    location->set_rack(info->rack);
    addresses.push_back(info->address);
  }
  *response.mutable_token() =
      tokens_.Sign(chunk.handle(), proto::BlockToken::WRITE, addresses, now);
  return response;
}

absl::StatusOr<proto::CommitChunkResponse> Master::CommitChunk(
    const proto::CommitChunkRequest& r) {
  if (r.client_state().size() > kMaxClientState) {
    return absl::InvalidArgumentError(
        absl::StrCat("client state exceeds ", kMaxClientState, " bytes"));
  }
  RETURN_IF_ERROR(store_->CommitChunk(r.upload_id(), r.handle(), r.length(),
                                      r.crc32c(), r.writer_epoch(),
                                      r.client_state(), NowMicros()));
  // The replicas that acknowledged every byte hold it now; recording them
  // here lets readers find the chunk before the next heartbeat reports it.
  for (const std::string& id : r.server_ids()) locations_.Add(r.handle(), id);
  return proto::CommitChunkResponse();
}

absl::StatusOr<proto::CompleteUploadResponse> Master::CompleteUpload(
    const proto::CompleteUploadRequest& r) {
  RETURN_IF_ERROR(CheckKeepVersions(r.keep_versions()));
  RETURN_IF_ERROR(ValidateAttributes(r));
  if (r.has_last_chunk()) {
    if (r.last_chunk().upload_id() != r.upload_id()) {
      return absl::InvalidArgumentError(
          "the last chunk belongs to another upload");
    }
    RETURN_IF_ERROR(CommitChunk(r.last_chunk()).status());
  }
  std::vector<uint64_t> released;
  ASSIGN_OR_RETURN(
      proto::FileRecord file,
      store_->CompleteUpload(
          r.upload_id(), r.size(), r.sha256(),
          FileAttributes{r.content_type(),
                         r.cache_control(),
                         {r.metadata().begin(), r.metadata().end()}},
          NowMicros(), r.keep_versions(), {r.if_absent(), r.if_generation()},
          &released));
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

absl::StatusOr<proto::GetUploadResponse> Master::GetUpload(
    const proto::GetUploadRequest& r) {
  proto::PendingUploadRecord upload;
  if (r.take_over()) {
    std::optional<std::string> client_data;
    if (r.has_client_data()) {
      if (r.client_data().size() > kMaxClientData) {
        return absl::InvalidArgumentError(
            absl::StrCat("client data exceeds ", kMaxClientData, " bytes"));
      }
      client_data = r.client_data();
    }
    std::vector<uint64_t> released;
    ASSIGN_OR_RETURN(upload, store_->TakeOverUpload(r.upload_id(), NowMicros(),
                                                    client_data, &released));
    ReleaseChunks(released);
  } else {
    ASSIGN_OR_RETURN(upload, store_->GetUpload(r.upload_id()));
  }
  proto::GetUploadResponse response;
  response.set_path(upload.path());
  response.set_committed_bytes(upload.committed_bytes());
  response.set_client_data(upload.client_data());
  response.set_client_state(upload.client_state());
  response.set_writer_epoch(upload.writer_epoch());
  response.set_expires_unix_micros(
      upload.last_activity_unix_micros() +
      absl::ToInt64Microseconds(options_.upload_idle_timeout));
  if (r.with_chunks()) {
    const absl::Time now = absl::Now();
    for (uint64_t handle : upload.chunks()) {
      ASSIGN_OR_RETURN(proto::ChunkRecord chunk, store_->GetChunk(handle));
      // Committed chunks are a prefix; the rest is being written.
      if (!chunk.committed()) break;
      FillChunkInfo(chunk, now, response.add_chunks());
    }
  }
  return response;
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
  *info->mutable_token() =
      tokens_.Sign(record.handle(), proto::BlockToken::READ, {}, now);
}

absl::StatusOr<proto::StatResponse> Master::Stat(const proto::StatRequest& r) {
  RETURN_IF_ERROR(ValidateFilePath(r.path()));
  ASSIGN_OR_RETURN(proto::FileRecord file,
                   store_->GetVersion(r.path(), r.generation()));
  proto::StatResponse response;
  FillFileHeader(file, response.mutable_file());
  absl::Time now = absl::Now();
  for (uint64_t handle : file.chunks()) {
    ASSIGN_OR_RETURN(proto::ChunkRecord chunk, store_->GetChunk(handle));
    FillChunkInfo(chunk, now, response.mutable_file()->add_chunks());
  }
  return response;
}

absl::StatusOr<proto::StatManyResponse> Master::StatMany(
    const proto::StatManyRequest& r) {
  if (r.requests_size() > kMaxStatMany) {
    return absl::InvalidArgumentError(absl::StrCat(
        r.requests_size(), " lookups in one call, at most ", kMaxStatMany));
  }
  proto::StatManyResponse response;
  for (const proto::StatRequest& request : r.requests()) {
    proto::StatManyResponse::Result* result = response.add_results();
    absl::StatusOr<proto::StatResponse> answer = Stat(request);
    if (answer.ok()) {
      *result->mutable_response() = *std::move(answer);
    } else {
      result->set_code(static_cast<int>(answer.status().code()));
      result->set_message(std::string(answer.status().message()));
    }
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
  RETURN_IF_ERROR(store_->DeleteFile(r.path(), r.if_generation(), &released));
  ReleaseChunks(released);
  return proto::DeleteResponse();
}

absl::StatusOr<proto::DeleteNamespaceResponse> Master::DeleteNamespace(
    const proto::DeleteNamespaceRequest& r) {
  // The namespace must name exactly one top-level folder.
  RETURN_IF_ERROR(ValidateListPrefix(absl::StrCat("/", r.namespace_(), "/")));
  if (r.namespace_().empty() || absl::StrContains(r.namespace_(), '/')) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad namespace \"", r.namespace_(), "\""));
  }
  std::vector<uint64_t> released;
  absl::StatusOr<NamespaceDeletion> deleted = store_->DeleteNamespace(
      r.namespace_(), r.incarnation(), NowMicros(), &released);
  // What was deleted before a failure is garbage all the same.
  ReleaseChunks(released);
  RETURN_IF_ERROR(deleted.status());
  proto::DeleteNamespaceResponse response;
  response.set_files(deleted->files);
  response.set_uploads(deleted->uploads);
  return response;
}

absl::StatusOr<proto::CopyResponse> Master::Copy(const proto::CopyRequest& r) {
  RETURN_IF_ERROR(ValidateFilePath(r.source()));
  RETURN_IF_ERROR(ValidateFilePath(r.destination()));
  RETURN_IF_ERROR(CheckKeepVersions(r.keep_versions()));
  const UploadAdmission admission = AdmissionOf(r);
  std::vector<uint64_t> released;
  ASSIGN_OR_RETURN(
      proto::FileRecord file,
      store_->Copy(r.source(), r.source_generation(), r.destination(),
                   NowMicros(), r.keep_versions(),
                   {r.if_absent(), r.if_generation()}, admission, &released));
  ReleaseChunks(released);
  proto::CopyResponse response;
  FillFileHeader(file, response.mutable_file());
  return response;
}

absl::StatusOr<proto::MoveResponse> Master::Move(const proto::MoveRequest& r) {
  RETURN_IF_ERROR(ValidateFilePath(r.source()));
  RETURN_IF_ERROR(ValidateFilePath(r.destination()));
  const UploadAdmission admission = AdmissionOf(r);
  std::vector<uint64_t> released;
  ASSIGN_OR_RETURN(proto::FileRecord file,
                   store_->Move(r.source(), r.destination(), NowMicros(),
                                r.overwrite(), admission, &released));
  ReleaseChunks(released);
  proto::MoveResponse response;
  FillFileHeader(file, response.mutable_file());
  return response;
}

absl::StatusOr<proto::ListVersionsResponse> Master::ListVersions(
    const proto::ListVersionsRequest& r) {
  RETURN_IF_ERROR(ValidateFilePath(r.path()));
  ASSIGN_OR_RETURN(std::vector<proto::FileRecord> versions,
                   store_->ListVersions(r.path()));
  proto::ListVersionsResponse response;
  for (const proto::FileRecord& version : versions)
    FillFileHeader(version, response.add_versions());
  return response;
}

absl::StatusOr<proto::UsageResponse> Master::Usage(
    const proto::UsageRequest& r) {
  RETURN_IF_ERROR(ValidateListPrefix(r.prefix()));
  return store_->Usage(r.prefix());
}

void Master::ReleaseChunks(const std::vector<uint64_t>& handles) {
  absl::Time due = absl::Now() + options_.gc_grace;
  for (uint64_t handle : handles) {
    for (const std::string& id : locations_.ServersOf(handle)) {
      QueueDeletion(id, handle, /*version=*/0, due,
                    /*only_if_unreferenced=*/true);
      locations_.Remove(handle, id);
    }
  }
}

void Master::QueueDeletion(const std::string& server_id, uint64_t handle,
                           uint64_t version, absl::Time not_before,
                           bool only_if_unreferenced) {
  if (commands_.HasDeletion(server_id, handle)) return;
  proto::ChunkserverCommand command;
  command.set_kind(proto::ChunkserverCommand::DELETE_CHUNK);
  command.set_handle(handle);
  command.set_version(version);
  commands_.Push(server_id, command, not_before, only_if_unreferenced);
}

bool Master::References(uint64_t handle, uint64_t version) {
  absl::StatusOr<proto::ChunkRecord> record = store_->GetChunk(handle);
  if (record.status().code() == absl::StatusCode::kNotFound) return false;
  // On a read error, assume referenced: a deletion can wait, data cannot
  // come back.
  return !record.ok() || version == 0 || record->version() == version;
}

void Master::DeliverCommands(
    const std::string& server_id, absl::Time now,
    google::protobuf::RepeatedPtrField<proto::ChunkserverCommand>* out) {
  for (proto::ChunkserverCommand& command : commands_.TakeDue(
           server_id, now, /*deletions_allowed=*/!in_safe_mode(),
           [this](uint64_t h, uint64_t v) { return References(h, v); })) {
    if (command.kind() == proto::ChunkserverCommand::REPLICATE_CHUNK) {
      // Signed now, not when planned: the clone may wait in the queue.
      *command.mutable_token() =
          tokens_.Sign(command.handle(), proto::BlockToken::READ, {}, now);
    }
    *out->Add() = std::move(command);
  }
}

bool Master::in_safe_mode() {
  absl::MutexLock lock(&repair_mu_);
  return safe_mode_;
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
    s->set_disk_failed(info.disk_failed);
  }
  response.set_file_count(store_->file_count());
  response.set_chunk_count(store_->chunk_count());
  response.set_replication_factor(options_.placement.replication);
  absl::MutexLock lock(&repair_mu_);
  response.set_safe_mode(safe_mode_);
  response.set_replication_backlog(in_flight_.size());
  response.set_under_replicated_chunks(under_replicated_);
  response.set_usage_records_scanned(store_->usage_records_scanned());
  response.set_corrupt_replicas(corrupt_replicas_found_);
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
  for (const ChunkserverInfo& info : registry_.List(now)) {
    if (!info.alive)
      response.set_dead_chunkservers(response.dead_chunkservers() + 1);
  }
  absl::MutexLock lock(&repair_mu_);
  response.set_corrupt_replicas(corrupt_replicas_found_);
  response.set_replication_backlog(in_flight_.size());
  response.set_safe_mode(safe_mode_);
  return response;
}

void Master::AcceptReports(
    const std::string& server_id,
    const google::protobuf::RepeatedPtrField<proto::ChunkReport>& reports,
    absl::Time now) {
  for (const proto::ChunkReport& report : reports) {
    absl::StatusOr<proto::ChunkRecord> record =
        store_->GetChunk(report.handle());
    if (record.ok() && record->version() == report.version()) {
      locations_.Add(report.handle(), server_id);
      absl::MutexLock lock(&repair_mu_);
      auto clone = in_flight_.find(report.handle());
      if (clone != in_flight_.end() && clone->second.target_id == server_id) {
        in_flight_.erase(clone);
      }
    } else if (record.status().code() == absl::StatusCode::kNotFound ||
               (record.ok() && record->version() > report.version())) {
      // An orphan (deleted or overwritten file, abandoned upload, restored
      // metadata) or a stale version: garbage once the grace period passes.
      QueueDeletion(server_id, report.handle(), report.version(),
                    now + options_.gc_grace,
                    /*only_if_unreferenced=*/true);
    }
  }
}

absl::StatusOr<proto::RegisterResponse> Master::Register(
    const proto::RegisterRequest& r, const std::string& identity) {
  if (r.server_id().empty() || r.address().empty()) {
    return absl::InvalidArgumentError(
        "register needs a server id and an address");
  }
  ChunkserverInfo info;
  info.server_id = r.server_id();
  info.identity = identity;
  info.address = r.address();
  info.rack = r.rack();
  info.used_bytes = r.used_bytes();
  info.free_bytes = r.free_bytes();
  absl::Time now = absl::Now();
  RETURN_IF_ERROR(registry_.Register(info, now));
  // A full report replaces whatever we believed about this server.
  locations_.RemoveServer(r.server_id());
  AcceptReports(r.server_id(), r.chunks(), now);
  Log("chunkserver ", r.server_id(), " at ", r.address(), " registered with ",
      r.chunks_size(), " chunks");
  proto::RegisterResponse response;
  *response.mutable_block_key() = tokens_.key();
  DeliverCommands(r.server_id(), now, response.mutable_commands());
  return response;
}

absl::StatusOr<proto::HeartbeatResponse> Master::Heartbeat(
    const proto::HeartbeatRequest& r, const std::string& identity) {
  absl::Time now = absl::Now();
  proto::HeartbeatResponse response;
  absl::Status known =
      registry_.Heartbeat(r.server_id(), identity, r.used_bytes(),
                          r.free_bytes(), r.disk_failed(), now);
  if (absl::IsNotFound(known)) {
    response.add_commands()->set_kind(proto::ChunkserverCommand::REREGISTER);
    return response;
  }
  RETURN_IF_ERROR(known);
  for (uint64_t handle : r.removed()) locations_.Remove(handle, r.server_id());
  for (uint64_t handle : r.corrupt()) DropCorruptReplica(handle, r.server_id());
  AcceptReports(r.server_id(), r.added(), now);
  DeliverCommands(r.server_id(), now, response.mutable_commands());
  return response;
}

void Master::DropCorruptReplica(uint64_t handle, const std::string& server_id) {
  {
    absl::MutexLock lock(&repair_mu_);
    ++corrupt_replicas_found_;
  }
  std::vector<std::string> holders = locations_.ServersOf(handle);
  if (std::find(holders.begin(), holders.end(), server_id) == holders.end())
    return;
  Log("replica of chunk ", handle, " on ", server_id, " is corrupt");
  // The last replica stays: most of its blocks may still be readable.
  if (holders.size() == 1) return;
  locations_.Remove(handle, server_id);
  QueueDeletion(server_id, handle, /*version=*/0, absl::Now(),
                /*only_if_unreferenced=*/false);
}

absl::StatusOr<proto::CheckpointResponse> Master::Checkpoint(
    const proto::CheckpointRequest& r) {
  if (options_.backup_dir.empty()) {
    return absl::FailedPreconditionError(
        "checkpoints are off: the master has no --backup_dir");
  }
  const std::string& name = r.dir();
  if (name.empty() || name.size() > 255 || name[0] == '.' ||
      !std::all_of(name.begin(), name.end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_';
      })) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a checkpoint is named by letters, digits, '.', '-' and '_' (not "
        "starting with '.'), not \"",
        absl::CHexEscape(name.substr(0, 64)), "\""));
  }
  const std::string dir = absl::StrCat(options_.backup_dir, "/", name);
  std::error_code error;
  std::filesystem::create_directories(options_.backup_dir, error);
  if (error) {
    return absl::InternalError(absl::StrCat(
        "cannot create ", options_.backup_dir, ": ", error.message()));
  }
  RETURN_IF_ERROR(store_->Checkpoint(dir));
  Log("metadata checkpoint written to ", dir);
  proto::CheckpointResponse response;
  response.set_files(store_->file_count());
  response.set_path(dir);
  return response;
}

void Master::RepairTick(absl::Time now) {
  absl::Duration give_up_after =
      options_.dead_after + options_.replication_delay;
  std::map<std::string, absl::Time> last_heard;
  for (const ChunkserverInfo& info : registry_.List(now)) {
    last_heard[info.server_id] = info.last_heartbeat;
  }
  std::vector<ChunkReplicas> chunks;
  uint64_t committed = 0, reported = 0;
  absl::Status scan =
      store_->ForEachChunk([&](const proto::ChunkRecord& record) {
        if (!record.committed()) return;
        ++committed;
        ChunkReplicas chunk;
        chunk.handle = record.handle();
        std::vector<std::string> holders =
            locations_.ServersOf(record.handle());
        if (!holders.empty()) ++reported;
        for (const std::string& id : holders) {
          absl::Duration silent = now - last_heard[id];
          if (silent < options_.dead_after) chunk.live.push_back(id);
          if (silent < give_up_after) ++chunk.present;
        }
        chunks.push_back(std::move(chunk));
      });
  if (!scan.ok()) {
    Log("repair scan failed: ", scan.ToString());
    return;
  }

  absl::MutexLock lock(&repair_mu_);
  if (safe_mode_) {
    bool enough =
        committed == 0 || reported >= options_.safe_mode_threshold * committed;
    if (!enough && now - started_ < options_.safe_mode_max) return;
    safe_mode_ = false;
    Log("leaving safe mode: ", reported, " of ", committed, " chunks reported");
  }
  std::map<std::string, size_t> busy;
  std::set<uint64_t> in_flight;
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    if (it->second.deadline < now) {
      it = in_flight_.erase(it);  // lost or failed: plan it again
      continue;
    }
    ++busy[it->second.source_id];
    ++busy[it->second.target_id];
    in_flight.insert(it->first);
    ++it;
  }
  RepairPlan plan = PlanRepairs(std::move(chunks),
                                registry_.LiveCandidates(now), busy, in_flight,
                                RepairLimits{options_.placement.replication,
                                             options_.max_clones_per_server});
  under_replicated_ = plan.under_replicated;
  for (const CloneTask& task : plan.clones) {
    absl::StatusOr<proto::ChunkRecord> record = store_->GetChunk(task.handle);
    std::optional<ChunkserverInfo> source = registry_.Get(task.source_id, now);
    if (!record.ok() || !source) continue;
    proto::ChunkserverCommand command;
    command.set_kind(proto::ChunkserverCommand::REPLICATE_CHUNK);
    command.set_handle(task.handle);
    command.set_version(record->version());
    command.set_length(record->length());
    command.set_crc32c(record->crc32c());
    command.set_source_address(source->address);
    commands_.Push(task.target_id, command, now,
                   /*only_if_unreferenced=*/false);
    in_flight_[task.handle] = InFlightClone{task.source_id, task.target_id,
                                            now + options_.clone_timeout};
  }
  for (const TrimTask& task : plan.trims) {
    locations_.Remove(task.handle, task.server_id);
    QueueDeletion(task.server_id, task.handle, 0, now,
                  /*only_if_unreferenced=*/false);
  }
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
