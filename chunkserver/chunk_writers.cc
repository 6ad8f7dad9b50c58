#include "chunkserver/chunk_writers.h"

#include <grpcpp/grpcpp.h>

#include "common/log.h"

namespace sfs {

absl::StatusOr<std::unique_ptr<ChunkAppender>> ChunkWriters::OpenTakingOver(
    uint64_t handle, uint64_t version, uint64_t offset, const char* who) {
  const absl::Time deadline = absl::Now() + take_over_wait_;
  bool cancelled = false;
  while (true) {
    absl::StatusOr<std::unique_ptr<ChunkAppender>> appender =
        store_->OpenForAppend(handle, version, offset);
    if (appender.status().code() != absl::StatusCode::kAborted ||
        absl::Now() >= deadline) {
      return appender;
    }
    if (!cancelled) {
      absl::MutexLock lock(&mu_);
      auto it = writers_.find(handle);
      if (it != writers_.end()) {
        Log("chunk ", handle, ": ", who,
            " takes over from a writer still running");
        if (it->second.upstream != nullptr) it->second.upstream->TryCancel();
        if (it->second.downstream != nullptr) {
          it->second.downstream->TryCancel();
        }
        cancelled = true;
      }
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

void ChunkWriters::Register(uint64_t handle, const WriterCalls& calls) {
  absl::MutexLock lock(&mu_);
  writers_[handle] = calls;
}

void ChunkWriters::Unregister(uint64_t handle, const WriterCalls& calls) {
  absl::MutexLock lock(&mu_);
  auto it = writers_.find(handle);
  if (it != writers_.end() && it->second == calls) writers_.erase(it);
}

}  // namespace sfs
