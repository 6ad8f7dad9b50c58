#include "chunkserver/chunkserver_service.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <initializer_list>
#include <optional>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/checksum.h"
#include "common/cluster_tls.h"
#include "common/grpc_status.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace sfs {
namespace {

// Who may call a chunkserver (admins may too; common/cluster_tls.h):
// writers and readers, and other chunkservers forwarding a write down its
// chain or cloning a replica.
const std::initializer_list<ClusterRole> kChunkCallers = {
    ClusterRole::kFrontend, ClusterRole::kChunkserver};

using AckStream =
    grpc::ServerReaderWriter<proto::WriteChunkAck, proto::WriteChunkRequest>;

// The next hop of a write pipeline: a stream to the downstream replica, and
// its acknowledgements relayed to our upstream.
class DownstreamHop {
 public:
  DownstreamHop(ChannelPool* channels, const std::string& address)
      : address_(address),
        stub_(proto::Chunkserver::NewStub(channels->Get(address_))) {}

  // Opens the stream (a call that may wait for a connection: cancelling
  // context() ends the wait). The header for the next hop goes with the
  // first Forward. With `relay`, a thread relays acks to `upstream` as they
  // come, for a write of many messages whose upstream waits for them.
  // Without, the acks are read by Finish() on the caller's thread: enough
  // for a whole chunk in one message, whose only ack is the sealed one, and
  // one thread and its hand-offs less per hop.
  void Start(const proto::WriteChunkHeader& header, AckStream* upstream,
             bool relay) {
    next_header_ = header;
    next_header_.mutable_downstream()->erase(
        next_header_.mutable_downstream()->begin());
    upstream_ = upstream;
    stream_ = stub_->WriteChunk(&context_);
    healthy_ = true;
    if (relay) relay_ = std::thread([this] { ReadAcks(); });
  }

  // The stream's context: cancelling it (from any thread, while the hop
  // lives) fails whatever the hop is blocked in.
  grpc::ClientContext* context() { return &context_; }

  ~DownstreamHop() {
    if (stream_ != nullptr && !acks_read_) {
      cancelled_ = true;
      context_.TryCancel();
      JoinAcks();
    }
  }

  // Sends `request` on; the one that finishes also ends our side. A whole
  // small chunk (header, bytes and finish in one message) thus goes down in
  // one message too.
  bool Forward(proto::WriteChunkRequest& request) {
    if (!healthy_) return false;
    const bool first = !header_sent_;
    if (first) request.mutable_header()->Swap(&next_header_);
    if (request.finish()) {
      healthy_ =
          stream_->Write(request, grpc::WriteOptions().set_last_message());
      writes_done_ = true;
    } else {
      healthy_ = stream_->Write(request);
    }
    if (first) {
      request.clear_header();
      header_sent_ = true;
    }
    return healthy_;
  }

  // Ends our side, waits for the last ack to be relayed and returns how the
  // downstream replica finished.
  absl::Status Finish() {
    if (!writes_done_) stream_->WritesDone();
    JoinAcks();
    return status_;
  }

  // After an OK Finish: the final ack of the replicas downstream, which the
  // relay holds back (every replica from here down must have sealed before
  // the upstream hears of it); empty when they never sealed.
  std::optional<proto::WriteChunkAck> sealed_ack() const { return sealed_ack_; }

  // After a failed Finish: the replica to blame. The downstream names one
  // when the failure was further down (or its own); a hop that could not be
  // reached at all is to blame itself.
  std::string FailedReplica() const {
    const auto& trailers = context_.GetServerTrailingMetadata();
    auto it = trailers.find(kFailedReplicaKey);
    if (it != trailers.end())
      return std::string(it->second.data(), it->second.size());
    return address_;
  }

