#include "chunkserver/chunk_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/checksum.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace sfs {
namespace {

absl::Status IoError(absl::string_view what, const std::string& path) {
  int err = errno;
  std::string message = absl::StrCat(what, " ", path, ": ", strerror(err));
  if (err == ENOSPC || err == EDQUOT)
    return absl::ResourceExhaustedError(message);
  return absl::InternalError(message);
}

absl::Status WriteFully(int fd, const char* data, size_t n, uint64_t offset,
                        const std::string& path) {
  while (n > 0) {
    ssize_t w = pwrite(fd, data, n, offset);
    if (w < 0) {
      if (errno == EINTR) continue;
      return IoError("write", path);
    }
    data += w;
    n -= w;
    offset += w;
  }
  return absl::OkStatus();
}

// Reads exactly n bytes or fails with DataLoss (a short chunk file is lost
// data, not an I/O hiccup).
absl::Status ReadFully(int fd, char* data, size_t n, uint64_t offset) {
  while (n > 0) {
    ssize_t r = pread(fd, data, n, offset);
    if (r < 0) {
      if (errno == EINTR) continue;
      return absl::DataLossError(
          absl::StrCat("chunk read failed: ", strerror(errno)));
    }
    if (r == 0)
      return absl::DataLossError("chunk file is shorter than recorded");
    data += r;
    n -= r;
    offset += r;
  }
  return absl::OkStatus();
}

void EncodeCrc(uint32_t crc, char* out) {
  for (int i = 0; i < 4; ++i)
    out[i] = static_cast<char>((crc >> (8 * i)) & 0xff);
}

uint32_t DecodeCrc(const char* in) {
  uint32_t crc = 0;
  for (int i = 3; i >= 0; --i)
    crc = (crc << 8) | static_cast<unsigned char>(in[i]);
  return crc;
}

void EncodeFixed64(uint64_t value, char* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(value >> (8 * i));
}

uint64_t DecodeFixed64(const char* in) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i)
    value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}

// Bytes of block CRCs in the .crc file of a chunk of `length` bytes.
uint64_t BlockCrcBytes(uint64_t length) {
  return (length + kChunkBlockBytes - 1) / kChunkBlockBytes * 4;
}

// The seal record ends a sealed chunk's .crc file, right after its block
// CRCs: the magic, version and length (8 bytes each), the chunk's CRC32C,
// the CRC32C of the block CRCs before it, and the CRC32C of the record's
// first 28 bytes (integers little-endian). A .crc that does not end in a
// whole record matching its block CRCs is an open chunk's.
constexpr char kSealMagic[4] = {'S', 'F', 'S', 'S'};
constexpr size_t kSealRecordBytes = 32;

std::string EncodeSealRecord(uint64_t version, uint64_t length, uint32_t crc32c,
                             uint32_t block_crcs_crc32c) {
  std::string record(kSealRecordBytes, '\0');
  memcpy(record.data(), kSealMagic, sizeof(kSealMagic));
  EncodeFixed64(version, &record[4]);
  EncodeFixed64(length, &record[12]);
  EncodeCrc(crc32c, &record[20]);
  EncodeCrc(block_crcs_crc32c, &record[24]);
  EncodeCrc(ComputeCrc32c(absl::string_view(record.data(), 28)), &record[28]);
  return record;
}

absl::Status SyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("open", dir);
  int rc = fsync(fd);
  close(fd);
  if (rc != 0) return IoError("fsync", dir);
  return absl::OkStatus();
}

}  // namespace

// ---------------------------------------------------------------------------
// ChunkAppender

ChunkAppender::ChunkAppender(ChunkStore* store, uint64_t handle,
                             uint64_t version, uint64_t writer, int data_fd,
                             int crc_fd, uint64_t length, std::string tail)
    : store_(store),
      handle_(handle),
      version_(version),
      writer_(writer),
      data_fd_(data_fd),
      crc_fd_(crc_fd),
      length_(length),
      tail_(std::move(tail)) {}

ChunkAppender::~ChunkAppender() {
  close(data_fd_);
  close(crc_fd_);
  if (!sealed_) {
    store_->FinishWrite(handle_, writer_, length_, /*sealed=*/false, 0);
  }
}

void ChunkAppender::Abandon() { store_->AbandonWrite(handle_, writer_); }

