#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "client-lib/chunk_pipeline.h"
#include "client-lib/client.h"
#include "client-lib/master_connection.h"
#include "client-lib/proto_convert.h"
#include "common/checksum.h"
#include "common/status_macros.h"

namespace sfs {

// The chunk size every upload is cut into.
constexpr uint64_t kChunkBytes = 64ull << 20;

// Marks the DataLoss of a Close whose bytes did not hash to the digest the
// caller expected (IsDigestMismatch).
constexpr char kDigestMismatchPayload[] = "type.sfs/digest-mismatch";

bool IsDigestMismatch(const absl::Status& status) {
  return status.GetPayload(kDigestMismatchPayload).has_value();
}

class FileWriter::Impl {
 public:
  Impl(const ClientOptions& options, MasterConnection* master,
       ChannelPool* channels, StallWatchdog* watchdog, std::string upload_id,
       CreateOptions create,
       std::optional<proto::AllocateChunkResponse> first_chunk = std::nullopt)
      : options_(options),
        master_(master),
        channels_(channels),
        watchdog_(watchdog),
        upload_id_(std::move(upload_id)),
        create_(std::move(create)),
        first_chunk_(std::move(first_chunk)) {}

  ~Impl() {
    if (create_.resumable) {
      Detach();
    } else {
      Abort();
    }
  }

  // Continues `upload` (taken over) from its committed bytes.
  absl::Status ResumeFrom(const proto::GetUploadResponse& upload) {
    if (upload.committed_bytes() > 0 &&
        !sha_.RestoreState(upload.client_state())) {
      return absl::DataLossError(absl::StrCat(
          "upload ", upload_id_, " has no checksum state to resume from"));
    }
    writer_epoch_ = upload.writer_epoch();
    appended_ = upload.committed_bytes();
    sealed_bytes_ = upload.committed_bytes();
    return absl::OkStatus();
  }

  const std::string& upload_id() const { return upload_id_; }