 private:
  // Reads the stream to its end, relaying acks until the upstream fails.
  // Reads to the end even once the upstream is gone: Finish() may only be
  // called on a stream read to its end, and a Finish() with acks left
  // unread can wait forever.
  void ReadAcks() {
    proto::WriteChunkAck ack;
    bool relaying = true;
    while (stream_->Read(&ack)) {
      if (ack.sealed()) {
        sealed_ack_ = ack;  // for the write, once this replica sealed too
      } else {
        relaying = relaying && upstream_->Write(ack);
      }
    }
    status_ = FromGrpcStatus(stream_->Finish());
    if (status_.ok() && !sealed_ack_.has_value()) {
      status_ = absl::UnavailableError("the replica ended the write early");
    }
    if (!status_.ok() && relaying && !cancelled_) {
      // This hop may be blocked reading the upstream's next message while
      // the upstream waits for acks: tell it now. Not when we cancelled the
      // stream ourselves: this hop failed, and RunWrite's status names it.
      proto::WriteChunkAck failed;
      failed.set_failed_replica(FailedReplica());
      upstream_->Write(failed);
    }
  }

  // Waits for the relay, or reads the acks here without one.
  void JoinAcks() {
    if (relay_.joinable()) {
      relay_.join();
    } else {
      ReadAcks();
    }
    acks_read_ = true;
  }

  const std::string address_;
  grpc::ClientContext context_;
  std::unique_ptr<proto::Chunkserver::Stub> stub_;
  std::unique_ptr<
      grpc::ClientReaderWriter<proto::WriteChunkRequest, proto::WriteChunkAck>>
      stream_;
  AckStream* upstream_ = nullptr;
  std::thread relay_;
  bool acks_read_ = false;  // ReadAcks() returned
  // Set by the destructor before it cancels the stream; read by the relay.
  std::atomic<bool> cancelled_{false};
  // Written by ReadAcks() only, read after it returned.
  std::optional<proto::WriteChunkAck> sealed_ack_;
  absl::Status status_;
  proto::WriteChunkHeader next_header_;  // sent with the first Forward
  bool header_sent_ = false;
  bool healthy_ = false;
  bool writes_done_ = false;
};

}  // namespace

absl::Status ChunkserverService::RunWrite(grpc::ServerContext* context,
                                          AckStream* upstream,
                                          proto::WriteChunkHeader* header_out,
                                          std::string* failed_replica) {
  *failed_replica = address_;
  // Every read from the upstream is watched: one that sends nothing for
  // the idle limit has the call cancelled.
  bool idle = false;
  auto read = [&](proto::WriteChunkRequest* request) {
    return idle_watchdog_.Watch(
        context, [&] { return upstream->Read(request); }, &idle);
  };
  auto idle_error = [&] {
    return absl::DeadlineExceededError(
        absl::StrCat("the upstream sent nothing for ",
                     absl::FormatDuration(idle_watchdog_.limit())));
  };
  proto::WriteChunkRequest request;
  if (!read(&request) || !request.has_header()) {
    if (idle) return idle_error();
    return absl::InvalidArgumentError("a write must start with a header");
  }
  const proto::WriteChunkHeader header = request.header();
  *header_out = header;
  std::vector<std::string> replicas = {address_};
  replicas.insert(replicas.end(), header.downstream().begin(),
                  header.downstream().end());
  RETURN_IF_ERROR(tokens_->Verify(header.token(), header.handle(),
                                  proto::BlockToken::WRITE, replicas,
                                  absl::Now()));
  ASSIGN_OR_RETURN(
      std::unique_ptr<ChunkAppender> appender,
      writers_->OpenTakingOver(header.handle(), header.version(),
                               header.offset(), "a resumed write"));
  // Registered before any call that may block, so a takeover can cancel
  // it; unregistered before the hop (whose context it names) is destroyed
  // and before the appender lets go of the chunk.
  std::unique_ptr<DownstreamHop> downstream;
  if (header.downstream_size() > 0) {
    downstream =
        std::make_unique<DownstreamHop>(channels_, header.downstream(0));
  }
  const WriterCalls calls{context,
                          downstream ? downstream->context() : nullptr};
  writers_->Register(header.handle(), calls);
  absl::Cleanup unregister = [&] {
    writers_->Unregister(header.handle(), calls);
  };
  // A whole chunk in one message needs no relay: its one ack is the last.
  if (downstream) downstream->Start(header, upstream, !request.finish());
  request.clear_header();

  // The seal's fsync runs on every replica at once: the finish goes down
  // the chain before this replica seals, and the downstream's final ack
  // goes up only once this replica sealed too.
  bool sealed = false;
  uint32_t sealed_crc = 0;
  do {
    if (!request.data().empty()) {
      if (ComputeCrc32c(request.data()) != request.data_crc32c()) {
        return absl::DataLossError("segment checksum mismatch on the wire");
      }
      RETURN_IF_ERROR(appender->Append(request.data()));
    }
    if (downstream && !downstream->Forward(request)) break;  // status: why
    proto::WriteChunkAck ack;
    ack.set_offset(appender->length());
    if (request.finish()) {
      ASSIGN_OR_RETURN(sealed_crc, appender->Seal());
      ack.set_sealed(true);
      ack.set_crc32c(sealed_crc);
      sealed = true;
    }
    if (!downstream && !upstream->Write(ack)) {
      return absl::CancelledError("upstream went away");
    }
    request.Clear();
  } while (!sealed && read(&request));

  // The hop's destructor cancels the downstream stream.
  if (idle) return idle_error();
  if (downstream) {
    absl::Status down = downstream->Finish();
    if (!down.ok()) {
      *failed_replica = downstream->FailedReplica();
      return Annotate(down, absl::StrCat("replica ", *failed_replica));
    }
  }
  if (!sealed) {
    return absl::CancelledError("write ended before the chunk was sealed");
  }
  if (downstream) {
    std::optional<proto::WriteChunkAck> below = downstream->sealed_ack();
    if (!below.has_value() || below->crc32c() != sealed_crc ||
        below->offset() != appender->length()) {
      *failed_replica = header.downstream(0);
      return absl::DataLossError(absl::StrCat(
          "replica ", *failed_replica, " did not seal the chunk this one did"));
    }
    if (!upstream->Write(*below)) {
      return absl::CancelledError("upstream went away");
    }
  }
  return absl::OkStatus();
}