absl::Status ChunkAppender::Append(absl::string_view data) {
  if (sealed_) return absl::FailedPreconditionError("chunk is sealed");
  if (length_ + data.size() > kMaxChunkBytes) {
    return absl::ResourceExhaustedError("write past the end of a 64 MiB chunk");
  }
  RETURN_IF_ERROR(
      store_->ReserveLength(handle_, writer_, length_ + data.size()));
  std::string data_path = store_->PathOf(handle_, ".data");
  RETURN_IF_ERROR(store_->NoteWriteResult(
      WriteFully(data_fd_, data.data(), data.size(), length_, data_path)));
  whole_.Update(data);

  // Recompute the CRC of every block the append touched: the partial block
  // it extended (from tail_) and each block it started.
  const size_t appended = data.size();
  uint64_t first_block = length_ / kChunkBlockBytes;
  std::string crcs;
  while (!data.empty()) {
    size_t take =
        std::min<size_t>(kChunkBlockBytes - tail_.size(), data.size());
    absl::string_view block;
    if (tail_.empty() && take == kChunkBlockBytes) {
      block = data.substr(0, take);  // a whole block: checksum it in place
    } else {
      tail_.append(data.data(), take);
      block = tail_;
    }
    data.remove_prefix(take);
    length_ += take;
    char encoded[4];
    EncodeCrc(ComputeCrc32c(block), encoded);
    crcs.append(encoded, 4);
    if (tail_.size() == kChunkBlockBytes) tail_.clear();
  }
  store_->counters_.bytes_written.fetch_add(appended,
                                            std::memory_order_relaxed);
  StartWriteback();
  return store_->NoteWriteResult(WriteFully(crc_fd_, crcs.data(), crcs.size(),
                                            first_block * 4,
                                            store_->PathOf(handle_, ".crc")));
}

void ChunkAppender::StartWriteback() {
  if (length_ - writeback_started_ < kWritebackBytes) return;
  // Only a hint: the seal's fdatasync reports any I/O error.
  sync_file_range(data_fd_, writeback_started_, length_ - writeback_started_,
                  SYNC_FILE_RANGE_WRITE);
  writeback_started_ = length_;
}

absl::StatusOr<uint32_t> ChunkAppender::Seal() {
  if (sealed_) return sealed_crc_;
  // The data is durable before the record that declares it sealed is
  // written; one fdatasync of .crc then makes the block CRCs and the
  // record durable together (a torn mix fails the record's checks), and
  // the directory sync the new files' names. No read-back: it would read
  // the page cache, not the disk, and every byte was checked against its
  // segment's wire CRC before it was written.
  const std::string crc_path = store_->PathOf(handle_, ".crc");
  if (fdatasync(data_fd_) != 0) {
    return store_->NoteWriteResult(
        IoError("fsync", store_->PathOf(handle_, ".data")));
  }
  const uint64_t crc_bytes = BlockCrcBytes(length_);
  std::string record(crc_bytes, '\0');
  RETURN_IF_ERROR(
      store_->NoteWriteResult(ReadFully(crc_fd_, record.data(), crc_bytes, 0)));
  const uint32_t crc = whole_.Finish();
  record = EncodeSealRecord(version_, length_, crc, ComputeCrc32c(record));
  RETURN_IF_ERROR(store_->NoteWriteResult(
      WriteFully(crc_fd_, record.data(), record.size(), crc_bytes, crc_path)));
  if (fdatasync(crc_fd_) != 0) {
    return store_->NoteWriteResult(IoError("fsync", crc_path));
  }
  RETURN_IF_ERROR(store_->NoteWriteResult(SyncDir(store_->dir_)));
  sealed_ = true;
  sealed_crc_ = crc;
  store_->FinishWrite(handle_, writer_, length_, /*sealed=*/true, sealed_crc_);
  return sealed_crc_;
}

// ---------------------------------------------------------------------------
// ChunkReader

ChunkReader::ChunkReader(int data_fd, int crc_fd, uint64_t length,
                         std::atomic<uint64_t>* bytes_read)
    : data_fd_(data_fd),
      crc_fd_(crc_fd),
      length_(length),
      bytes_read_(bytes_read) {}

ChunkReader::~ChunkReader() {
  close(data_fd_);
  close(crc_fd_);
}

