// ChunkWriters opens chunks of a ChunkStore for writing, on behalf of write
// streams and clones, and knows which gRPC calls each writer runs on, so a
// newer writer of a chunk can take it over from an older one that still
// holds it.
//
// Only one writer ever has a right to a chunk: a resumed pipeline (the
// client dropped a replica and started again on the survivors), or a clone
// the master ordered because the chunk is sealed elsewhere and this server
// holds no good copy. An older writer still holding the chunk has lost
// that right but not yet noticed: it waits on a hop that died, or on an
// upstream whose connection vanished without a word (a peer frozen long
// enough for its connections to be dropped on the other side). Such a
// writer may not let go for a long time, or, when nothing ever tells its
// connection that the peer is gone, never. So the newer writer cancels the
// older one's calls, which fails whatever it is blocked in, and waits
// (bounded) for it to let go, as HDFS datanodes do on pipeline recovery.
//
// Thread-safe. `store` must outlive this object; a registered writer's
// calls must outlive its registration.
#ifndef SFS_CHUNKSERVER_CHUNK_WRITERS_H_
#define SFS_CHUNKSERVER_CHUNK_WRITERS_H_

#include <cstdint>
#include <map>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chunkserver/chunk_store.h"

namespace grpc {
class ClientContext;
class ServerContext;
}  // namespace grpc

namespace sfs {

// The calls a writer is blocked in; cancelling them ends the writer. Either
// may be null (a clone has no upstream, a chain's tail no downstream).
struct WriterCalls {
  grpc::ServerContext* upstream = nullptr;
  grpc::ClientContext* downstream = nullptr;

  bool operator==(const WriterCalls& other) const {
    return upstream == other.upstream && downstream == other.downstream;
  }
};

class ChunkWriters {
 public:
  // How long a newer writer waits for the one it cancelled to let go (it
  // may be in an fsync) before giving up with Aborted.
  static constexpr absl::Duration kDefaultTakeOverWait = absl::Seconds(10);

  explicit ChunkWriters(ChunkStore* store,
                        absl::Duration take_over_wait = kDefaultTakeOverWait)
      : store_(store), take_over_wait_(take_over_wait) {}

  // ChunkStore::OpenForAppend, taking the chunk over from a writer that
  // holds it: its calls are cancelled (once they are registered) and the
  // open is retried until it succeeds or take_over_wait passes. `who`
  // names the new writer in the log line.
  absl::StatusOr<std::unique_ptr<ChunkAppender>> OpenTakingOver(
      uint64_t handle, uint64_t version, uint64_t offset, const char* who);

  // Names the calls of the writer that opened `handle`, until Unregister
  // with the same calls. Register right after opening, before any call
  // that may block.
  void Register(uint64_t handle, const WriterCalls& calls);
  // Does nothing if a newer writer has registered since.
  void Unregister(uint64_t handle, const WriterCalls& calls);

 private:
  ChunkStore* const store_;
  const absl::Duration take_over_wait_;
  absl::Mutex mu_;
  std::map<uint64_t, WriterCalls> writers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sfs

#endif  // SFS_CHUNKSERVER_CHUNK_WRITERS_H_
