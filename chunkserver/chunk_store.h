// ChunkStore keeps chunk replicas on local disk. Each chunk is two files in
// the store's directory:
//   <handle>.data  the bytes, append-only
//   <handle>.crc   one little-endian CRC32C per 64 KiB block of .data, then,
//                  once the chunk is sealed, a 32-byte seal record: version,
//                  length, the chunk's CRC32C, and checksums of the block
//                  CRCs and of itself, so a torn record reads as no seal.
//                  An open chunk has none.
// (Stores written before the seal record mark a sealed chunk with a third
// file, <handle>.meta, "version length sealed crc32c"; it is still read.)
// Every read verifies the CRC of each block it touches, so a flipped or lost
// byte on disk surfaces as DataLoss instead of wrong data.
//
// A chunk is first open (being appended by one writer at a time), then sealed
// (fsynced, immutable, readable, reported to the master). Open chunks left by
// a crash are discarded when the store opens: their writer is gone and the
// client has already moved on.
//
// Thread-safe. Appenders and readers may outlive nothing: they must be
// destroyed before the ChunkStore.
#ifndef SFS_CHUNKSERVER_CHUNK_STORE_H_
#define SFS_CHUNKSERVER_CHUNK_STORE_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/checksum.h"

namespace sfs {

// Bytes covered by one CRC32C on disk.
inline constexpr uint64_t kChunkBlockBytes = 64 * 1024;
// The largest chunk a store accepts.
inline constexpr uint64_t kMaxChunkBytes = 64ull * 1024 * 1024;
// How much an appender lets accumulate in the page cache before it starts
// the disk's writeback (ChunkAppender::StartWriteback).
inline constexpr uint64_t kWritebackBytes = 4ull * 1024 * 1024;

struct SealedChunk {
  uint64_t handle = 0;
  uint64_t version = 0;
  uint64_t length = 0;
};

class ChunkStore;

// Running totals of a store since it was opened, for metrics. Counted with
// relaxed atomics: any thread, no locks.
struct ChunkStoreCounters {
  std::atomic<uint64_t> bytes_written{0};     // appended chunk data
  std::atomic<uint64_t> bytes_read{0};        // read and verified chunk data
  std::atomic<uint64_t> corrupt_replicas{0};  // quarantined replicas
};

// Appends to one open chunk. Not thread-safe; one per chunk at a time.
class ChunkAppender {
 public:
  ~ChunkAppender();
  ChunkAppender(const ChunkAppender&) = delete;
  ChunkAppender& operator=(const ChunkAppender&) = delete;

  // Writes `data` at the current end. ResourceExhausted past kMaxChunkBytes or
  // when the disk is full; Internal on other I/O errors.
  absl::Status Append(absl::string_view data);

  // Fsyncs data and checksums, marks the chunk sealed and returns the
  // CRC32C of the whole chunk (computed as the bytes were appended). On a
  // chunk that is already sealed, just returns that CRC.
  absl::StatusOr<uint32_t> Seal();

  uint64_t length() const { return length_; }

  // Deletes the unsealed chunk, for a write that failed and is not to be
  // resumed (a clone). Does nothing if the chunk is no longer this
  // appender's (deleted meanwhile). Appending afterwards fails.
  void Abandon();

 private:
  friend class ChunkStore;
  ChunkAppender(ChunkStore* store, uint64_t handle, uint64_t version,
                uint64_t writer, int data_fd, int crc_fd, uint64_t length,
                std::string tail);
  // Once kWritebackBytes were appended since the last call, starts the
  // disk's writeback of them without waiting for it, so the disk writes
  // while the chunk streams in and Seal's fdatasync waits only for the
  // last few MiB, not for the whole chunk.
  void StartWriteback();

  ChunkStore* const store_;
  const uint64_t handle_;
  const uint64_t version_;
  // This appender's claim on the chunk (ChunkState::writer); 0 for the
  // appender of a chunk already sealed, which holds no claim.
  const uint64_t writer_;
  const int data_fd_;
  const int crc_fd_;
  uint64_t length_;
  // The bytes of the last, partial block, so its CRC can be extended
  // without reading the disk back. Never more than kChunkBlockBytes.
  std::string tail_;
  // Where the data not yet handed to the disk's writeback begins.
  uint64_t writeback_started_ = 0;
  Crc32c whole_;  // of every byte of the chunk so far
  bool sealed_ = false;
  uint32_t sealed_crc_ = 0;  // the whole chunk's CRC32C once sealed
};

// Reads one sealed chunk. Thread-compatible.
class ChunkReader {
 public:
  ~ChunkReader();
  ChunkReader(const ChunkReader&) = delete;
  ChunkReader& operator=(const ChunkReader&) = delete;

  // Replaces *out with up to `max_bytes` starting at `offset` (fewer at the
  // end of the chunk, none at or past it). Every block touched is checked:
  // DataLoss on a checksum mismatch or a short file.
  absl::Status ReadAt(uint64_t offset, uint64_t max_bytes, std::string* out);

  uint64_t length() const { return length_; }

 private:
  friend class ChunkStore;
  friend class ChunkAppender;
  ChunkReader(int data_fd, int crc_fd, uint64_t length,
              std::atomic<uint64_t>* bytes_read);