absl::Status ChunkReader::ReadAt(uint64_t offset, uint64_t max_bytes,
                                 std::string* out) {
  out->clear();
  if (offset >= length_ || max_bytes == 0) return absl::OkStatus();
  uint64_t end = std::min(length_, offset + max_bytes);
  uint64_t first_block = offset / kChunkBlockBytes;
  uint64_t last_block = (end - 1) / kChunkBlockBytes;
  uint64_t span_start = first_block * kChunkBlockBytes;
  uint64_t span_end = std::min(length_, (last_block + 1) * kChunkBlockBytes);

  // The whole blocks are read into *out itself (its capacity is reused
  // from one segment to the next), checked, then trimmed to the range.
  out->resize(span_end - span_start);
  RETURN_IF_ERROR(ReadFully(data_fd_, out->data(), out->size(), span_start));
  std::string crcs((last_block - first_block + 1) * 4, '\0');
  RETURN_IF_ERROR(
      ReadFully(crc_fd_, crcs.data(), crcs.size(), first_block * 4));

  const absl::string_view span(*out);
  for (uint64_t b = first_block; b <= last_block; ++b) {
    uint64_t block_start = b * kChunkBlockBytes - span_start;
    uint32_t actual = ComputeCrc32c(span.substr(block_start, kChunkBlockBytes));
    uint32_t expected = DecodeCrc(&crcs[(b - first_block) * 4]);
    if (actual != expected) {
      out->clear();
      return absl::DataLossError(
          absl::StrFormat("checksum mismatch in block %d of chunk", b));
    }
  }
  out->resize(end - span_start);
  out->erase(0, offset - span_start);
  bytes_read_->fetch_add(out->size(), std::memory_order_relaxed);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// ChunkStore

ChunkStore::ChunkStore(std::string dir, uint64_t capacity_bytes)
    : dir_(std::move(dir)), capacity_bytes_(capacity_bytes) {}

absl::StatusOr<std::unique_ptr<ChunkStore>> ChunkStore::Open(
    const std::string& dir, uint64_t capacity_bytes) {
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return IoError("mkdir", dir);
  std::unique_ptr<ChunkStore> store(new ChunkStore(dir, capacity_bytes));
  RETURN_IF_ERROR(store->Load());
  return store;
}

std::string ChunkStore::PathOf(uint64_t handle,
                               absl::string_view suffix) const {
  return absl::StrFormat("%s/%016x%s", dir_, handle, suffix);
}

absl::Status ChunkStore::Load() {
  DIR* d = opendir(dir_.c_str());
  if (d == nullptr) return IoError("opendir", dir_);
  std::vector<uint64_t> handles;
  while (struct dirent* entry = readdir(d)) {
    absl::string_view name(entry->d_name);
    if (name.size() != 21 || name.substr(16) != ".data") continue;
    uint64_t handle;
    if (absl::SimpleHexAtoi(name.substr(0, 16), &handle))
      handles.push_back(handle);
  }
  closedir(d);

  absl::MutexLock lock(&mu_);
  for (uint64_t handle : handles) {
    std::optional<ChunkState> state = ReadSealRecord(handle);
    if (!state.has_value()) state = ReadLegacyMeta(handle);
    if (state.has_value()) {
      chunks_[handle] = *state;
      used_bytes_ += state->length;
      continue;
    }
    for (const char* suffix : {".data", ".crc", ".meta"}) {
      unlink(PathOf(handle, suffix).c_str());
    }
  }
  return absl::OkStatus();
}

std::optional<ChunkStore::ChunkState> ChunkStore::ReadSealRecord(
    uint64_t handle) const {
  const int fd = open(PathOf(handle, ".crc").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st;
  std::string file;
  if (fstat(fd, &st) == 0) {
    const uint64_t size = st.st_size;
    if (size >= kSealRecordBytes &&
        size <= BlockCrcBytes(kMaxChunkBytes) + kSealRecordBytes) {
      file.resize(size);
      if (!ReadFully(fd, file.data(), size, 0).ok()) file.clear();
    }
  }
  close(fd);
  if (file.empty()) return std::nullopt;
  const absl::string_view block_crcs(file.data(),
                                     file.size() - kSealRecordBytes);
  const char* record = file.data() + block_crcs.size();
  // Block CRCs alone (an open chunk's) do not end in the magic.
  if (memcmp(record, kSealMagic, sizeof(kSealMagic)) != 0) return std::nullopt;
  ChunkState state;
  state.version = DecodeFixed64(record + 4);
  state.length = DecodeFixed64(record + 12);
  state.crc32c = DecodeCrc(record + 20);
  state.sealed = true;
  if (DecodeCrc(record + 28) != ComputeCrc32c(absl::string_view(record, 28)) ||
      DecodeCrc(record + 24) != ComputeCrc32c(block_crcs) ||
      state.length > kMaxChunkBytes ||
      BlockCrcBytes(state.length) != block_crcs.size()) {
    Log("chunk ", handle,
        ": seal record or block CRCs do not verify (torn by a crash or "
        "damaged on disk); the replica is dropped");
    return std::nullopt;
  }
  return state;
}

std::optional<ChunkStore::ChunkState> ChunkStore::ReadLegacyMeta(
    uint64_t handle) const {
  std::ifstream meta(PathOf(handle, ".meta"));
  ChunkState state;
  int sealed = 0;
  if (meta >> state.version >> state.length >> sealed >> state.crc32c &&
      sealed == 1) {
    state.sealed = true;
    return state;
  }
  return std::nullopt;
}

absl::Status ChunkStore::RemoveStaleSeal(uint64_t handle) {
  const std::string crc_path = PathOf(handle, ".crc");
  struct stat st;
  if (stat(crc_path.c_str(), &st) == 0 && st.st_size > 0) {
    const int fd = open(crc_path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return IoError("open", crc_path);
    absl::Status status;
    if (ftruncate(fd, 0) != 0) status = IoError("truncate", crc_path);
    if (status.ok() && fdatasync(fd) != 0) status = IoError("fsync", crc_path);
    close(fd);
    RETURN_IF_ERROR(status);
  }
  const std::string meta_path = PathOf(handle, ".meta");
  if (unlink(meta_path.c_str()) == 0) return SyncDir(dir_);
  if (errno == ENOENT) return absl::OkStatus();
  return IoError("unlink", meta_path);
}

absl::StatusOr<std::unique_ptr<ChunkAppender>> ChunkStore::OpenForAppend(
    uint64_t handle, uint64_t version, uint64_t offset) {
  uint64_t writer;
  {
    absl::MutexLock lock(&mu_);
    auto it = chunks_.find(handle);
    if (it == chunks_.end()) {
      if (offset != 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            "chunk ", handle, " does not exist; a new chunk starts at 0"));
      }
    } else {
      ChunkState& s = it->second;
      if (s.sealed) {
        if (s.version != version || offset != s.length) {
          return absl::FailedPreconditionError("chunk is sealed");
        }
        std::unique_ptr<ChunkAppender> done(
            new ChunkAppender(this, handle, version, 0, -1, -1, s.length, ""));
        done->sealed_ = true;
        done->sealed_crc_ = s.crc32c;
        return done;
      }
      if (s.writer != 0) {
        return absl::AbortedError("chunk already has a writer");
      }
      if (s.version != version)
        return absl::FailedPreconditionError("chunk version mismatch");
      if (offset > s.length) {
        return absl::FailedPreconditionError(absl::StrCat(
            "chunk holds ", s.length, " bytes, cannot resume at ", offset));
      }
    }
    ChunkState& s = chunks_[handle];
    s.version = version;
    s.writer = writer = ++last_writer_;
  }
  auto fail = [&](absl::Status status) {
    FinishWrite(handle, writer, offset, /*sealed=*/false, 0);
    return status;
  };
  if (offset == 0) {
    // A chunk has no seal record until it is sealed: Load() drops data
    // without one, which is all an open chunk needs after a crash. One left
    // behind by an earlier replica of this handle must not outlive the new
    // bytes, so it goes first, durably.
    absl::Status cleared = RemoveStaleSeal(handle);
    if (!cleared.ok()) return fail(cleared);
  }
  std::string data_path = PathOf(handle, ".data");
  std::string crc_path = PathOf(handle, ".crc");
  int data_fd = open(data_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (data_fd < 0) return fail(IoError("open", data_path));
  int crc_fd = open(crc_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (crc_fd < 0) {
    close(data_fd);
    return fail(IoError("open", crc_path));
  }
  uint64_t block_start = offset / kChunkBlockBytes * kChunkBlockBytes;
  std::string tail(offset - block_start, '\0');
  absl::Status status =
      ReadFully(data_fd, tail.data(), tail.size(), block_start);
  if (status.ok() && ftruncate(data_fd, offset) != 0)
    status = IoError("truncate", data_path);
  const uint64_t crc_bytes = BlockCrcBytes(offset);
  if (status.ok() && ftruncate(crc_fd, crc_bytes) != 0)
    status = IoError("truncate", crc_path);
  if (!status.ok()) {
    close(data_fd);
    close(crc_fd);
    return fail(status);
  }
  std::unique_ptr<ChunkAppender> appender(new ChunkAppender(
      this, handle, version, writer, data_fd, crc_fd, offset, std::move(tail)));
  if (offset == 0) return appender;
  // A resumed write's chunk CRC covers the bytes kept: the whole blocks
  // read back once through their checksums, then the partial last block,
  // whose checksum on disk may still cover bytes since cut off.
  ChunkReader kept(dup(data_fd), dup(crc_fd), block_start,
                   &counters_.bytes_read);
  std::string piece;
  for (uint64_t at = 0; at < block_start; at += piece.size()) {
    RETURN_IF_ERROR(kept.ReadAt(at, 1 << 20, &piece));
    appender->whole_.Update(piece);
  }
  appender->whole_.Update(appender->tail_);
  return appender;
}

void ChunkStore::FinishWrite(uint64_t handle, uint64_t writer, uint64_t length,
                             bool sealed, uint32_t crc32c) {
  absl::MutexLock lock(&mu_);
  auto it = chunks_.find(handle);
  // Deleted while being written (and perhaps opened again since).
  if (it == chunks_.end() || it->second.writer != writer) return;
  it->second.writer = 0;
  used_bytes_ = used_bytes_ - it->second.length + length;
  it->second.length = length;
  it->second.sealed = sealed;
  it->second.crc32c = crc32c;
  if (sealed) added_.push_back(SealedChunk{handle, it->second.version, length});
}

absl::Status ChunkStore::ReserveLength(uint64_t handle, uint64_t writer,
                                       uint64_t length) {
  absl::MutexLock lock(&mu_);
  auto it = chunks_.find(handle);
  if (it == chunks_.end() || it->second.writer != writer)
    return absl::AbortedError("chunk deleted while written");
  uint64_t used = used_bytes_ - it->second.length + length;
  if (capacity_bytes_ > 0 && used > capacity_bytes_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "chunkserver capacity of ", capacity_bytes_, " bytes is full"));
  }
  used_bytes_ = used;
  it->second.length = length;
  return absl::OkStatus();
}

absl::Status ChunkStore::NoteWriteResult(absl::Status status) {
  if (status.code() == absl::StatusCode::kInternal) {
    absl::MutexLock lock(&mu_);
    disk_failed_ = true;
  }
  return status;
}

bool ChunkStore::disk_failed() {
  absl::MutexLock lock(&mu_);
  return disk_failed_;
}

absl::StatusOr<std::unique_ptr<ChunkReader>> ChunkStore::OpenForRead(
    uint64_t handle, uint64_t version) {
  uint64_t length;
  {
    absl::MutexLock lock(&mu_);
    auto it = chunks_.find(handle);
    if (it == chunks_.end() || !it->second.sealed) {
      return absl::NotFoundError(
          absl::StrCat("no sealed replica of chunk ", handle));
    }
    if (it->second.version != version) {
      return absl::FailedPreconditionError(
          absl::StrCat("replica of chunk ", handle, " has version ",
                       it->second.version, ", wanted ", version));
    }
    length = it->second.length;
  }
  std::string data_path = PathOf(handle, ".data");
  std::string crc_path = PathOf(handle, ".crc");
  int data_fd = open(data_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (data_fd < 0)
    return absl::DataLossError(absl::StrCat("chunk file missing: ", data_path));
  int crc_fd = open(crc_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (crc_fd < 0) {
    close(data_fd);
    return absl::DataLossError(
        absl::StrCat("checksum file missing: ", crc_path));
  }
  return std::unique_ptr<ChunkReader>(
      new ChunkReader(data_fd, crc_fd, length, &counters_.bytes_read));
}

bool ChunkStore::ForgetLocked(uint64_t handle) {
  auto it = chunks_.find(handle);
  if (it == chunks_.end()) return false;
  used_bytes_ -= it->second.length;
  chunks_.erase(it);
  // A seal not yet reported is simply never reported.
  added_.erase(
      std::remove_if(added_.begin(), added_.end(),
                     [&](const SealedChunk& c) { return c.handle == handle; }),
      added_.end());
  removed_.push_back(handle);
  return true;
}

void ChunkStore::AbandonWrite(uint64_t handle, uint64_t writer) {
  auto ours = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = chunks_.find(handle);
    return it != chunks_.end() && it->second.writer == writer;
  };
  {
    absl::MutexLock lock(&mu_);
    if (!ours()) return;
  }
  // Unlinked while still claimed, so no new writer can have created files
  // of the same name that this would remove.
  absl::Status unlinked = Unlink(handle);
  absl::MutexLock lock(&mu_);
  if (!unlinked.ok()) disk_failed_ = true;
  if (ours()) ForgetLocked(handle);
}

absl::Status ChunkStore::Delete(uint64_t handle) {
  {
    absl::MutexLock lock(&mu_);
    if (!ForgetLocked(handle)) return absl::OkStatus();
  }
  return Unlink(handle);
}

absl::Status ChunkStore::Unlink(uint64_t handle) {
  // The seal first: a crash part-way leaves data without one, which Load()
  // drops.
  for (const char* suffix : {".meta", ".crc", ".data"}) {
    std::string path = PathOf(handle, suffix);
    if (unlink(path.c_str()) != 0 && errno != ENOENT)
      return IoError("unlink", path);
  }
  return absl::OkStatus();
}

std::vector<SealedChunk> ChunkStore::ListSealed() {
  absl::MutexLock lock(&mu_);
  std::vector<SealedChunk> out;
  for (const auto& [handle, state] : chunks_) {
    if (state.sealed)
      out.push_back(SealedChunk{handle, state.version, state.length});
  }
  return out;
}

std::vector<SealedChunk> ChunkStore::TakeFullReport() {
  std::vector<SealedChunk> report = ListSealed();
  absl::MutexLock lock(&mu_);
  added_.clear();
  removed_.clear();
  return report;
}

void ChunkStore::TakeChanges(std::vector<SealedChunk>* added,
                             std::vector<uint64_t>* removed,
                             std::vector<uint64_t>* corrupt) {
  absl::MutexLock lock(&mu_);
  *added = std::move(added_);
  *removed = std::move(removed_);
  *corrupt = std::move(corrupt_);
  added_.clear();
  removed_.clear();
  corrupt_.clear();
}

void ChunkStore::Quarantine(uint64_t handle) {
  {
    absl::MutexLock lock(&mu_);
    // Found bad twice (a reader and the scrubber at once): reported once.
    if (!ForgetLocked(handle)) return;
    corrupt_.push_back(handle);
  }
  counters_.corrupt_replicas.fetch_add(1, std::memory_order_relaxed);
  if (!Unlink(handle).ok()) {
    absl::MutexLock lock(&mu_);
    disk_failed_ = true;
  }
}

int ChunkStore::DropIdleOpenChunks(absl::Duration max_idle) {
  std::vector<uint64_t> idle;
  {
    absl::MutexLock lock(&mu_);
    absl::Time cutoff = absl::Now() - max_idle;
    for (const auto& [handle, state] : chunks_) {
      if (state.sealed || state.writer != 0) continue;
      struct stat st;
      if (stat(PathOf(handle, ".data").c_str(), &st) != 0 ||
          absl::FromTimeT(st.st_mtime) < cutoff) {
        idle.push_back(handle);
      }
    }
  }
  int dropped = 0;
  for (uint64_t handle : idle) dropped += Delete(handle).ok() ? 1 : 0;
  return dropped;
}

size_t ChunkStore::chunk_count() {
  absl::MutexLock lock(&mu_);
  return chunks_.size();
}

uint64_t ChunkStore::used_bytes() {
  absl::MutexLock lock(&mu_);
  return used_bytes_;
}

uint64_t ChunkStore::free_bytes() {
  struct statvfs fs;
  if (statvfs(dir_.c_str(), &fs) != 0) return 0;
  uint64_t free = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  absl::MutexLock lock(&mu_);
  if (capacity_bytes_ == 0) return free;
  return std::min(free,
                  capacity_bytes_ - std::min(capacity_bytes_, used_bytes_));
}

}  // namespace sfs
