// ChunkserverService serves chunk bytes over gRPC from a ChunkStore.
//
// WriteChunk is one hop of a replication pipeline: the first message names
// the chunk and the rest of the chain; every data segment is CRC-checked,
// stored, and forwarded to the next replica; acknowledgements flow back up
// the chain, so an ack for offset N means every replica downstream of here
// holds N bytes. `finish` seals the chunk (fsync) on every replica at once:
// it goes down the chain before each replica seals, and the final ack (with
// the chunk's CRC32C) goes up a hop only once that replica and every one
// below it sealed the same bytes.
//
// When a write fails, the trailing metadata kFailedReplicaKey names the
// replica to blame, so the client can resume on the others. A resumed
// pipeline takes its chunk over from a stream of an earlier attempt that is
// still running here (chunkserver/chunk_writers.h).
//
// ReadChunk streams a range of a sealed chunk in segments whose every byte
// was verified against the on-disk checksums. A replica that fails its
// checksums is quarantined (deleted and reported corrupt).
//
// Each hop reaches the next through a shared ChannelPool, whose keepalives
// close the connection to a replica that died or froze (at most ~20 s, see
// common/rpc_settings.h): the write then fails with that replica blamed
// instead of waiting for it forever. Upstream, keepalives are not enough:
// a connection whose peer's side was dropped while this server was frozen
// may never learn it, so a write whose upstream sends nothing for the idle
// time-out is cancelled as well.
//
// Callers must hold the frontend or chunkserver role (common/cluster_tls.h),
// and every read and write must carry a block token for its chunk
// (common/block_token.h); a write's token also names every replica the
// write may be forwarded to. A server whose chunk bytes go in plaintext
// (--encrypt_data=false) authenticates no caller: there the block token is
// the only credential, as with HDFS data transfer without encryption.
//
// `store`, `writers`, `channels` and `tokens` must outlive the service.
// Thread-safe.
#ifndef SFS_CHUNKSERVER_CHUNKSERVER_SERVICE_H_
#define SFS_CHUNKSERVER_CHUNKSERVER_SERVICE_H_

#include "chunkserver/chunk_store.h"
#include "chunkserver/chunk_writers.h"
#include "common/block_token.h"
#include "common/channel_pool.h"
#include "common/stall_watchdog.h"
#include "proto/sfs.grpc.pb.h"

namespace sfs {

// The largest data segment a read response carries.
inline constexpr uint64_t kReadSegmentBytes = 1 << 20;

class ChunkserverService final : public proto::Chunkserver::Service {
 public:
  // `address` is how peers reach this server: failures are blamed on it,
  // and a write's token must name it. `tokens` checks every read's and
  // write's block token.
  // A write stream whose upstream sends nothing for `write_idle_timeout`
  // is cancelled.
  ChunkserverService(ChunkStore* store, ChunkWriters* writers,
                     ChannelPool* channels, const BlockTokenVerifier* tokens,
                     std::string address, absl::Duration write_idle_timeout)
      : store_(store),
        writers_(writers),
        channels_(channels),
        tokens_(tokens),
        address_(std::move(address)),
        idle_watchdog_(write_idle_timeout) {}

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
  // Runs one hop of a write; on failure *failed_replica names the replica
  // to blame (this one for a local error).
  absl::Status RunWrite(grpc::ServerContext* context, AckStream* upstream,
                        proto::WriteChunkHeader* header,
                        std::string* failed_replica);

  absl::Status ServeRead(grpc::ServerContext* context,
                         const proto::ReadChunkRequest& r,
                         grpc::ServerWriter<proto::ReadChunkResponse>* out);

  ChunkStore* const store_;
  ChunkWriters* const writers_;
  ChannelPool* const channels_;
  const BlockTokenVerifier* const tokens_;
  const std::string address_;
  StallWatchdog idle_watchdog_;
};

}  // namespace sfs

#endif  // SFS_CHUNKSERVER_CHUNKSERVER_SERVICE_H_
