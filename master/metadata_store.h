// MetadataStore is the master's durable state: the file namespace, pending
// uploads, chunk records and the chunk-handle counter, in RocksDB.
//
// Keys (values are protobuf records from proto/sfs.proto):
//   f<path>            FileRecord of a complete, visible file
//   v<path>\0<gen, 8B BE>  FileRecord of an old version of the file at path,
//                      kept on overwrite when the writer asks for versions
//   u<upload id>       PendingUploadRecord: a file being written, invisible
//   c<handle, 8B BE>   ChunkRecord of every chunk a file or upload references,
//                      with how many more than one file records share it
//                      (copies); gone, and garbage, once none does
//   n<namespace>       UsageRecord: what the files of the namespace (first
//                      path segment) store and what its uploads reserve,
//                      changed by merge operands in the batches that change
//                      the files, so reading it is one Get, never a scan
//   m:next_handle      the next chunk handle, so handles are never reused
//   m:usage_counters   present once the n-keys were built
//
// Every mutation is one WriteBatch written with sync=true: after a call
// returns OK, the change survives a crash of the process or the machine, and
// a crash mid-call leaves either all or none of it. A chunk whose record is
// gone is garbage: chunkservers reporting it are told to delete it.
//
// Thread-safe. Mutations of the same upload or path are serialized (each is
// a read-modify-write of a few keys); all others, and reads, run
// concurrently.
#ifndef SFS_MASTER_METADATA_STORE_H_
#define SFS_MASTER_METADATA_STORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "master/striped_lock.h"
#include "proto/sfs.pb.h"

