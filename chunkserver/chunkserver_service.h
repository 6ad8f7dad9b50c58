// ChunkserverService serves chunk bytes over gRPC from a ChunkStore.
//
// WriteChunk is one hop of a replication pipeline: the first message names
// the chunk and the rest of the chain; every data segment is CRC-checked,
// stored, and forwarded to the next replica; acknowledgements flow back up
// the chain, so an ack for offset N means every replica downstream of here
// holds N bytes. `finish` seals the chunk (fsync) on each replica in turn.
//
// When a write fails, the trailing metadata kFailedReplicaKey names the
// replica to blame, so the client can resume on the others. A resumed
// pipeline takes its chunk over from a stream of an earlier attempt that is
// still running here (it has not noticed its end yet, say because it waits
// on a hop that died): that stream and its next hop are cancelled, as HDFS
// datanodes do on pipeline recovery, rather than making the writer wait for
// it. Only one pipeline ever writes a chunk, so the newest stream is its
// live one.
//
// ReadChunk streams a range of a sealed chunk in segments whose every byte
// was verified against the on-disk checksums. A replica that fails its
// checksums is quarantined (deleted and reported corrupt).
//
// Each hop reaches the next through a shared ChannelPool, whose keepalives
// close the connection to a replica that died or froze (at most ~20 s, see
// common/rpc_settings.h): the write then fails with that replica blamed
// instead of waiting for it forever.
//
// Callers must hold the frontend or chunkserver role (common/cluster_tls.h),
// and every read and write must carry a block token for its chunk
// (common/block_token.h); a write's token also names every replica the
// write may be forwarded to.
//
// `store`, `channels` and `tokens` must outlive the service. Thread-safe.
#ifndef SFS_CHUNKSERVER_CHUNKSERVER_SERVICE_H_
#define SFS_CHUNKSERVER_CHUNKSERVER_SERVICE_H_

#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "chunkserver/chunk_store.h"
#include "common/block_token.h"
#include "common/channel_pool.h"
#include "proto/sfs.grpc.pb.h"

namespace sfs {

// The largest data segment a read response carries.
inline constexpr uint64_t kReadSegmentBytes = 1 << 20;

class ChunkserverService final : public proto::Chunkserver::Service {
 public:
  // `address` is how peers reach this server: failures are blamed on it,
  // and a write's token must name it. `tokens` checks every read's and
  // write's block token.
  ChunkserverService(ChunkStore* store, ChannelPool* channels,
                     const BlockTokenVerifier* tokens, std::string address)
      : store_(store),
        channels_(channels),
        tokens_(tokens),
        address_(std::move(address)) {}

  grpc::Status WriteChunk(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<proto::WriteChunkAck, proto::WriteChunkRequest>*
          upstream) override;

  grpc::Status ReadChunk(
      grpc::ServerContext* context, const proto::ReadChunkRequest* r,
      grpc::ServerWriter<proto::ReadChunkResponse>* out) override;
  grpc::Status Ping(grpc::ServerContext* context,
                    const proto::PingRequest* request,
                    proto::PingResponse* response) override;

 private:
  using AckStream =
      grpc::ServerReaderWriter<proto::WriteChunkAck, proto::WriteChunkRequest>;
  // A write stream running here, to cancel when a newer one takes over.
  struct RunningWrite {
    grpc::ServerContext* upstream;
    grpc::ClientContext* downstream;  // null at the tail of the chain
  };

  // Runs one hop of a write; on failure *failed_replica names the replica
  // to blame (this one for a local error).
  absl::Status RunWrite(grpc::ServerContext* context, AckStream* upstream,
                        proto::WriteChunkHeader* header,
                        std::string* failed_replica);
  // Opens the chunk for this write, cancelling an earlier stream that still
  // holds it and waiting (bounded) for it to let go.
  absl::StatusOr<std::unique_ptr<ChunkAppender>> TakeOver(
      const proto::WriteChunkHeader& header);
  void Register(uint64_t handle, const RunningWrite& write);
  void Unregister(uint64_t handle, grpc::ServerContext* upstream);

  absl::Status ServeRead(grpc::ServerContext* context,
                         const proto::ReadChunkRequest& r,
                         grpc::ServerWriter<proto::ReadChunkResponse>* out);

  ChunkStore* const store_;
  ChannelPool* const channels_;
  const BlockTokenVerifier* const tokens_;
  const std::string address_;
  absl::Mutex writes_mu_;
  std::map<uint64_t, RunningWrite> writes_ ABSL_GUARDED_BY(writes_mu_);
};

}  // namespace sfs

#endif  // SFS_CHUNKSERVER_CHUNKSERVER_SERVICE_H_