  absl::Status Append(absl::string_view data) {
    RETURN_IF_ERROR(failure_);
    appended_ += data.size();
    while (!data.empty()) {
      if (segment_.empty()) ReserveSegment(appended_ - data.size());
      size_t take = std::min(SegmentRoom(), data.size());
      segment_.append(data.data(), take);
      data.remove_prefix(take);
      if (segment_.size() >= SegmentLimit())
        RETURN_IF_ERROR(Fail(FlushSegment()));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<FileInfo> Close(absl::string_view expected_sha256) {
    RETURN_IF_ERROR(failure_);
    proto::CompleteUploadRequest request;
    // The last chunk commits with the completion: one master call less.
    if (pipeline_ == nullptr && !segment_.empty()) {
      // What is left is one whole chunk (a small file, or the tail of a
      // large one), and it is all here: one message down the chain.
      absl::StatusOr<std::optional<proto::CommitChunkRequest>> whole =
          WriteLastChunkWhole();
      RETURN_IF_ERROR(Fail(whole.status()));
      if (whole->has_value()) *request.mutable_last_chunk() = **whole;
    }
    if (!segment_.empty()) RETURN_IF_ERROR(Fail(FlushSegment()));
    // A chunk allocated with the upload but never written (the file came
    // out empty) must not be left uncommitted.
    if (first_chunk_.has_value()) RETURN_IF_ERROR(Fail(TakeOver()));
    if (pipeline_ != nullptr) {
      absl::StatusOr<proto::CommitChunkRequest> commit = SealPipeline();
      RETURN_IF_ERROR(Fail(commit.status()));
      *request.mutable_last_chunk() = *std::move(commit);
    }
    // Every byte has gone through sha_ once flushed.
    const std::string sha256 = sha_.FinishHex();
    if (!expected_sha256.empty() && sha256 != expected_sha256) {
      absl::Status mismatch = absl::DataLossError(absl::StrCat(
          "content SHA-256 is ", sha256, ", expected ", expected_sha256));
      mismatch.SetPayload(kDigestMismatchPayload, absl::Cord("1"));
      return Fail(mismatch);
    }
    request.set_upload_id(upload_id_);
    request.set_size(appended_);
    request.set_sha256(sha256);
    request.set_content_type(create_.content_type);
    request.set_cache_control(create_.cache_control);
    request.mutable_metadata()->insert(create_.metadata.begin(),
                                       create_.metadata.end());
    request.set_keep_versions(create_.keep_versions);
    request.set_if_absent(create_.if_absent);
    request.set_if_generation(create_.if_generation);
    auto response =
        master_->Call(&proto::Master::Stub::CompleteUpload, request);
    RETURN_IF_ERROR(Fail(response.status()));
    if (pipeline_ != nullptr) {
      sealed_bytes_ += pipeline_->sent_bytes();
      pipeline_.reset();
    }
    completed_ = true;
    return FromProto(response->file());
  }

  absl::StatusOr<uint64_t> Checkpoint() {
    RETURN_IF_ERROR(failure_);
    if (!segment_.empty()) RETURN_IF_ERROR(Fail(FlushSegment()));
    if (pipeline_ != nullptr) RETURN_IF_ERROR(Fail(SealChunk()));
    return sealed_bytes_;
  }

  void Detach() {
    // The chunk being written stays uncommitted; whoever takes the upload
    // over drops it.
    pipeline_.reset();
    detached_ = true;
  }

  void Abort() {
    if (completed_ || abandoned_ || detached_) return;
    abandoned_ = true;
    pipeline_.reset();
    proto::AbandonUploadRequest request;
    request.set_upload_id(upload_id_);
    // Best effort: an upload we cannot abandon is expired by the master.
    master_->Call(&proto::Master::Stub::AbandonUpload, request).IgnoreError();
  }

  uint64_t acknowledged() const {
    return sealed_bytes_ + (pipeline_ ? pipeline_->acknowledged_bytes() : 0);
  }
  uint64_t appended() const { return appended_; }

 private:
  // The segment may not cross a chunk boundary.
  size_t SegmentLimit() const {
    uint64_t chunk_room =
        kChunkBytes - (pipeline_ ? pipeline_->sent_bytes() : 0);
    return std::min<uint64_t>(options_.segment_bytes, chunk_room);
  }
  size_t SegmentRoom() const { return SegmentLimit() - segment_.size(); }

  // Sizes the empty segment, which starts at byte `at` of the file, for
  // the bytes it will hold: a whole segment, or less when the declared size
  // (reserve_bytes) ends the file sooner. A small file then never maps a
  // segment-sized buffer.
  void ReserveSegment(uint64_t at) {
    uint64_t expected = SegmentLimit();
    if (create_.reserve_bytes > at) {
      expected = std::min(expected, create_.reserve_bytes - at);
    }
    segment_.reserve(expected);
  }

  // Records the first error; the writer stays failed and abandons the upload.
  absl::Status Fail(absl::Status status) {
    if (!status.ok() && failure_.ok()) {
      failure_ = status;
      // A resumable upload keeps what it committed, for a retry.
      if (create_.resumable) {
        Detach();
      } else {
        Abort();
      }
    }
    return status;
  }

  absl::Status FlushSegment() {
    if (pipeline_ == nullptr) RETURN_IF_ERROR(StartChunk());
    // The pipeline keeps the bytes until acked: hand the buffer over rather
    // than copy it, and start a fresh one.
    std::string segment = std::exchange(segment_, std::string());
    // Hashed as sent, so at every commit the state covers exactly the
    // committed bytes (Sha256 state goes with the commit).
    sha_.Update(segment);
    RETURN_IF_ERROR(pipeline_->Write(std::move(segment)));
    if (pipeline_->sent_bytes() == kChunkBytes) RETURN_IF_ERROR(SealChunk());
    return absl::OkStatus();
  }

  absl::Status AllocateChunk() {
    if (first_chunk_.has_value()) {
      chunk_ = *std::exchange(first_chunk_, std::nullopt);
      return absl::OkStatus();
    }
    proto::AllocateChunkRequest request;
    request.set_upload_id(upload_id_);
    request.set_writer_epoch(writer_epoch_);
    ASSIGN_OR_RETURN(
        chunk_, master_->Call(&proto::Master::Stub::AllocateChunk, request));
    return absl::OkStatus();
  }

  // Writes segment_, the whole last chunk, with ChunkPipeline::WriteWhole
  // and returns its commit. When that fails, the upload is taken over,
  // which drops the chunk, and nullopt leaves segment_ to the pipeline,
  // which recovers from failed replicas.
  absl::StatusOr<std::optional<proto::CommitChunkRequest>>
  WriteLastChunkWhole() {
    RETURN_IF_ERROR(AllocateChunk());
    absl::StatusOr<uint32_t> crc =
        ChunkPipeline::WriteWhole(channels_, watchdog_, chunk_, segment_);
    if (!crc.ok()) {
      RETURN_IF_ERROR(Annotate(
          TakeOver(),
          absl::StrCat("dropping a chunk after ", crc.status().ToString())));
      return std::nullopt;
    }
    const std::string segment = std::exchange(segment_, std::string());
    sha_.Update(segment);
    proto::CommitChunkRequest commit = CommitOf(segment.size(), *crc);
    for (const proto::ReplicaLocation& replica : chunk_.chain()) {
      commit.add_server_ids(replica.server_id());
    }
    return commit;
  }

  // Takes the upload over from ourselves: the master drops its chunks not
  // committed, and later calls carry the new writer epoch.
  absl::Status TakeOver() {
    first_chunk_.reset();
    proto::GetUploadRequest request;
    request.set_upload_id(upload_id_);
    request.set_take_over(true);
    ASSIGN_OR_RETURN(proto::GetUploadResponse upload,
                     master_->Call(&proto::Master::Stub::GetUpload, request));
    writer_epoch_ = upload.writer_epoch();
    return absl::OkStatus();
  }

  absl::Status StartChunk() {
    RETURN_IF_ERROR(AllocateChunk());
    PipelineOptions pipeline_options;
    pipeline_options.window_bytes = options_.write_window_bytes;
    pipeline_options.min_replicas = options_.min_replicas;
    ASSIGN_OR_RETURN(pipeline_, ChunkPipeline::Open(channels_, watchdog_,
                                                    chunk_, pipeline_options));
    return absl::OkStatus();
  }

  // Seals the open chunk on its replicas; returns the commit that records
  // it, with the hash state of every byte sent so far.
  absl::StatusOr<proto::CommitChunkRequest> SealPipeline() {
    ASSIGN_OR_RETURN(uint32_t crc, pipeline_->Seal());
    proto::CommitChunkRequest request = CommitOf(pipeline_->sent_bytes(), crc);
    for (const proto::ReplicaLocation& replica : pipeline_->chain()) {
      request.add_server_ids(replica.server_id());
    }
    return request;
  }

  // The commit of chunk_, sealed at `length` bytes with `crc`, with the
  // hash state of every byte sent so far; its replicas still to be named.
  proto::CommitChunkRequest CommitOf(uint64_t length, uint32_t crc) const {
    proto::CommitChunkRequest request;
    request.set_upload_id(upload_id_);
    request.set_handle(chunk_.handle());
    request.set_length(length);
    request.set_crc32c(crc);
    request.set_writer_epoch(writer_epoch_);
    request.set_client_state(sha_.SaveState());
    return request;
  }

  absl::Status SealChunk() {
    ASSIGN_OR_RETURN(proto::CommitChunkRequest request, SealPipeline());
    RETURN_IF_ERROR(
        master_->Call(&proto::Master::Stub::CommitChunk, request).status());
    sealed_bytes_ += pipeline_->sent_bytes();
    pipeline_.reset();
    return absl::OkStatus();
  }

  const ClientOptions options_;
  MasterConnection* const master_;
  ChannelPool* const channels_;
  StallWatchdog* const watchdog_;
  const std::string upload_id_;
  const CreateOptions create_;
  Sha256 sha_;
  std::string segment_;
  // Allocated with the upload (CreateUploadRequest.allocate_chunk), for the
  // first AllocateChunk to take.
  std::optional<proto::AllocateChunkResponse> first_chunk_;
  proto::AllocateChunkResponse chunk_;
  std::unique_ptr<ChunkPipeline> pipeline_;
  uint64_t writer_epoch_ = 0;
  uint64_t appended_ = 0;
  uint64_t sealed_bytes_ = 0;
  absl::Status failure_;
  bool completed_ = false;
  bool abandoned_ = false;
  bool detached_ = false;
};

absl::StatusOr<std::unique_ptr<FileWriter>> Client::Create(
    const std::string& path, const CreateOptions& options) {
  proto::CreateUploadRequest request;
  request.set_path(path);
  request.set_reserve_bytes(options.reserve_bytes);
  if (options.quota_bytes.has_value()) {
    request.set_quota_bytes(*options.quota_bytes);
  }
  request.set_namespace_incarnation(options.namespace_incarnation);
  request.set_client_data(options.client_data);
  // A writer that says bytes will come gets its first chunk with the
  // upload: a small file then costs two master calls, not three.
  request.set_allocate_chunk(options.reserve_bytes > 0);
  ASSIGN_OR_RETURN(proto::CreateUploadResponse response,
                   master_->Call(&proto::Master::Stub::CreateUpload, request));
  std::optional<proto::AllocateChunkResponse> first_chunk;
  if (response.has_first_chunk()) first_chunk = response.first_chunk();
  return std::unique_ptr<FileWriter>(
      new FileWriter(std::make_unique<FileWriter::Impl>(
          options_, master_.get(), channels_.get(), write_watchdog_.get(),
          response.upload_id(), options, std::move(first_chunk))));
}

namespace {

PendingUpload FromProto(const std::string& upload_id,
                        const proto::GetUploadResponse& response) {
  PendingUpload upload;
  upload.upload_id = upload_id;
  upload.path = response.path();
  upload.committed_bytes = response.committed_bytes();
  upload.client_data = response.client_data();
  upload.expires_at = absl::FromUnixMicros(response.expires_unix_micros());
  return upload;
}

}  // namespace

absl::StatusOr<PendingUpload> Client::GetUpload(const std::string& upload_id) {
  proto::GetUploadRequest request;
  request.set_upload_id(upload_id);
  ASSIGN_OR_RETURN(proto::GetUploadResponse response,
                   master_->Call(&proto::Master::Stub::GetUpload, request));
  return FromProto(upload_id, response);
}

absl::StatusOr<std::unique_ptr<FileWriter>> Client::Resume(
    const std::string& upload_id, const CreateOptions& options,
    PendingUpload* upload) {
  proto::GetUploadRequest request;
  request.set_upload_id(upload_id);
  request.set_take_over(true);
  if (!options.client_data.empty()) {
    request.set_client_data(options.client_data);
  }
  ASSIGN_OR_RETURN(proto::GetUploadResponse response,
                   master_->Call(&proto::Master::Stub::GetUpload, request));
  auto impl = std::make_unique<FileWriter::Impl>(
      options_, master_.get(), channels_.get(), write_watchdog_.get(),
      upload_id, options);
  RETURN_IF_ERROR(impl->ResumeFrom(response));
  if (upload != nullptr) *upload = FromProto(upload_id, response);
  return std::unique_ptr<FileWriter>(new FileWriter(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<FileReader>> Client::OpenUpload(
    const std::string& upload_id) {
  proto::GetUploadRequest request;
  request.set_upload_id(upload_id);
  request.set_with_chunks(true);
  ASSIGN_OR_RETURN(proto::GetUploadResponse response,
                   master_->Call(&proto::Master::Stub::GetUpload, request));
  proto::FileInfo file;
  file.set_path(response.path());
  file.set_size(response.committed_bytes());
  *file.mutable_chunks() = response.chunks();
  return OpenVersion(sfs::FromProto(file), 0, response.committed_bytes());
}

absl::Status Client::AbandonUpload(const std::string& upload_id) {
  proto::AbandonUploadRequest request;
  request.set_upload_id(upload_id);
  return master_->Call(&proto::Master::Stub::AbandonUpload, request).status();
}

FileWriter::FileWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FileWriter::~FileWriter() = default;
absl::Status FileWriter::Append(absl::string_view data) {
  return impl_->Append(data);
}
absl::StatusOr<FileInfo> FileWriter::Close(absl::string_view expected_sha256) {
  return impl_->Close(expected_sha256);
}
void FileWriter::Abort() { impl_->Abort(); }
absl::StatusOr<uint64_t> FileWriter::Checkpoint() {
  return impl_->Checkpoint();
}
void FileWriter::Detach() { impl_->Detach(); }
const std::string& FileWriter::upload_id() const { return impl_->upload_id(); }
uint64_t FileWriter::acknowledged_bytes() const {
  return impl_->acknowledged();
}
uint64_t FileWriter::appended_bytes() const { return impl_->appended(); }

}  // namespace sfs
