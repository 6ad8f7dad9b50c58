// ChunkCloner carries out the master's REPLICATE_CHUNK commands: it pulls a
// sealed chunk from a healthy replica (a ReadChunk stream, every byte
// verified at the source) into the local store, checks the copy's length and
// CRC32C against the master's record, and seals it; the next heartbeat
// reports it. Work runs on a few background threads, paced by a bandwidth
// limit. A failed copy is deleted; the master plans it again. A source that
// sends nothing for `stall_timeout` (frozen, or its disk hung) fails the
// copy; one that died is noticed by the channel's keepalives.
//
// The master orders a copy only of a chunk sealed elsewhere that this
// server holds no good replica of, so a write of that chunk still running
// here is a stale one: the copy takes the chunk over from it
// (chunkserver/chunk_writers.h) instead of failing until it ends.
//
// Thread-safe. `store`, `writers` and `channels` must outlive the cloner.
#ifndef SFS_CHUNKSERVER_CHUNK_CLONER_H_
#define SFS_CHUNKSERVER_CHUNK_CLONER_H_

#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "chunkserver/chunk_store.h"
#include "chunkserver/chunk_writers.h"
#include "common/bandwidth_limiter.h"
#include "common/channel_pool.h"
#include "common/stall_watchdog.h"
#include "proto/sfs.pb.h"

namespace sfs {

class ChunkCloner {
 public:
  // `threads` copies run at once; together they use at most
  // `bytes_per_second` (0: unlimited).
  ChunkCloner(ChunkStore* store, ChunkWriters* writers, ChannelPool* channels,
              int threads, uint64_t bytes_per_second,
              absl::Duration stall_timeout);
  ~ChunkCloner();  // abandons queued work, waits for running copies

  // Queues a REPLICATE_CHUNK command.
  void Enqueue(const proto::ChunkserverCommand& command);

  // Copies one chunk now, on the caller's thread.
  absl::Status Clone(const proto::ChunkserverCommand& command);

 private:
  void Work();

  ChunkStore* const store_;
  ChunkWriters* const writers_;
  ChannelPool* const channels_;
  BandwidthLimiter limiter_;
  StallWatchdog watchdog_;
  absl::Mutex mu_;
  std::deque<proto::ChunkserverCommand> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace sfs

#endif  // SFS_CHUNKSERVER_CHUNK_CLONER_H_
