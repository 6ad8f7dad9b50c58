// Internal to client-lib. Writes one chunk down its replica chain: segments
// go to the primary, which forwards them; cumulative acks come back. At most
// `window_bytes` may be unacknowledged before Write waits for acks, and only
// those unacknowledged segments are kept in memory.
//
// Pipeline recovery (as HDFS does it): when the chain fails, the replica the
// servers blame is dropped, a new stream opens on the survivors at the last
// acknowledged offset (each survivor truncates anything beyond it), and the
// kept segments are sent again. The write goes on while at least
// `min_replicas` replicas remain; the master re-replicates the rest later.
//
// A chain that goes silent (no ack, or a send that cannot proceed, for the
// watchdog's limit) is cancelled rather than waited on. The servers then
// blame nobody, so the pipeline pings each replica and drops the first that
// does not answer within `ping_timeout`; if all answer, it drops the tail,
// the replica furthest from the client. Chunkservers notice a dead or
// frozen next hop themselves through their channels' keepalives, so the
// blame usually arrives before the watchdog fires.
//
// Not thread-safe.
#ifndef SFS_CLIENT_LIB_CHUNK_PIPELINE_H_
#define SFS_CLIENT_LIB_CHUNK_PIPELINE_H_

#include <grpcpp/grpcpp.h>

#include <deque>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/channel_pool.h"
#include "common/checksum.h"
#include "common/stall_watchdog.h"
#include "proto/sfs.grpc.pb.h"

namespace sfs {

struct PipelineOptions {
  size_t window_bytes = 8 << 20;
  size_t min_replicas = 2;
  absl::Duration ping_timeout = absl::Seconds(2);
};

class ChunkPipeline {
 public:
  // Opens the stream to the chain's primary. `chunk` comes from AllocateChunk.
  // `channels` and `watchdog` must outlive the pipeline.
  static absl::StatusOr<std::unique_ptr<ChunkPipeline>> Open(
      ChannelPool* channels, StallWatchdog* watchdog,
      const proto::AllocateChunkResponse& chunk,
      const PipelineOptions& options);
  ~ChunkPipeline();  // cancels the stream unless Seal() succeeded

  // Writes `data` as the whole chunk in one message (header, bytes and
  // seal) and waits for the sealed ack: a message each way per hop, where
  // Open, Write and Seal take three, with a round trip for the data's ack
  // before the seal. Returns the chunk's CRC32C once every replica of the
  // chain sealed it. No recovery: after a failure some replicas may hold
  // the chunk sealed and others not, so the caller must drop the chunk
  // (take its upload over) and write the bytes to a new one.
  static absl::StatusOr<uint32_t> WriteWhole(
      ChannelPool* channels, StallWatchdog* watchdog,
      const proto::AllocateChunkResponse& chunk, absl::string_view data);

  // Sends one segment; the pipeline keeps it until every replica acked it.
  absl::Status Write(std::string segment);

  // Seals the chunk on every replica; checks the replicas' CRC of the whole
  // chunk against ours and returns it.
  absl::StatusOr<uint32_t> Seal();

  uint64_t sent_bytes() const { return sent_; }
  uint64_t acknowledged_bytes() const { return acked_; }
  // The replicas that hold (after Seal: sealed) every byte.
  const std::vector<proto::ReplicaLocation>& chain() const { return chain_; }

 private:
  struct Segment {
    uint64_t offset;
    std::string data;
    uint32_t crc32c;  // of `data`, computed once
  };

  ChunkPipeline(ChannelPool* channels, StallWatchdog* watchdog,
                const proto::AllocateChunkResponse& chunk,
                const PipelineOptions& options);
  // Opens a stream on chain_ at acked_ and sends every kept segment again.
  absl::Status Connect();
  // Sends what Write or Seal must send and waits as they must; `finish`
  // seals. OK only when done.
  absl::Status Push(bool finish);
  // After `failure`: drops the blamed replica (or waits, when a survivor is
  // still busy with the broken stream) and reconnects, until Push(finish)
  // succeeds or too few replicas remain.
  absl::Status RunWithRecovery(bool finish, absl::Status failure);
  // Blocks for the next ack; ends the stream with its status on failure.
  absl::Status AwaitAck(proto::WriteChunkAck* ack);
  // Sends one message under the watchdog; false when the stream failed.
  bool Send(const proto::WriteChunkRequest& request);
  // Closes a failed stream: reads the acks still queued, records the
  // status and whom to blame: the servers' verdict, the replica a stall
  // is traced to, or else the primary.
  absl::Status EndStream();
  // After a stall: the first replica of the chain that does not answer a
  // ping, or the tail when every one answers.
  std::string FindSilentReplica();
  void NoteAck(const proto::WriteChunkAck& ack);
  // Sends `segment` from byte `skip` on (a resend after recovery may start
  // mid-segment).
  bool SendSegment(const Segment& segment, uint64_t skip);

  ChannelPool* const channels_;
  StallWatchdog* const watchdog_;
  const PipelineOptions options_;
  const uint64_t handle_;
  const uint64_t version_;
  const proto::BlockToken token_;  // WRITE, for the chain it was given
  std::vector<proto::ReplicaLocation> chain_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<proto::Chunkserver::Stub> stub_;
  std::unique_ptr<
      grpc::ClientReaderWriter<proto::WriteChunkRequest, proto::WriteChunkAck>>
      stream_;
  std::deque<Segment> unacked_;
  Crc32c crc_;
  uint64_t sent_ = 0;
  uint64_t acked_ = 0;
  proto::WriteChunkAck last_ack_;
  std::string blamed_;    // the replica the last failure is blamed on
  bool stalled_ = false;  // the watchdog cancelled the current stream
  bool sealed_ = false;
};

}  // namespace sfs

#endif  // SFS_CLIENT_LIB_CHUNK_PIPELINE_H_
