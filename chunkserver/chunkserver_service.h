// ChunkserverService serves chunk bytes over gRPC from a ChunkStore.
//
// WriteChunk is one hop of a replication pipeline: the first message names
// the chunk and the rest of the chain; every data segment is CRC-checked,
// stored, and forwarded to the next replica; acknowledgements flow back up
// the chain, so an ack for offset N means every replica downstream of here
// holds N bytes. `finish` seals the chunk (fsync) on each replica in turn.
//
// When a write fails, the trailing metadata kFailedReplicaKey names the
// replica to blame, so the client can resume on the others.
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
// `store` and `channels` must outlive the service. Thread-safe.
#ifndef SFS_CHUNKSERVER_CHUNKSERVER_SERVICE_H_
#define SFS_CHUNKSERVER_CHUNKSERVER_SERVICE_H_

#include "chunkserver/chunk_store.h"
#include "common/channel_pool.h"
#include "proto/sfs.grpc.pb.h"

namespace sfs {

// The largest data segment a read response carries.
inline constexpr uint64_t kReadSegmentBytes = 1 << 20;

class ChunkserverService final : public proto::Chunkserver::Service {
 public:
  // `address` is how peers reach this server: failures are blamed on it.
  ChunkserverService(ChunkStore* store, ChannelPool* channels,
                     std::string address)
      : store_(store), channels_(channels), address_(std::move(address)) {}

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
  absl::Status ServeRead(grpc::ServerContext* context,
                         const proto::ReadChunkRequest& r,
                         grpc::ServerWriter<proto::ReadChunkResponse>* out);

  ChunkStore* const store_;
  ChannelPool* const channels_;
  const std::string address_;
};

}  // namespace sfs

#endif  // SFS_CHUNKSERVER_CHUNKSERVER_SERVICE_H_