namespace rocksdb {
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace sfs {

// The generation of `file`, also for records written before generations
// existed (their modified time, which was unique per path in practice).
uint64_t FileGeneration(const proto::FileRecord& file);

// What a writer says about a file besides its bytes (validated by the
// caller), stored in its FileRecord.
struct FileAttributes {
  std::string content_type;
  std::string cache_control;
  std::map<std::string, std::string> metadata;
};

// What must hold at the path when an upload completes (see
// CompleteUploadRequest).
struct CompletionCondition {
  bool if_absent = false;
  uint64_t if_generation = 0;
};

// What an upload is admitted under (see CreateUploadRequest).
struct UploadAdmission {
  uint64_t reserve_bytes = 0;
  std::optional<uint64_t> quota_bytes;
  uint64_t namespace_incarnation = 0;
};

struct NamespaceDeletion {
  uint64_t files = 0;
  uint64_t uploads = 0;
};

class MetadataStore {
 public:
  // Called after every synced write with how long it took; for metrics.
  using WriteObserver = std::function<void(absl::Duration)>;

  // Opens or creates the database in `dir`. `on_write` may be empty.
  static absl::StatusOr<std::unique_ptr<MetadataStore>> Open(
      const std::string& dir, WriteObserver on_write = nullptr);
  ~MetadataStore();

  MetadataStore(const MetadataStore&) = delete;
  MetadataStore& operator=(const MetadataStore&) = delete;

  // Starts an upload to `path` (validated by the caller) with a fresh random
  // id, reserving admission.reserve_bytes in its namespace's usage. Nothing
  // is visible at `path` until CompleteUpload. With a quota,
  // ResourceExhausted if the namespace's files, old versions and
  // reservations would exceed it; later reservations of the upload
  // (CommitChunk) are checked against the same quota. FailedPrecondition if
  // DeleteNamespace covered the admission's incarnation.
  // `client_data` is kept with the upload (PendingUploadRecord). With
  // `first_chunk`, the upload's first chunk is allocated in the same write,
  // as AllocateChunk would (the returned upload's chunks(0)).
  absl::StatusOr<proto::PendingUploadRecord> CreateUpload(
      const std::string& path, int64_t now_micros,
      const UploadAdmission& admission = {},
      const std::string& client_data = "", bool first_chunk = false);

  // Appends a new chunk (fresh handle, version 1, uncommitted) to an upload.
  // NotFound for an unknown upload; FailedPrecondition unless
  // `writer_epoch` is the upload's (another writer took it over).
  absl::StatusOr<proto::ChunkRecord> AllocateChunk(const std::string& upload_id,
                                                   uint64_t writer_epoch,
                                                   int64_t now_micros);

  // Records a chunk's final length and CRC32C, and `client_state` unless it
  // is empty. The chunk must belong to the upload, `writer_epoch` be the
  // upload's. Idempotent for the same values. When the upload's committed
  // bytes pass its reservation, the difference is reserved first
  // (ResourceExhausted beyond the upload's quota).
  absl::Status CommitChunk(const std::string& upload_id, uint64_t handle,
                           uint64_t length, uint32_t crc32c,
                           uint64_t writer_epoch,
                           const std::string& client_state, int64_t now_micros);

  // Makes the caller the upload's writer: drops its chunks not committed
  // (appending their handles to *released), counts its writer epoch up and
  // its activity, and replaces its client data if `client_data` is set.
  // Returns the upload as it now is.
  absl::StatusOr<proto::PendingUploadRecord> TakeOverUpload(
      const std::string& upload_id, int64_t now_micros,
      const std::optional<std::string>& client_data,
      std::vector<uint64_t>* released);

  // Makes the upload visible as a file, replacing any file at its path in
  // the same batch. `size` must equal the sum of the committed chunk lengths
  // and every chunk must be committed (FailedPrecondition otherwise).
  // The replaced file becomes an old version of the path, and only the
  // newest `keep_versions` old versions stay; the chunk records of those
  // that go are dropped and their handles appended to *released (their
  // replicas are now garbage). The new file's generation is above every
  // generation the path had. A failed `condition` (AlreadyExists,
  // FailedPrecondition) changes nothing; so does FailedPrecondition for an
  // upload whose namespace was deleted since it was admitted. The upload's
  // reservation is released in the same batch.
  absl::StatusOr<proto::FileRecord> CompleteUpload(
      const std::string& upload_id, uint64_t size, const std::string& sha256,
      const FileAttributes& attributes, int64_t now_micros,
      uint32_t keep_versions, const CompletionCondition& condition,
      std::vector<uint64_t>* released);

  // Drops an upload and its chunk records, appending their handles to
  // *released. NotFound for an unknown upload.
  absl::Status AbandonUpload(const std::string& upload_id,
                             std::vector<uint64_t>* released);

  absl::StatusOr<proto::FileRecord> GetFile(const std::string& path);
  // The file at `path` as of `generation` (0: the current one), current or
  // old. NotFound if the path has no such generation.
  absl::StatusOr<proto::FileRecord> GetVersion(const std::string& path,
                                               uint64_t generation);
  // Every version of the file at `path`, newest (the current one) first.
  // NotFound if there is no file.
  absl::StatusOr<std::vector<proto::FileRecord>> ListVersions(
      const std::string& path);
  absl::StatusOr<proto::ChunkRecord> GetChunk(uint64_t handle);
  absl::StatusOr<proto::PendingUploadRecord> GetUpload(
      const std::string& upload_id);

  // Removes a file, its old versions and their chunk records, appending the
  // handles to *released. NotFound if there is no file; FailedPrecondition
  // if `if_generation` is not 0 and not the current file's generation.
  absl::Status DeleteFile(const std::string& path, uint64_t if_generation,
                          std::vector<uint64_t>* released);

  // Makes a copy of `source` (its version `source_generation`, 0: current)
  // the current file at `destination`, replacing what is there as
  // CompleteUpload does (with `keep_versions` and `condition`). The copy
  // shares the source's chunks (sealed chunks never change), so it costs a
  // metadata write whatever the size; a chunk is garbage once no file or
  // version refers to it. The destination's namespace is admitted as for an
  // upload (quota: ResourceExhausted; deleted incarnation:
  // FailedPrecondition).
  absl::StatusOr<proto::FileRecord> Copy(
      const std::string& source, uint64_t source_generation,
      const std::string& destination, int64_t now_micros,
      uint32_t keep_versions, const CompletionCondition& condition,
      const UploadAdmission& admission, std::vector<uint64_t>* released);

  // Renames the file at `source`, with its old versions, to `destination`,
  // atomically. A file at the destination is AlreadyExists, unless
  // `overwrite`, when it and its versions are deleted in the same batch.
  // Across namespaces the destination's quota is checked for the file and
  // its versions. The moved file gets a generation above the destination's.
  absl::StatusOr<proto::FileRecord> Move(const std::string& source,
                                         const std::string& destination,
                                         int64_t now_micros, bool overwrite,
                                         const UploadAdmission& admission,
                                         std::vector<uint64_t>* released);

  // Deletes every file of namespace `ns` (with old versions) and abandons
  // every upload into it, appending chunk handles to *released. First
  // records a tombstone, so no upload admitted for `incarnation` or earlier,
  // or begun before `now_micros`, completes there afterwards. O(files).
  absl::StatusOr<NamespaceDeletion> DeleteNamespace(
      const std::string& ns, uint64_t incarnation, int64_t now_micros,
      std::vector<uint64_t>* released);

  // Files whose path starts with `prefix` and sorts after `start_after`, in
  // path order, at most `limit`. *next is the last path returned when more
  // may follow, else empty.
  absl::Status ListFiles(const std::string& prefix,
                         const std::string& start_after, size_t limit,
                         std::vector<proto::FileRecord>* files,
                         std::string* next);

  // Files and old versions whose path starts with `prefix`: for a whole
  // namespace ("/ns/") its counters, with the reservations of its uploads;
  // for any other prefix counted from a snapshot, O(files under it).
  absl::StatusOr<proto::UsageResponse> Usage(const std::string& prefix);

  // The counters of namespace `ns` (all 0 for one never written).
  absl::StatusOr<proto::UsageRecord> NamespaceUsage(absl::string_view ns);

  // Calls `fn` for every file / pending upload, in key order, from a
  // consistent snapshot.
  absl::Status ForEachFile(
      const std::function<void(const proto::FileRecord&)>& fn);
  absl::Status ForEachUpload(
      const std::function<void(const proto::PendingUploadRecord&)>& fn);

  // Calls `fn` for every chunk record, in handle order, from a snapshot.
  absl::Status ForEachChunk(
      const std::function<void(const proto::ChunkRecord&)>& fn);

  // Writes a consistent online copy of the database to `dir` (which must not
  // exist) using RocksDB checkpoints: hard links where possible. Restoring is
  // starting a master with --data pointing at such a copy.
  absl::Status Checkpoint(const std::string& dir);

  // Number of chunk records (chunks of files and of pending uploads).
  uint64_t chunk_count();
  uint64_t file_count();
  // Records Usage has read counting prefixes that are not a namespace.
  uint64_t usage_records_scanned();

 private:
  class FileChange;

  MetadataStore(std::unique_ptr<rocksdb::DB> db, WriteObserver on_write);
  // Every write of the store: synced, timed for on_write_.
  absl::Status WriteSynced(rocksdb::WriteBatch* batch);
  absl::Status PutSynced(const std::string& key, const std::string& value);
  // Makes `file` the current file at its path in `change`, replacing the
  // one there as CompleteUpload describes once `condition` holds: it keeps
  // the replaced file's creation time and a generation above it.
  // `new_references` as FileChange::PutCurrent. The caller holds the path.
  absl::Status Install(proto::FileRecord& file, uint32_t keep_versions,
                       const CompletionCondition& condition,
                       bool new_references, FileChange& change);
  // Writes `change` in one synced batch, with the chunk reference counts it
  // changes; chunks no file refers to any more are dropped and appended to
  // *released.
  absl::Status Apply(FileChange& change, std::vector<uint64_t>* released);
  // Appends a new chunk (fresh handle, version 1, uncommitted) to `upload`
  // and its record to `batch`; the caller writes `upload` in the same batch
  // and counts the chunk once it is written.
  absl::StatusOr<proto::ChunkRecord> AddChunk(
      proto::PendingUploadRecord& upload, rocksdb::WriteBatch* batch);
  absl::Status LoadCounters();
  // Writes the usage counters of a database from before they existed.
  absl::Status BuildUsageCounters();
  // Adds `bytes` to namespace `ns`'s reservations in `batch`, first
  // checking them against `quota`. The caller holds the namespace's quota
  // stripe until `batch` is written.
  absl::Status Reserve(absl::string_view ns, std::optional<uint64_t> quota,
                       uint64_t bytes, rocksdb::WriteBatch* batch);
  // ResourceExhausted unless namespace `ns` has `bytes` left under `quota`
  // (none: always). The caller holds the namespace's quota stripe.
  absl::Status CheckQuota(absl::string_view ns, std::optional<uint64_t> quota,
                          uint64_t bytes);
  // FailedPrecondition if a DeleteNamespace of `ns` covered `incarnation`.
  absl::Status CheckAdmission(absl::string_view ns, uint64_t incarnation);
  // The tombstone of namespace `ns` (all 0 if it was never deleted).
  absl::StatusOr<proto::NamespaceTombstone> Tombstone(absl::string_view ns);
  // Old versions of `path`, oldest first. The caller holds the path's lock
  // or accepts a racing view.
  absl::StatusOr<std::vector<proto::FileRecord>> OldVersions(
      const std::string& path);

  const std::unique_ptr<rocksdb::DB> db_;
  const WriteObserver on_write_;
  // A fresh chunk handle. Handles are reserved in blocks with one synced
  // write per block, so a restart resumes past every handle ever handed out
  // without a counter write per chunk.
  absl::StatusOr<uint64_t> NextHandle();

  // Serializes mutations of the same upload or path; others run concurrently
  // and RocksDB shares WAL syncs between them (group commit).
  StripedLock key_locks_;
  // Held shared by every admission and completion, exclusively while a
  // namespace tombstone is written: a completion either finishes before the
  // tombstone (and the deletion's scan sees its file) or sees it.
  absl::Mutex tombstone_mu_;
  // Serializes reference-count changes of chunks that copies share; taken
  // after key_locks_, never before.
  StripedLock chunk_locks_;
  absl::Mutex handle_mu_;
  uint64_t next_handle_ ABSL_GUARDED_BY(handle_mu_) = 1;
  uint64_t reserved_end_ ABSL_GUARDED_BY(handle_mu_) = 1;
  std::atomic<uint64_t> file_count_{0};
  std::atomic<uint64_t> chunk_count_{0};
  std::atomic<uint64_t> usage_records_scanned_{0};
};

}  // namespace sfs

#endif  // SFS_MASTER_METADATA_STORE_H_