grpc::Status ChunkserverService::WriteChunk(grpc::ServerContext* context,
                                            AckStream* upstream) {
  if (grpc::Status allowed = Authorize(*context, kChunkCallers);
      !allowed.ok()) {
    return allowed;
  }
  std::string failed_replica;
  proto::WriteChunkHeader header;
  absl::Status status = RunWrite(context, upstream, &header, &failed_replica);
  if (!status.ok()) {
    Log("write of chunk ", header.handle(), " from offset ", header.offset(),
        " failed, blaming ", failed_replica, ": ", status.ToString());
    context->AddTrailingMetadata(kFailedReplicaKey, failed_replica);
  }
  return ToGrpcStatus(status);
}

grpc::Status ChunkserverService::Ping(grpc::ServerContext* context,
                                      const proto::PingRequest* request,
                                      proto::PingResponse* response) {
  return Authorize(*context, kChunkCallers);
}

grpc::Status ChunkserverService::ReadChunk(
    grpc::ServerContext* context, const proto::ReadChunkRequest* r,
    grpc::ServerWriter<proto::ReadChunkResponse>* out) {
  if (grpc::Status allowed = Authorize(*context, kChunkCallers);
      !allowed.ok()) {
    return allowed;
  }
  absl::Status status = ServeRead(context, *r, out);
  if (status.code() == absl::StatusCode::kDataLoss) {
    // The replica is bad: drop it so the master re-replicates from a good
    // copy; the reader fails over at the same byte.
    store_->Quarantine(r->handle());
  }
  return ToGrpcStatus(status);
}

absl::Status ChunkserverService::ServeRead(
    grpc::ServerContext* context, const proto::ReadChunkRequest& r,
    grpc::ServerWriter<proto::ReadChunkResponse>* out) {
  RETURN_IF_ERROR(tokens_->Verify(r.token(), r.handle(),
                                  proto::BlockToken::READ, {}, absl::Now()));
  ASSIGN_OR_RETURN(std::unique_ptr<ChunkReader> reader,
                   store_->OpenForRead(r.handle(), r.version()));
  uint64_t end = reader->length();
  if (r.length() > 0) end = std::min(end, r.offset() + r.length());
  proto::ReadChunkResponse response;
  for (uint64_t offset = r.offset(); offset < end;) {
    if (context->IsCancelled()) return absl::CancelledError("reader went away");
    RETURN_IF_ERROR(reader->ReadAt(offset,
                                   std::min(kReadSegmentBytes, end - offset),
                                   response.mutable_data()));
    offset += response.data().size();
    if (!out->Write(response)) return absl::CancelledError("reader went away");
  }
  return absl::OkStatus();
}

}  // namespace sfs
