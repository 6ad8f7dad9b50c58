#include "client-lib/chunk_pipeline.h"

#include <algorithm>
#include <iterator>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"

namespace sfs {

ChunkPipeline::ChunkPipeline(ChannelPool* channels, StallWatchdog* watchdog,
                             const proto::AllocateChunkResponse& chunk,
                             const PipelineOptions& options)
    : channels_(channels),
      watchdog_(watchdog),
      options_(options),
      handle_(chunk.handle()),
      version_(chunk.version()),
      token_(chunk.token()),
      chain_(chunk.chain().begin(), chunk.chain().end()) {}

ChunkPipeline::~ChunkPipeline() {
  if (stream_ != nullptr) {
    context_->TryCancel();
    stream_->Finish();
  }
}

absl::StatusOr<std::unique_ptr<ChunkPipeline>> ChunkPipeline::Open(
    ChannelPool* channels, StallWatchdog* watchdog,
    const proto::AllocateChunkResponse& chunk, const PipelineOptions& options) {
  if (chunk.chain_size() == 0) {
    return absl::InternalError("master returned an empty chain");
  }
  std::unique_ptr<ChunkPipeline> pipeline(
      new ChunkPipeline(channels, watchdog, chunk, options));
  absl::Status status = pipeline->Connect();
  if (!status.ok())
    status = pipeline->RunWithRecovery(/*finish=*/false, status);
  RETURN_IF_ERROR(status);
  return pipeline;
}

bool ChunkPipeline::SendSegment(const Segment& segment, uint64_t skip) {
  proto::WriteChunkRequest request;
  absl::string_view data = absl::string_view(segment.data).substr(skip);
  request.set_data(data.data(), data.size());
  request.set_data_crc32c(skip == 0 ? segment.crc32c : ComputeCrc32c(data));
  return Send(request);
}

bool ChunkPipeline::Send(const proto::WriteChunkRequest& request) {
  return watchdog_->Watch(
      context_.get(), [&] { return stream_->Write(request); }, &stalled_);
}

namespace {

// The first message of a write of `chain`, from byte `offset` of the chunk.
template <typename Chain>  // of proto::ReplicaLocation
proto::WriteChunkRequest FirstRequest(uint64_t handle, uint64_t version,
                                      uint64_t offset,
                                      const proto::BlockToken& token,
                                      const Chain& chain) {
  proto::WriteChunkRequest first;
  proto::WriteChunkHeader* header = first.mutable_header();
  header->set_handle(handle);
  header->set_version(version);
  header->set_offset(offset);
  *header->mutable_token() = token;
  for (auto it = std::next(chain.begin()); it != chain.end(); ++it) {
    header->add_downstream(it->address());
  }
  return first;
}

}  // namespace

absl::StatusOr<uint32_t> ChunkPipeline::WriteWhole(
    ChannelPool* channels, StallWatchdog* watchdog,
    const proto::AllocateChunkResponse& chunk, absl::string_view data) {
  if (chunk.chain_size() == 0) {
    return absl::InternalError("master returned an empty chain");
  }
  const uint32_t crc = ComputeCrc32c(data);
  proto::WriteChunkRequest request = FirstRequest(
      chunk.handle(), chunk.version(), 0, chunk.token(), chunk.chain());
  request.set_data(data.data(), data.size());
  request.set_data_crc32c(crc);
  request.set_finish(true);

  const std::string& primary = chunk.chain(0).address();
  grpc::ClientContext context;
  auto stub = proto::Chunkserver::NewStub(channels->Get(primary));
  auto stream = stub->WriteChunk(&context);
  bool stalled = false;
  std::optional<proto::WriteChunkAck> sealed;
  if (watchdog->Watch(
          &context,
          [&] {
            return stream->Write(request,
                                 grpc::WriteOptions().set_last_message());
          },
          &stalled)) {
    proto::WriteChunkAck ack;
    while (watchdog->Watch(
        &context, [&] { return stream->Read(&ack); }, &stalled)) {
      if (ack.sealed()) sealed = ack;
    }
  }
  absl::Status status = FromGrpcStatus(stream->Finish());
  if (stalled) {
    status = absl::DeadlineExceededError("the replica chain stopped answering");
  }
  if (status.ok() && !sealed.has_value()) {
    status = absl::UnavailableError("the chain ended before sealing");
  }
  if (!status.ok()) {
    return Annotate(status,
                    absl::StrCat("writing chunk ", chunk.handle(), " whole"));
  }
  if (sealed->offset() != data.size() || sealed->crc32c() != crc) {
    return absl::DataLossError(
        absl::StrCat("replicas sealed ", sealed->offset(),
                     " bytes with a different checksum than sent"));
  }
  return crc;
}

absl::Status ChunkPipeline::Connect() {
  context_ = std::make_unique<grpc::ClientContext>();
  stub_ = proto::Chunkserver::NewStub(channels_->Get(chain_[0].address()));
  stream_ = stub_->WriteChunk(context_.get());
  stalled_ = false;
  if (!Send(FirstRequest(handle_, version_, acked_, token_, chain_))) {
    return EndStream();
  }
  for (const Segment& segment : unacked_) {
    uint64_t skip = acked_ > segment.offset ? acked_ - segment.offset : 0;
    if (!SendSegment(segment, skip)) return EndStream();
  }
  return absl::OkStatus();
}

absl::Status ChunkPipeline::EndStream() {
  // Finish() blocks until every message the servers sent has been read; the
  // acks still queued also tell how far the survivors got.
  proto::WriteChunkAck ack;
  while (stream_->Read(&ack)) NoteAck(ack);
  absl::Status status = FromGrpcStatus(stream_->Finish());
  const auto& trailers = context_->GetServerTrailingMetadata();
  auto it = trailers.find(kFailedReplicaKey);
  stream_.reset();
  if (stalled_) {
    // We cancelled the stream: the servers' verdict, if any, is about that.
    blamed_ = FindSilentReplica();
    return absl::DeadlineExceededError(absl::StrCat(
        "chunk ", handle_, ": the replica chain stopped acknowledging; ",
        "dropping ", blamed_));
  }
  // No verdict from the servers means the primary itself was unreachable.
  blamed_ = it != trailers.end()
                ? std::string(it->second.data(), it->second.size())
                : chain_[0].address();
  if (status.ok())
    status = absl::UnavailableError("write pipeline closed early");
  return status;
}

std::string ChunkPipeline::FindSilentReplica() {
  for (const proto::ReplicaLocation& replica : chain_) {
    auto stub = proto::Chunkserver::NewStub(channels_->Get(replica.address()));
    grpc::ClientContext context;
    context.set_deadline(
        absl::ToChronoTime(absl::Now() + options_.ping_timeout));
    proto::PingResponse response;
    if (!stub->Ping(&context, proto::PingRequest(), &response).ok())
      return replica.address();
  }
  return chain_.back().address();
}

absl::Status ChunkPipeline::AwaitAck(proto::WriteChunkAck* ack) {
  if (!watchdog_->Watch(
          context_.get(), [&] { return stream_->Read(ack); }, &stalled_)) {
    return EndStream();
  }
  if (!ack->failed_replica().empty()) {
    // The chain broke below the primary, which may be waiting for our next
    // message rather than ending the call: end it here.
    const std::string blamed = ack->failed_replica();
    context_->TryCancel();
    EndStream().IgnoreError();
    blamed_ = blamed;
    return absl::UnavailableError(absl::StrCat(
        "chunk ", handle_, ": the chain broke at replica ", blamed_));
  }
  NoteAck(*ack);
  return absl::OkStatus();
}

void ChunkPipeline::NoteAck(const proto::WriteChunkAck& ack) {
  acked_ = std::max(acked_, ack.offset());
  while (!unacked_.empty() &&
         unacked_.front().offset + unacked_.front().data.size() <= acked_) {
    unacked_.pop_front();
  }
}

absl::Status ChunkPipeline::Push(bool finish) {
  proto::WriteChunkAck ack;
  if (!finish) {
    while (sent_ - acked_ > options_.window_bytes)
      RETURN_IF_ERROR(AwaitAck(&ack));
    return absl::OkStatus();
  }
  // Every byte acknowledged before the seal: a replica that sealed is then
  // complete, and a pipeline resuming mid-seal reopens it at its full length.
  while (acked_ < sent_) RETURN_IF_ERROR(AwaitAck(&ack));
  proto::WriteChunkRequest request;
  request.set_finish(true);
  if (!Send(request)) return EndStream();
  stream_->WritesDone();
  do {
    RETURN_IF_ERROR(AwaitAck(&ack));
  } while (!ack.sealed());
  last_ack_ = ack;
  absl::Status status = FromGrpcStatus(stream_->Finish());
  stream_.reset();
  return status;
}

absl::Status ChunkPipeline::RunWithRecovery(bool finish, absl::Status failure) {
  // How long to wait for a survivor still busy with the broken stream (it
  // may be in the middle of sealing: an fsync and a read-back of 64 MiB).
  const absl::Time busy_deadline = absl::Now() + absl::Seconds(60);
  while (true) {
    if (failure.code() == absl::StatusCode::kAborted &&
        absl::Now() < busy_deadline) {
      absl::SleepFor(absl::Milliseconds(100));
    } else {
      auto failed = std::find_if(chain_.begin(), chain_.end(),
                                 [&](const proto::ReplicaLocation& r) {
                                   return r.address() == blamed_;
                                 });
      if (failed == chain_.end()) return failure;  // nothing left to drop
      chain_.erase(failed);
      if (chain_.size() < options_.min_replicas) {
        return Annotate(
            failure,
            absl::StrCat("chunk ", handle_, ": only ", chain_.size(),
                         " replicas left, need ", options_.min_replicas));
      }
    }
    failure = Connect();
    if (failure.ok()) failure = Push(finish);
    if (failure.ok()) return failure;
  }
}

absl::Status ChunkPipeline::Write(std::string segment) {
  if (sealed_) return absl::FailedPreconditionError("chunk is sealed");
  uint32_t crc = ComputeCrc32c(segment);
  crc_.Update(segment);
  sent_ += segment.size();
  unacked_.push_back(Segment{sent_ - segment.size(), std::move(segment), crc});
  absl::Status status =
      SendSegment(unacked_.back(), 0) ? Push(/*finish=*/false) : EndStream();
  if (status.ok()) return status;
  return RunWithRecovery(/*finish=*/false, status);
}

absl::StatusOr<uint32_t> ChunkPipeline::Seal() {
  if (sealed_) return absl::FailedPreconditionError("chunk is already sealed");
  absl::Status status = Push(/*finish=*/true);
  if (!status.ok()) status = RunWithRecovery(/*finish=*/true, status);
  RETURN_IF_ERROR(status);
  uint32_t expected = crc_.Finish();
  if (last_ack_.offset() != sent_ || last_ack_.crc32c() != expected) {
    return absl::DataLossError(
        absl::StrCat("replicas sealed ", last_ack_.offset(),
                     " bytes with a different checksum than sent"));
  }
  sealed_ = true;
  return expected;
}

}  // namespace sfs
