#include <algorithm>
#include <atomic>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "client-lib/chunk_cache.h"
#include "client-lib/client.h"
#include "client-lib/master_connection.h"
#include "client-lib/proto_convert.h"
#include "common/channel_pool.h"
#include "common/checksum.h"
#include "common/grpc_status.h"
#include "common/stall_watchdog.h"
#include "common/status_macros.h"

namespace sfs {
namespace {

// Readers start on replicas in turn, spreading them over the replicas. (A
// std::random_device per reader cost 2% of the frontend's CPU on small
// reads: it opens and reads the kernel's entropy each time.)
size_t NextFirstReplica() {
  static std::atomic<size_t> next{0};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

class FileReader::Impl {
 public:
  Impl(ChannelPool* channels, MasterConnection* master, StallWatchdog* watchdog,
       ChunkCache* cache, FileInfo info, uint64_t begin, uint64_t end)
      : channels_(channels),
        master_(master),
        watchdog_(watchdog),
        cache_(cache),
        info_(std::move(info)),
        pos_(begin),
        end_(end) {
    uint64_t start = 0;
    for (const ChunkInfo& chunk : info_.chunks) {
      chunk_starts_.push_back(start);
      start += chunk.length;
    }
    chunk_starts_.push_back(start);
    replica_cursor_ = NextFirstReplica();
  }

  ~Impl() { CloseStream(); }

  absl::StatusOr<absl::string_view> Next(size_t max) {
    while (pos_ < end_ && max > 0) {
      if (!buffer_.empty()) {
        size_t take = std::min<uint64_t>({max, buffer_.size(), end_ - pos_});
        absl::string_view view = buffer_.substr(0, take);
        buffer_.remove_prefix(take);
        pos_ += take;
        return view;
      }
      RETURN_IF_ERROR(Refill());
    }
    return absl::string_view();
  }

  const FileInfo& info() const { return info_; }

 private:
  void CloseStream() {
    if (stream_ == nullptr) return;
    context_->TryCancel();
    stream_->Finish();
    stream_.reset();
  }

  // Whether the current chunk is read whole, through the cache.
  bool ReadsWhole() const {
    return cache_ != nullptr && cache_->Admits(info_.chunks[chunk_].length);
  }

  static ChunkIdentity IdentityOf(const ChunkInfo& chunk) {
    return ChunkIdentity{chunk.handle, chunk.version, chunk.length,
                         chunk.crc32c};
  }

  // Serves the rest of the current chunk's range from `whole`, the chunk.
  void Hold(std::shared_ptr<const std::string> whole) {
    const uint64_t chunk_start = chunk_starts_[chunk_];
    const uint64_t stop = std::min(end_, chunk_starts_[chunk_ + 1]);
    held_ = std::move(whole);
    buffer_ = absl::string_view(*held_).substr(pos_ - chunk_start, stop - pos_);
  }

  // Loads what follows pos_ into buffer_: from the cache, or from a
  // replica, failing over between replicas. When every replica of the
  // chunk has failed, asks the master for fresh locations a few times,
  // pausing longer each time: servers may come back, or may only have been
  // declared dead while overloaded.
  absl::Status Refill() {
    constexpr int kMaxLocationRefreshes = 5;
    while (chunk_starts_[chunk_ + 1] <= pos_) {
      ++chunk_;
      CloseStream();  // the last chunk's range is done
    }
    if (ReadsWhole()) {
      if (auto cached = cache_->Find(IdentityOf(info_.chunks[chunk_]))) {
        Hold(std::move(cached));
        return absl::OkStatus();
      }
    }
    absl::Status last_error = absl::UnavailableError("no live replica");
    int refreshes = 0;
    size_t attempt = 0;
    while (true) {
      if (attempt >= info_.chunks[chunk_].replicas.size()) {
        if (refreshes == kMaxLocationRefreshes) {
          return Annotate(last_error, absl::StrCat("reading chunk ",
                                                   info_.chunks[chunk_].handle,
                                                   " of ", info_.path));
        }
        if (refreshes > 0)
          absl::SleepFor(absl::Milliseconds(250) * (1 << refreshes));
        ++refreshes;
        attempt = 0;
        absl::Status refreshed = RefreshLocations();
        if (refreshed.code() == absl::StatusCode::kFailedPrecondition)
          return refreshed;
        if (!refreshed.ok()) last_error = refreshed;
        continue;
      }
      ++attempt;
      if (stream_ == nullptr) {
        const ChunkInfo& current = info_.chunks[chunk_];
        OpenStream(current,
                   current.replicas[replica_cursor_ % current.replicas.size()]
                       .address);
      }
      absl::Status status = ReadFromStream();
      if (status.ok()) return status;
      last_error = Annotate(status, absl::StrCat("replica ", stream_address_));
      CloseStream();
      ++replica_cursor_;  // fail over: the next replica resumes at pos_
    }
  }

  // Fills buffer_ from the open stream: its next message, or, when the
  // chunk is read whole, all of it, checked against the chunk's CRC32C and
  // cached. An error means this replica failed.
  absl::Status ReadFromStream() {
    const ChunkInfo& chunk = info_.chunks[chunk_];
    const bool whole = ReadsWhole();
    std::string gathered;
    while (true) {
      proto::ReadChunkResponse response;
      bool stalled = false;
      bool got = watchdog_->Watch(
          context_.get(), [&] { return stream_->Read(&response); }, &stalled);
      if (!got || response.data().empty()) {
        absl::Status status = FromGrpcStatus(stream_->Finish());
        stream_.reset();
        if (stalled) return absl::DeadlineExceededError("stalled");
        return status.ok() ? absl::DataLossError("ended the chunk early")
                           : status;
      }
      if (!whole) {
        segment_ = std::move(*response.mutable_data());
        held_.reset();
        buffer_ = segment_;
        return absl::OkStatus();
      }
      if (gathered.empty()) {
        gathered = std::move(*response.mutable_data());
      } else {
        gathered.append(response.data());
      }
      if (gathered.size() < chunk.length) continue;
      CloseStream();
      if (gathered.size() != chunk.length ||
          ComputeCrc32c(gathered) != chunk.crc32c) {
        return absl::DataLossError(
            absl::StrCat("chunk ", chunk.handle,
                         " does not match the CRC32C its commit recorded"));
      }
      auto bytes = std::make_shared<const std::string>(std::move(gathered));
      cache_->Insert(IdentityOf(chunk), bytes);
      Hold(std::move(bytes));
      return absl::OkStatus();
    }
  }

  void OpenStream(const ChunkInfo& chunk, const std::string& address) {
    uint64_t chunk_start = chunk_starts_[chunk_];
    uint64_t stop = std::min(end_, chunk_starts_[chunk_ + 1]);
    proto::ReadChunkRequest request;
    request.set_handle(chunk.handle);
    request.set_version(chunk.version);
    if (ReadsWhole()) {
      request.set_offset(0);
      request.set_length(chunk.length);
    } else {
      request.set_offset(pos_ - chunk_start);
      request.set_length(stop - pos_);
    }
    request.mutable_token()->ParseFromString(chunk.block_token);
    stub_ = proto::Chunkserver::NewStub(channels_->Get(address));
    context_ = std::make_unique<grpc::ClientContext>();
    stream_ = stub_->ReadChunk(context_.get(), request);
    stream_address_ = address;
  }

  // Re-reads the file's replica locations, keeping to the same version.
  absl::Status RefreshLocations() {
    proto::StatRequest request;
    request.set_path(info_.path);
    ASSIGN_OR_RETURN(proto::StatResponse response,
                     master_->Call(&proto::Master::Stub::Stat, request));
    FileInfo fresh = FromProto(response.file());
    if (fresh.sha256 != info_.sha256 ||
        fresh.chunks.size() != info_.chunks.size()) {
      return absl::FailedPreconditionError("file changed while being read");
    }
    info_.chunks = std::move(fresh.chunks);
    return absl::OkStatus();
  }

  ChannelPool* const channels_;
  MasterConnection* const master_;
  StallWatchdog* const watchdog_;
  ChunkCache* const cache_;  // null: no cache
  FileInfo info_;
  std::vector<uint64_t>
      chunk_starts_;  // chunk i covers [starts[i], starts[i+1])
  uint64_t pos_;
  const uint64_t end_;
  size_t chunk_ = 0;
  size_t replica_cursor_ = 0;  // which replica the next stream opens on
  // The bytes at pos_ not yet handed out: a view into segment_ (the last
  // message of a stream) or into held_ (a whole chunk).
  absl::string_view buffer_;
  std::string segment_;
  std::shared_ptr<const std::string> held_;
  std::unique_ptr<proto::Chunkserver::Stub> stub_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<proto::ReadChunkResponse>> stream_;
  std::string stream_address_;
};

absl::StatusOr<std::unique_ptr<FileReader>> Client::Open(
    const std::string& path, uint64_t offset, uint64_t length) {
  ASSIGN_OR_RETURN(FileInfo info, Stat(path));
  return OpenVersion(info, offset, length);
}

absl::StatusOr<std::unique_ptr<FileReader>> Client::OpenVersion(
    const FileInfo& info, uint64_t offset, uint64_t length) {
  if (offset > info.size) {
    return absl::OutOfRangeError(
        absl::StrCat("offset ", offset, " is past the end of ", info.path));
  }
  uint64_t chunk_bytes = 0;
  for (const ChunkInfo& chunk : info.chunks) chunk_bytes += chunk.length;
  if (chunk_bytes != info.size) {
    // Listings and the answers of Copy and Move carry no chunk list.
    return absl::InvalidArgumentError(
        absl::StrCat("the description of ", info.path,
                     " lists no chunks for its bytes: Stat it to read it"));
  }
  uint64_t end = info.size - offset < length ? info.size : offset + length;
  return std::unique_ptr<FileReader>(
      new FileReader(std::make_unique<FileReader::Impl>(
          channels_.get(), master_.get(), watchdog_.get(), chunk_cache_.get(),
          info, offset, end)));
}

FileReader::FileReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FileReader::~FileReader() = default;
absl::StatusOr<size_t> FileReader::Read(char* buf, size_t n) {
  ASSIGN_OR_RETURN(absl::string_view next, impl_->Next(n));
  memcpy(buf, next.data(), next.size());
  return next.size();
}
absl::StatusOr<absl::string_view> FileReader::Next(size_t max) {
  return impl_->Next(max);
}
const FileInfo& FileReader::info() const { return impl_->info(); }

}  // namespace sfs
