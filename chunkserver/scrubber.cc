#include "chunkserver/scrubber.h"

#include <string>

#include "common/log.h"

namespace sfs {

Scrubber::Scrubber(ChunkStore* store, absl::Duration period,
                   uint64_t bytes_per_second)
    : store_(store), period_(period), limiter_(bytes_per_second) {}

Scrubber::~Scrubber() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void Scrubber::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Scrubber::Run() {
  while (!stop_.WaitForNotificationWithTimeout(period_)) {
    int bad = ScrubOnce();
    if (bad > 0) Log("scrub quarantined ", bad, " corrupt replicas");
    int idle = store_->DropIdleOpenChunks(kOpenChunkIdleLimit);
    if (idle > 0) Log("dropped ", idle, " idle open chunks");
  }
}

int Scrubber::ScrubOnce() {
  constexpr uint64_t kPiece = 1 << 20;
  int quarantined = 0;
  std::string piece;
  const std::vector<SealedChunk> chunks = store_->ListSealed();
  pass_verified_ = 0;
  pass_chunks_ = chunks.size();
  for (const SealedChunk& chunk : chunks) {
    if (stop_.HasBeenNotified()) return quarantined;
    ++pass_verified_;
    auto reader = store_->OpenForRead(chunk.handle, chunk.version);
    if (!reader.ok()) {
      if (reader.status().code() == absl::StatusCode::kDataLoss) {
        store_->Quarantine(chunk.handle);
        ++quarantined;
      }
      continue;  // deleted meanwhile
    }
    absl::Status status;
    for (uint64_t offset = 0; status.ok() && offset < chunk.length;
         offset += kPiece) {
      limiter_.Acquire(kPiece);
      status = (*reader)->ReadAt(offset, kPiece, &piece);
    }
    if (status.code() == absl::StatusCode::kDataLoss) {
      Log("chunk ", chunk.handle, ": ", status.message());
      store_->Quarantine(chunk.handle);
      ++quarantined;
    }
  }
  ++passes_;
  return quarantined;
}

Scrubber::Progress Scrubber::progress() const {
  return Progress{passes_.load(), pass_verified_.load(), pass_chunks_.load()};
}

}  // namespace sfs
