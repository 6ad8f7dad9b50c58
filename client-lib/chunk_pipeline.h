// Internal to client-lib. Writes one chunk down its replica chain: segments
// go to the primary, which forwards them; cumulative acks come back. At most
// `window_bytes` may be unacknowledged before Write waits for acks.
// Not thread-safe.
#ifndef SFS_CLIENT_LIB_CHUNK_PIPELINE_H_
#define SFS_CLIENT_LIB_CHUNK_PIPELINE_H_

#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client-lib/channel_pool.h"
#include "common/checksum.h"
#include "proto/sfs.grpc.pb.h"

namespace sfs {

class ChunkPipeline {
 public:
  // Opens the stream to the chain's primary. `chunk` comes from AllocateChunk.
  static absl::StatusOr<std::unique_ptr<ChunkPipeline>> Open(
      ChannelPool* channels, const proto::AllocateChunkResponse& chunk,
      size_t window_bytes);
  ~ChunkPipeline();  // cancels the stream unless Seal() succeeded

  // Sends one segment.
  absl::Status Write(absl::string_view segment);

  // Seals the chunk on every replica; checks the replicas' CRC of the whole
  // chunk against ours and returns it.
  absl::StatusOr<uint32_t> Seal();

  uint64_t sent_bytes() const { return sent_; }
  uint64_t acknowledged_bytes() const { return acked_; }

 private:
  ChunkPipeline(std::shared_ptr<grpc::Channel> channel, size_t window_bytes);
  // Blocks for the next ack; fails with the pipeline's status if it ends.
  absl::Status AwaitAck(proto::WriteChunkAck* ack);

  const size_t window_bytes_;
  std::unique_ptr<proto::Chunkserver::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<
      grpc::ClientReaderWriter<proto::WriteChunkRequest, proto::WriteChunkAck>>
      stream_;
  Crc32c crc_;
  uint64_t sent_ = 0;
  uint64_t acked_ = 0;
  bool sealed_ = false;
};

}  // namespace sfs

#endif  // SFS_CLIENT_LIB_CHUNK_PIPELINE_H_
