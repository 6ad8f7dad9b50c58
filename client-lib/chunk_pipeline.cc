#include "client-lib/chunk_pipeline.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"

namespace sfs {

ChunkPipeline::ChunkPipeline(std::shared_ptr<grpc::Channel> channel,
                             size_t window_bytes)
    : window_bytes_(window_bytes),
      stub_(proto::Chunkserver::NewStub(channel)) {}

ChunkPipeline::~ChunkPipeline() {
  if (!sealed_ && stream_ != nullptr) {
    context_.TryCancel();
    stream_->Finish();
  }
}

absl::StatusOr<std::unique_ptr<ChunkPipeline>> ChunkPipeline::Open(
    ChannelPool* channels, const proto::AllocateChunkResponse& chunk,
    size_t window_bytes) {
  if (chunk.chain_size() == 0)
    return absl::InternalError("master returned an empty chain");
  std::unique_ptr<ChunkPipeline> pipeline(
      new ChunkPipeline(channels->Get(chunk.chain(0).address()), window_bytes));
  pipeline->stream_ = pipeline->stub_->WriteChunk(&pipeline->context_);
  proto::WriteChunkRequest first;
  proto::WriteChunkHeader* header = first.mutable_header();
  header->set_handle(chunk.handle());
  header->set_version(chunk.version());
  header->set_offset(0);
  for (int i = 1; i < chunk.chain_size(); ++i) {
    header->add_downstream(chunk.chain(i).address());
  }
  if (!pipeline->stream_->Write(first)) {
    proto::WriteChunkAck unused;
    return Annotate(pipeline->AwaitAck(&unused),
                    absl::StrCat("chunkserver ", chunk.chain(0).address()));
  }
  return pipeline;
}

absl::Status ChunkPipeline::AwaitAck(proto::WriteChunkAck* ack) {
  if (stream_->Read(ack)) {
    acked_ = ack->offset();
    return absl::OkStatus();
  }
  absl::Status status = FromGrpcStatus(stream_->Finish());
  stream_.reset();
  if (status.ok()) return absl::UnavailableError("write pipeline closed early");
  return status;
}

absl::Status ChunkPipeline::Write(absl::string_view segment) {
  if (stream_ == nullptr)
    return absl::FailedPreconditionError("pipeline has failed");
  proto::WriteChunkRequest request;
  request.set_data(segment.data(), segment.size());
  request.set_data_crc32c(ComputeCrc32c(segment));
  crc_.Update(segment);
  if (!stream_->Write(request)) {
    proto::WriteChunkAck ack;
    while (true) RETURN_IF_ERROR(AwaitAck(&ack));  // ends with the error
  }
  sent_ += segment.size();
  proto::WriteChunkAck ack;
  while (sent_ - acked_ > window_bytes_) RETURN_IF_ERROR(AwaitAck(&ack));
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> ChunkPipeline::Seal() {
  if (stream_ == nullptr)
    return absl::FailedPreconditionError("pipeline has failed");
  proto::WriteChunkRequest request;
  request.set_finish(true);
  if (stream_->Write(request)) stream_->WritesDone();
  proto::WriteChunkAck ack;
  do {
    RETURN_IF_ERROR(AwaitAck(&ack));
  } while (!ack.sealed());
  absl::Status status = FromGrpcStatus(stream_->Finish());
  stream_.reset();
  RETURN_IF_ERROR(status);
  uint32_t expected = crc_.Finish();
  if (ack.offset() != sent_ || ack.crc32c() != expected) {
    return absl::DataLossError(
        absl::StrCat("replicas sealed ", ack.offset(),
                     " bytes with a different checksum than sent"));
  }
  sealed_ = true;
  return expected;
}

}  // namespace sfs
