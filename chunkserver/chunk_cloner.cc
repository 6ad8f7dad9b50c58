#include "chunkserver/chunk_cloner.h"

#include <grpcpp/grpcpp.h>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "proto/sfs.grpc.pb.h"

namespace sfs {

ChunkCloner::ChunkCloner(ChunkStore* store, ChunkWriters* writers,
                         ChannelPool* channels, int threads,
                         uint64_t bytes_per_second,
                         absl::Duration stall_timeout)
    : store_(store),
      writers_(writers),
      channels_(channels),
      limiter_(bytes_per_second),
      watchdog_(stall_timeout) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

ChunkCloner::~ChunkCloner() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

void ChunkCloner::Enqueue(const proto::ChunkserverCommand& command) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(command);
}

void ChunkCloner::Work() {
  while (true) {
    proto::ChunkserverCommand command;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      command = std::move(queue_.front());
      queue_.pop_front();
    }
    absl::Status status = Clone(command);
    if (status.ok()) {
      Log("cloned chunk ", command.handle(), " from ",
          command.source_address());
    } else {
      Log("clone of chunk ", command.handle(), " from ",
          command.source_address(), " failed: ", status.ToString());
    }
  }
}

absl::Status ChunkCloner::Clone(const proto::ChunkserverCommand& command) {
  ASSIGN_OR_RETURN(std::unique_ptr<ChunkAppender> appender,
                   writers_->OpenTakingOver(command.handle(), command.version(),
                                            0, "a clone"));
  grpc::ClientContext context;
  const WriterCalls calls{nullptr, &context};
  writers_->Register(command.handle(), calls);
  absl::Cleanup unregister = [&] {
    writers_->Unregister(command.handle(), calls);
  };
  auto stub =
      proto::Chunkserver::NewStub(channels_->Get(command.source_address()));
  proto::ReadChunkRequest request;
  request.set_handle(command.handle());
  request.set_version(command.version());
  *request.mutable_token() = command.token();
  auto stream = stub->ReadChunk(&context, request);
  proto::ReadChunkResponse response;
  absl::Status status;
  bool stalled = false;
  while (status.ok()) {
    if (!watchdog_.Watch(
            &context, [&] { return stream->Read(&response); }, &stalled)) {
      break;
    }
    limiter_.Acquire(response.data().size());
    status = appender->Append(response.data());
  }
  if (!status.ok()) context.TryCancel();
  absl::Status read = FromGrpcStatus(stream->Finish());
  if (stalled) read = absl::DeadlineExceededError("the source stalled");
  if (status.ok()) status = read;
  if (status.ok() && appender->length() != command.length()) {
    status = absl::DataLossError(
        absl::StrCat("source sent ", appender->length(),
                     " bytes, the chunk has ", command.length()));
  }
  if (status.ok()) {
    absl::StatusOr<uint32_t> crc = appender->Seal();
    status = crc.status();
    if (crc.ok() && *crc != command.crc32c()) {
      status = absl::DataLossError("copy does not match the chunk's checksum");
    }
  }
  // Deleted while still ours: a copy that took over from this one keeps
  // what it wrote.
  if (!status.ok()) appender->Abandon();
  return status;
}

}  // namespace sfs