  const int data_fd_;
  const int crc_fd_;
  const uint64_t length_;
  std::atomic<uint64_t>* const bytes_read_;
};

class ChunkStore {
 public:
  // Opens (creating if needed) a store in `dir`, discarding open chunks left
  // by an earlier process. With `capacity_bytes` > 0 the store holds at most
  // that many bytes of chunk data (a size-limited data dir), whatever the
  // filesystem has free.
  static absl::StatusOr<std::unique_ptr<ChunkStore>> Open(
      const std::string& dir, uint64_t capacity_bytes = 0);

  ChunkStore(const ChunkStore&) = delete;
  ChunkStore& operator=(const ChunkStore&) = delete;

  // Opens chunk `handle` for appending at `offset`. A new chunk needs offset
  // 0. An existing open chunk of the same version is truncated to `offset`
  // (a write pipeline resuming from its last acknowledged byte), which must
  // not exceed its length. A sealed chunk opens only at its full length (a
  // pipeline resuming during its seal): Append then fails and Seal returns
  // the sealed CRC. FailedPrecondition for other offsets of a sealed chunk or
  // a version mismatch; Aborted (try again soon) while the chunk still has a
  // writer.
  absl::StatusOr<std::unique_ptr<ChunkAppender>> OpenForAppend(uint64_t handle,
                                                               uint64_t version,
                                                               uint64_t offset);

  // Opens sealed chunk `handle` at `version` for reading. NotFound if absent
  // or not sealed; FailedPrecondition if the stored version differs.
  absl::StatusOr<std::unique_ptr<ChunkReader>> OpenForRead(uint64_t handle,
                                                           uint64_t version);

  // Removes the chunk's files. OK if it does not exist.
  absl::Status Delete(uint64_t handle);

  // Removes a replica found corrupt and remembers it for the next report
  // (once: a replica already removed is not reported again).
  void Quarantine(uint64_t handle);

  // Deletes open chunks nobody has written for `max_idle`: replicas a write
  // pipeline dropped (and went on without) while this server stayed up.
  // Returns how many were deleted.
  int DropIdleOpenChunks(absl::Duration max_idle);

  // Every sealed chunk.
  std::vector<SealedChunk> ListSealed();

  // Every sealed chunk, for the full report at registration; the changes
  // TakeChanges would have returned are covered by it and dropped.
  std::vector<SealedChunk> TakeFullReport();

  // Sealed chunks added, handles removed and handles quarantined since the
  // last call, for the incremental report on each heartbeat.
  void TakeChanges(std::vector<SealedChunk>* added,
                   std::vector<uint64_t>* removed,
                   std::vector<uint64_t>* corrupt);

  // Bytes held by chunk data, and bytes still free for it (the filesystem's
  // free space, or what is left of the capacity if that is smaller).
  uint64_t used_bytes();
  uint64_t free_bytes();

  // True once a write hit an I/O error other than a full disk: the disk is
  // suspect and the server should get no new chunks.
  bool disk_failed();

  // Chunks held, sealed or being written.
  size_t chunk_count();

  const ChunkStoreCounters& counters() const { return counters_; }

  const std::string& dir() const { return dir_; }

 private:
  friend class ChunkAppender;
  struct ChunkState {
    uint64_t version = 0;
    uint64_t length = 0;
    bool sealed = false;
    // The ChunkAppender holding the chunk open (a number never reused), or
    // 0. The store's bookkeeping only ever takes a writer's results while
    // the chunk is still its own: a writer whose chunk was deleted, and
    // perhaps opened again by another, changes nothing.
    uint64_t writer = 0;
    uint32_t crc32c = 0;  // of the whole chunk, once sealed
  };

  ChunkStore(std::string dir, uint64_t capacity_bytes);
  absl::Status Load();
  // Drops `handle` from the index and reports it removed; false when it is
  // not there.
  bool ForgetLocked(uint64_t handle) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes the files of a chunk already forgotten.
  absl::Status Unlink(uint64_t handle);
  std::string PathOf(uint64_t handle, absl::string_view suffix) const;
  // The sealed chunk the seal record of `handle`'s .crc describes, or
  // nullopt (no .crc, no seal record, or a torn one).
  std::optional<ChunkState> ReadSealRecord(uint64_t handle) const;
  // The same from the .meta of a store written before seal records.
  std::optional<ChunkState> ReadLegacyMeta(uint64_t handle) const;
  // Durably removes whatever could mark `handle` sealed: the contents of
  // its .crc (and so any seal record) and a legacy .meta.
  absl::Status RemoveStaleSeal(uint64_t handle);
  // Ends `writer`'s claim on `handle` and records where it left the chunk.
  void FinishWrite(uint64_t handle, uint64_t writer, uint64_t length,
                   bool sealed, uint32_t crc32c);
  // Keeps used_bytes() current while a chunk is being written; fails with
  // ResourceExhausted when `length` would exceed the capacity, Aborted when
  // the chunk is no longer `writer`'s.
  absl::Status ReserveLength(uint64_t handle, uint64_t writer, uint64_t length);
  // ChunkAppender::Abandon.
  void AbandonWrite(uint64_t handle, uint64_t writer);
  // Records the outcome of a write: an I/O error marks the disk failed.
  absl::Status NoteWriteResult(absl::Status status);

  const std::string dir_;
  const uint64_t capacity_bytes_;
  ChunkStoreCounters counters_;
  absl::Mutex mu_;
  uint64_t used_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool disk_failed_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<uint64_t> corrupt_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, ChunkState> chunks_ ABSL_GUARDED_BY(mu_);
  uint64_t last_writer_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<SealedChunk> added_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> removed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sfs

#endif  // SFS_CHUNKSERVER_CHUNK_STORE_H_
