#include "client-lib/client.h"

#include "absl/strings/str_cat.h"
#include "client-lib/chunk_cache.h"
#include "client-lib/master_connection.h"
#include "client-lib/proto_convert.h"
#include "client-lib/stat_batcher.h"
#include "common/channel_pool.h"
#include "common/path.h"
#include "common/rpc_settings.h"
#include "common/stall_watchdog.h"
#include "common/status_macros.h"

namespace sfs {

// Lookups one StatMany call carries at most (the master takes up to 1000).
constexpr size_t kMaxStatsPerCall = 256;

// Create() lives in file_writer.cc and Open() in file_reader.cc, beside the
// classes they construct.

Client::Client(const ClientOptions& options,
               std::unique_ptr<MasterConnection> master,
               std::unique_ptr<ChannelPool> channels)
    : options_(options),
      master_(std::move(master)),
      channels_(std::move(channels)),
      watchdog_(std::make_unique<StallWatchdog>(options.stall_timeout)),
      write_watchdog_(
          std::make_unique<StallWatchdog>(options.write_stall_timeout)),
      chunk_cache_(
          options.chunk_cache_bytes == 0
              ? nullptr
              : std::make_unique<ChunkCache>(options.chunk_cache_bytes,
                                             options.max_cached_chunk_bytes)),
      stat_batcher_(options.stat_calls_in_flight <= 0
                        ? nullptr
                        : std::make_unique<StatBatcher>(
                              master_.get(), options.stat_calls_in_flight,
                              kMaxStatsPerCall)) {}

Client::~Client() = default;

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(
    const ClientOptions& options) {
  if (options.master_address.empty()) {
    return absl::InvalidArgumentError("no master address given");
  }
  if (options.segment_bytes == 0 || options.segment_bytes > (4 << 20)) {
    return absl::InvalidArgumentError("segment_bytes must be in (0, 4 MiB]");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const ClusterCredentials> credentials,
                   ClusterCredentials::Load(options.tls_dir));
  auto master = std::make_unique<MasterConnection>(
      NewChannel(options.master_address, *credentials, ClusterRole::kMaster),
      options.rpc_timeout);
  auto channels = std::make_unique<ChannelPool>(std::move(credentials));
  return std::unique_ptr<Client>(
      new Client(options, std::move(master), std::move(channels)));
}

absl::StatusOr<FileInfo> Client::Stat(const std::string& path,
                                      uint64_t generation) {
  proto::StatRequest request;
  request.set_path(path);
  request.set_generation(generation);
  ASSIGN_OR_RETURN(proto::StatResponse response,
                   stat_batcher_ != nullptr
                       ? stat_batcher_->Stat(request)
                       : master_->Call(&proto::Master::Stub::Stat, request));
  return FromProto(response.file());
}

absl::StatusOr<ListPage> Client::List(const std::string& prefix,
                                      const std::string& start_after,
                                      uint32_t limit) {
  proto::ListRequest request;
  request.set_prefix(prefix);
  request.set_start_after(start_after);
  request.set_limit(limit);
  ASSIGN_OR_RETURN(proto::ListResponse response,
                   master_->Call(&proto::Master::Stub::List, request));
  ListPage page;
  for (const proto::FileInfo& file : response.files())
    page.files.push_back(FromProto(file));
  page.next_start_after = response.next_start_after();
  return page;
}

absl::StatusOr<std::vector<FileInfo>> Client::ListVersions(
    const std::string& path) {
  proto::ListVersionsRequest request;
  request.set_path(path);
  ASSIGN_OR_RETURN(proto::ListVersionsResponse response,
                   master_->Call(&proto::Master::Stub::ListVersions, request));
  std::vector<FileInfo> versions;
  for (const proto::FileInfo& version : response.versions())
    versions.push_back(FromProto(version));
  return versions;
}

absl::StatusOr<StorageUsage> Client::Usage(const std::string& prefix) {
  proto::UsageRequest request;
  request.set_prefix(prefix);
  ASSIGN_OR_RETURN(proto::UsageResponse response,
                   master_->Call(&proto::Master::Stub::Usage, request));
  return StorageUsage{
      response.files(),          response.bytes(),
      response.old_versions(),   response.old_version_bytes(),
      response.reserved_bytes(), response.deleted_incarnation()};
}

absl::Status Client::Delete(const std::string& path, uint64_t if_generation) {
  proto::DeleteRequest request;
  request.set_path(path);
  request.set_if_generation(if_generation);
  return master_->Call(&proto::Master::Stub::Delete, request).status();
}

absl::StatusOr<FileInfo> Client::Copy(const std::string& source,
                                      uint64_t source_generation,
                                      const std::string& destination,
                                      const CreateOptions& options) {
  proto::CopyRequest request;
  request.set_source(source);
  request.set_source_generation(source_generation);
  request.set_destination(destination);
  request.set_keep_versions(options.keep_versions);
  request.set_if_absent(options.if_absent);
  request.set_if_generation(options.if_generation);
  if (options.quota_bytes) request.set_quota_bytes(*options.quota_bytes);
  request.set_namespace_incarnation(options.namespace_incarnation);
  ASSIGN_OR_RETURN(proto::CopyResponse response,
                   master_->Call(&proto::Master::Stub::Copy, request));
  return FromProto(response.file());
}

absl::StatusOr<FileInfo> Client::Move(const std::string& source,
                                      const std::string& destination,
                                      bool overwrite,
                                      const CreateOptions& options) {
  proto::MoveRequest request;
  request.set_source(source);
  request.set_destination(destination);
  request.set_overwrite(overwrite);
  if (options.quota_bytes) request.set_quota_bytes(*options.quota_bytes);
  request.set_namespace_incarnation(options.namespace_incarnation);
  ASSIGN_OR_RETURN(proto::MoveResponse response,
                   master_->Call(&proto::Master::Stub::Move, request));
  return FromProto(response.file());
}

absl::StatusOr<uint64_t> Client::DeleteNamespace(const std::string& ns,
                                                 uint64_t incarnation) {
  proto::DeleteNamespaceRequest request;
  request.set_namespace_(ns);
  request.set_incarnation(incarnation);
  ASSIGN_OR_RETURN(
      proto::DeleteNamespaceResponse response,
      master_->Call(&proto::Master::Stub::DeleteNamespace, request));
  return response.files();
}

absl::StatusOr<ClusterStatus> Client::Status() {
  ASSIGN_OR_RETURN(proto::ClusterStatusResponse response,
                   master_->Call(&proto::Master::Stub::ClusterStatus,
                                 proto::ClusterStatusRequest()));
  return FromProto(response);
}

absl::StatusOr<FsckReport> Client::Fsck() {
  ASSIGN_OR_RETURN(
      proto::FsckResponse response,
      master_->Call(&proto::Master::Stub::Fsck, proto::FsckRequest()));
  return FromProto(response);
}

absl::StatusOr<MetadataCheckpoint> Client::Checkpoint(const std::string& name) {
  proto::CheckpointRequest request;
  request.set_dir(name);
  ASSIGN_OR_RETURN(proto::CheckpointResponse response,
                   master_->Call(&proto::Master::Stub::Checkpoint, request));
  return MetadataCheckpoint{response.files(), response.path()};
}

}  // namespace sfs
