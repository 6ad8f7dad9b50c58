#include "chunkserver/chunkserver_service.h"

#include <grpcpp/grpcpp.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "common/checksum.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"

namespace sfs {
namespace {

using AckStream =
    grpc::ServerReaderWriter<proto::WriteChunkAck, proto::WriteChunkRequest>;

// The next hop of a write pipeline: a stream to the downstream replica, and a
// thread relaying its acknowledgements to our upstream.
class DownstreamHop {
 public:
  DownstreamHop(ChannelPool* channels, const proto::WriteChunkHeader& header,
                AckStream* upstream)
      : address_(header.downstream(0)),
        stub_(proto::Chunkserver::NewStub(channels->Get(address_))),
        stream_(stub_->WriteChunk(&context_)) {
    proto::WriteChunkRequest first;
    proto::WriteChunkHeader* next = first.mutable_header();
    *next = header;
    next->mutable_downstream()->erase(next->mutable_downstream()->begin());
    healthy_ = stream_->Write(first);
    relay_ = std::thread([this, upstream] {
      proto::WriteChunkAck ack;
      while (stream_->Read(&ack)) {
        if (!upstream->Write(ack)) break;
      }
    });
  }

  ~DownstreamHop() {
    if (relay_.joinable()) {
      context_.TryCancel();
      relay_.join();
    }
  }

  bool Forward(const proto::WriteChunkRequest& request) {
    healthy_ = healthy_ && stream_->Write(request);
    return healthy_;
  }

  // Ends our side, waits for the last ack to be relayed and returns how the
  // downstream replica finished.
  absl::Status Finish() {
    stream_->WritesDone();
    relay_.join();
    return FromGrpcStatus(stream_->Finish());
  }

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
  const std::string address_;
  grpc::ClientContext context_;
  std::unique_ptr<proto::Chunkserver::Stub> stub_;
  std::unique_ptr<
      grpc::ClientReaderWriter<proto::WriteChunkRequest, proto::WriteChunkAck>>
      stream_;
  std::thread relay_;
  bool healthy_ = false;
};

// Runs the write pipeline for one chunk on this replica. On failure,
// *failed_replica names the replica to blame (this one for a local error).
absl::Status RunWrite(ChunkStore* store, ChannelPool* channels,
                      AckStream* upstream, const std::string& self,
                      std::string* failed_replica) {
  *failed_replica = self;
  proto::WriteChunkRequest request;
  if (!upstream->Read(&request) || !request.has_header()) {
    return absl::InvalidArgumentError("a write must start with a header");
  }
  const proto::WriteChunkHeader header = request.header();
  ASSIGN_OR_RETURN(
      std::unique_ptr<ChunkAppender> appender,
      store->OpenForAppend(header.handle(), header.version(), header.offset()));
  std::unique_ptr<DownstreamHop> downstream;
  if (header.downstream_size() > 0) {
    downstream = std::make_unique<DownstreamHop>(channels, header, upstream);
  }
  request.clear_header();

  bool sealed = false;
  do {
    if (!request.data().empty()) {
      if (ComputeCrc32c(request.data()) != request.data_crc32c()) {
        return absl::DataLossError("segment checksum mismatch on the wire");
      }
      RETURN_IF_ERROR(appender->Append(request.data()));
    }
    proto::WriteChunkAck ack;
    ack.set_offset(appender->length());
    if (request.finish()) {
      ASSIGN_OR_RETURN(uint32_t crc, appender->Seal());
      ack.set_sealed(true);
      ack.set_crc32c(crc);
      sealed = true;
    }
    if (downstream) {
      if (!downstream->Forward(request)) break;  // its status says why
    } else if (!upstream->Write(ack)) {
      return absl::CancelledError("upstream went away");
    }
    request.Clear();
  } while (!sealed && upstream->Read(&request));

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
  return absl::OkStatus();
}

}  // namespace

grpc::Status ChunkserverService::WriteChunk(grpc::ServerContext* context,
                                            AckStream* upstream) {
  std::string failed_replica;
  absl::Status status =
      RunWrite(store_, channels_, upstream, address_, &failed_replica);
  if (!status.ok())
    context->AddTrailingMetadata(kFailedReplicaKey, failed_replica);
  return ToGrpcStatus(status);
}

grpc::Status ChunkserverService::Ping(grpc::ServerContext* context,
                                      const proto::PingRequest* request,
                                      proto::PingResponse* response) {
  return grpc::Status::OK;
}

grpc::Status ChunkserverService::ReadChunk(
    grpc::ServerContext* context, const proto::ReadChunkRequest* r,
    grpc::ServerWriter<proto::ReadChunkResponse>* out) {
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
