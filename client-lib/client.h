// The SFS client library: the one way every other part of SFS (the CLI, the
// HTTP frontend, tests, benchmarks) reads and writes the cluster.
//
//   auto client = Client::Connect({.master_address = "localhost:9000"});
//   auto writer = (*client)->Create("/ns/report.pdf", "application/pdf");
//   (*writer)->Append(bytes) ...;  (*writer)->Close();   // now visible
//   auto reader = (*client)->Open("/ns/report.pdf");
//   while ((n = (*reader)->Read(buf, sizeof buf)) > 0) ...
//
// Writes stream: bytes are cut into segments, pushed down each chunk's
// replica chain as they come, and only a bounded window of unacknowledged
// bytes is ever in flight. A file becomes visible, whole, only when Close()
// succeeds; a writer destroyed or failed before that leaves nothing behind
// and any earlier version at the path intact.
//
// Reads stream too, from any offset, chunk by chunk; when a replica fails
// mid-stream (connection error, checksum error on its disk) the read resumes
// on another replica at the exact byte where it stopped.
//
// Memory per writer or reader is bounded whatever the file size, by
// construction:
//  - a FileWriter holds the segment being filled (segment_bytes, 1 MiB),
//    the segments not yet acknowledged by every replica (write_window_bytes,
//    8 MiB, plus the one being sent), and what gRPC has taken but not sent,
//    which the peer's fixed stream window caps (kStreamWindowBytes, 4 MiB,
//    common/rpc_settings.h): about 14 MiB;
//  - a FileReader holds one segment (1 MiB) and what gRPC has received
//    but not handed over: at most the stream window (4 MiB) plus the
//    message being parsed (1 MiB): about 6 MiB.
// The frontend sets a 1 MiB write window (--upload_window_kib), so an HTTP
// upload holds at most 3 MiB of its own plus gRPC's copies of the segments
// in flight (400 concurrent uploads averaged about 4 MiB each), and an HTTP
// download only a reader (it sends from the reader's buffer,
// FileReader::Next); the upload routes take request bodies from httplib in
// small pieces and keep none. gRPC's bandwidth-delay probing, which would
// grow the window with the link's speed, is off in every SFS channel;
// common/process_settings.h says how freed buffers are reused. `sfs
// get` of 1 GiB peaks near 33 MiB RSS, most of it the binary and its libraries.
//
// Client is thread-safe and meant to be shared. A FileWriter or FileReader is
// used by one thread at a time and must not outlive its Client.
//
// Errors carry the canonical codes the servers use: NotFound, InvalidArgument
// (bad path), ResourceExhausted (no room for a chunk), DataLoss (no replica
// could return a byte intact), Unavailable (master or chunkservers down).
#ifndef SFS_CLIENT_LIB_CLIENT_H_
#define SFS_CLIENT_LIB_CLIENT_H_

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace sfs {

struct ReplicaInfo {
  std::string server_id;
  std::string address;
  std::string rack;
};

struct ChunkInfo {
  uint64_t handle = 0;
  uint64_t version = 0;
  uint64_t length = 0;
  uint32_t crc32c = 0;
  std::vector<ReplicaInfo> replicas;  // live replicas of the current version
  // The master's permission to read the chunk (a serialized
  // proto::BlockToken; common/block_token.h), opaque to callers.
  std::string block_token;
};

struct FileInfo {
  std::string path;
  uint64_t size = 0;
  std::string sha256;  // lowercase hex of the whole content
  std::string content_type;
  // As the writer gave them (CreateOptions).
  std::string cache_control;
  std::map<std::string, std::string> metadata;
  int64_t created_unix_micros = 0;
  int64_t modified_unix_micros = 0;
  // Names this content of the path; every completed upload to the path gets
  // a higher one. Old versions are read and listed by it.
  uint64_t generation = 0;
  std::vector<ChunkInfo> chunks;  // empty in listings
};

struct ListPage {
  std::vector<FileInfo> files;
  std::string next_start_after;  // pass back to continue; empty at the end
};

// What the files under a prefix store.
struct StorageUsage {
  uint64_t files = 0;
  uint64_t bytes = 0;  // of the current files
  uint64_t old_versions = 0;
  uint64_t old_version_bytes = 0;
  // Whole namespaces only (see Client::Usage): held by uploads in flight,
  // and the incarnation the namespace's last deletion covered (0: none).
  uint64_t reserved_bytes = 0;
  uint64_t deleted_incarnation = 0;
};

struct ChunkserverStatus {
  std::string server_id;
  std::string address;
  std::string rack;
  bool alive = false;
  uint64_t chunk_count = 0;
  uint64_t used_bytes = 0;
  uint64_t free_bytes = 0;
  int64_t last_heartbeat_unix_micros = 0;
  bool disk_failed = false;  // I/O errors: takes no new chunks
};

struct ClusterStatus {
  std::vector<ChunkserverStatus> chunkservers;
  uint64_t file_count = 0;
  uint64_t chunk_count = 0;
  uint32_t replication_factor = 0;
  bool safe_mode = false;  // after a restart, until enough chunks are reported
  uint64_t replication_backlog = 0;  // clones in flight
  uint64_t under_replicated_chunks = 0;
  uint64_t corrupt_replicas = 0;  // found since the master started
  // Records read by Usage calls that had to count (not a whole namespace).
  uint64_t usage_records_scanned = 0;
};

struct FsckReport {
  uint64_t files = 0;
  uint64_t chunks = 0;
  uint64_t healthy_chunks = 0;
  uint64_t under_replicated_chunks = 0;
  uint64_t missing_chunks = 0;
  uint64_t corrupt_replicas = 0;
  uint64_t pending_uploads = 0;
  uint64_t over_replicated_chunks = 0;
  uint64_t replication_backlog = 0;  // clones in flight
  bool safe_mode = false;
  uint32_t dead_chunkservers = 0;
  std::vector<std::string> problems;
  // Every chunk of every file has exactly the configured replicas. (Corrupt
  // replicas found earlier do not count: they were dropped and replaced.)
  bool clean() const {
    return under_replicated_chunks == 0 && missing_chunks == 0 &&
           over_replicated_chunks == 0;
  }
};

struct ClientOptions {
  // host:port of the master.
  std::string master_address = "localhost:9000";
  // The client's cluster certificate (ca.crt, tls.crt, tls.key; see
  // common/cluster_tls.h), presented to the master and chunkservers, whose
  // own certificates must hold their roles. Empty: plaintext.
  std::string tls_dir;
  // Bytes per data segment sent down a write pipeline.
  size_t segment_bytes = 1 << 20;
  // Unacknowledged bytes a writer lets be in flight before it waits.
  size_t write_window_bytes = 8 << 20;
  // A write goes on after replica failures while this many replicas still
  // hold every byte of the chunk; fewer and the upload fails.
  size_t min_replicas = 2;
  // Deadline of each metadata call to the master.
  absl::Duration rpc_timeout = absl::Seconds(30);
  // A replica that sends nothing for this long while a reader waits is
  // treated as failed and the read resumes on another one.
  absl::Duration stall_timeout = absl::Seconds(30);
  // A write chain that acknowledges nothing (or takes no data) for this
  // long is cancelled and the write recovers on the replicas that still
  // answer a ping. It must exceed the slowest healthy seal: every replica
  // in turn fsyncs and re-reads up to 64 MiB.
  absl::Duration write_stall_timeout = absl::Seconds(30);
  // Bytes of whole small chunks (up to max_cached_chunk_bytes each) kept in
  // memory so repeated reads skip the chunkservers (chunk_cache.h); each is
  // read whole and checked against its CRC32C before it is kept. 0: none.
  size_t chunk_cache_bytes = 0;
  size_t max_cached_chunk_bytes = 1 << 20;
  // Stat calls to the master at once. A Stat asked while that many are out
  // waits for one to return and then goes with every other one asked
  // meanwhile in one StatMany call (stat_batcher.h): never staler than its
  // own call, and far cheaper under concurrency. 0: every Stat is a call.
  int stat_calls_in_flight = 2;
};

// How Client::Create writes a file. The defaults: replace whatever is at
// the path, keep no old version, no quota.
struct CreateOptions {
  std::string content_type;
  // Stored with the file and returned by Stat (bounded by the master: with
  // the content type, at most 4 KiB).
  std::string cache_control;
  std::map<std::string, std::string> metadata;
  // Once the new file replaces the current one, that becomes an old version
  // and the newest `keep_versions` old versions of the path are kept.
  uint32_t keep_versions = 0;
  // Conditions checked by the master atomically with Close(): the path must
  // then hold no file (if_absent; else AlreadyExists), or its current file
  // must be generation `if_generation` (not 0; else FailedPrecondition). A
  // failed condition changes nothing and abandons the upload.
  bool if_absent = false;
  uint64_t if_generation = 0;
  // Usage of the path's namespace (its first segment) reserved from the
  // start, e.g. a declared size; bytes written beyond it are reserved as
  // chunks are sealed.
  uint64_t reserve_bytes = 0;
  // The namespace's quota: Create, or a later Append or Close, fails with
  // ResourceExhausted rather than let the namespace's files, old versions
  // and reservations of uploads in flight exceed it.
  std::optional<uint64_t> quota_bytes;
  // Which creation of the namespace the file is for (any number that grows
  // with each re-creation, e.g. the creation time). Once DeleteNamespace
  // covered it, Create or Close fails with FailedPrecondition: a namespace
  // deleted and created again starts empty. 0: only uploads begun before
  // the delete fail.
  uint64_t namespace_incarnation = 0;
  // Kept with the upload by the master for whoever resumes it (at most 16
  // KiB; see PendingUpload).
  std::string client_data;
  // A failure (or destroying the writer unfinished) leaves the upload
  // pending, to be resumed (Client::Resume), instead of abandoning it; the
  // master abandons it once idle for its upload timeout.
  bool resumable = false;
};

// An upload begun and not completed: what any process needs to continue it
// (Client::Resume).
struct PendingUpload {
  std::string upload_id;
  std::string path;
  // Bytes committed (durable and counted by the master): where a writer
  // that resumes it continues.
  uint64_t committed_bytes = 0;
  std::string client_data;  // CreateOptions::client_data
  // When the master abandons it unless it is written to again.
  absl::Time expires_at;
};

// Where Client::Checkpoint wrote the master's metadata.
struct MetadataCheckpoint {
  uint64_t files = 0;  // in the namespace
  std::string path;    // on the master's filesystem
};

// True for the error of a FileWriter::Close whose bytes did not hash to
// the SHA-256 it was given: the caller's bytes or digest were wrong. Any
// other DataLoss means replicas failed.
bool IsDigestMismatch(const absl::Status& status);

class ChannelPool;
class ChunkCache;
class MasterConnection;
class StallWatchdog;
class StatBatcher;

// Streams one new file into the cluster. Not thread-safe.
class FileWriter {
 public:
  // Aborts unless Close() succeeded (for a resumable upload: detaches).
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  // Appends bytes. After an error the writer is failed: the upload was
  // abandoned and every later call returns the same error.
  absl::Status Append(absl::string_view data);

  // Flushes, seals the last chunk and makes the file visible atomically,
  // replacing any earlier version. Returns the new file's metadata. When
  // `expected_sha256` (lowercase hex) is given and the content's SHA-256,
  // which the writer computes anyway, differs: DataLoss for which
  // IsDigestMismatch holds, and nothing becomes visible.
  absl::StatusOr<FileInfo> Close(absl::string_view expected_sha256 = {});

  // Gives the upload up; nothing becomes visible. Safe to call twice.
  void Abort();

  // Bytes every replica of the chain acknowledged (for progress reports).
  uint64_t acknowledged_bytes() const;
  // Bytes passed to Append so far (for a resumed upload, from its start).
  uint64_t appended_bytes() const;

  // Resumable uploads: the id any process can Resume the upload by.
  const std::string& upload_id() const;
  // Seals and commits the chunk being written, so that every byte appended
  // so far is durable and counted by the master: a writer that resumes the
  // upload continues from here. Returns that offset. Each checkpoint ends a
  // chunk early: checkpoint per request, not per write.
  absl::StatusOr<uint64_t> Checkpoint();
  // Ends this writer and leaves the upload pending; bytes since the last
  // Checkpoint are dropped.
  void Detach();

 private:
  friend class Client;
  class Impl;
  explicit FileWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Streams a byte range of one file version. Not thread-safe.
class FileReader {
 public:
  ~FileReader();
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  // Reads up to `n` bytes into `buf`; returns how many, 0 at the end of the
  // range. Fails over between replicas by itself; an error means no replica
  // could serve the next byte.
  absl::StatusOr<size_t> Read(char* buf, size_t n);

  // As Read, without the copy: returns up to `max` of the next bytes as a
  // view into the reader's own buffer, valid until the next call on this
  // reader; empty at the end of the range.
  absl::StatusOr<absl::string_view> Next(size_t max);

  // The file version being read (fixed when the reader was opened).
  const FileInfo& info() const;

 private:
  friend class Client;
  class Impl;
  explicit FileReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class Client {
 public:
  static absl::StatusOr<std::unique_ptr<Client>> Connect(
      const ClientOptions& options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Starts writing `path`; nothing is visible there until Close().
  absl::StatusOr<std::unique_ptr<FileWriter>> Create(
      const std::string& path, const CreateOptions& options = {});

  // The pending upload `upload_id`: NotFound once it completed, was
  // abandoned or expired.
  absl::StatusOr<PendingUpload> GetUpload(const std::string& upload_id);
  // Continues pending upload `upload_id` from its committed bytes, as its
  // writer: the writer before is refused from now on, and what it wrote
  // past its last checkpoint is dropped. `options` apply as for Create when
  // the file is closed (the admission, reservation and quota stay those of
  // Create). `options.client_data`, if not empty, replaces what the upload
  // keeps. Fills *upload, if given, with the upload as resumed.
  absl::StatusOr<std::unique_ptr<FileWriter>> Resume(
      const std::string& upload_id, const CreateOptions& options,
      PendingUpload* upload = nullptr);
  // Reads the committed bytes of pending upload `upload_id` (to concatenate
  // uploads, say), as a FileReader of a file of that size.
  absl::StatusOr<std::unique_ptr<FileReader>> OpenUpload(
      const std::string& upload_id);
  // Gives pending upload `upload_id` up; nothing becomes visible.
  absl::Status AbandonUpload(const std::string& upload_id);

  // Opens [offset, offset + length) of the current version of `path`,
  // clipped to the file. OutOfRange if offset is past the end.
  absl::StatusOr<std::unique_ptr<FileReader>> Open(
      const std::string& path, uint64_t offset = 0,
      uint64_t length = std::numeric_limits<uint64_t>::max());

  // As Open, for a version already stat'ed (saves a master round trip);
  // InvalidArgument for a FileInfo without its chunk list.
  absl::StatusOr<std::unique_ptr<FileReader>> OpenVersion(
      const FileInfo& info, uint64_t offset = 0,
      uint64_t length = std::numeric_limits<uint64_t>::max());

  // The current file at `path`, or its version `generation` (0: current).
  absl::StatusOr<FileInfo> Stat(const std::string& path,
                                uint64_t generation = 0);
  // Every version of the file at `path`, newest (the current one) first;
  // chunks left empty. NotFound if there is no file.
  absl::StatusOr<std::vector<FileInfo>> ListVersions(const std::string& path);
  // Files whose path starts with `prefix` ("/ns/" or "/ns/dir/part").
  absl::StatusOr<ListPage> List(const std::string& prefix,
                                const std::string& start_after = "",
                                uint32_t limit = 0);
  // Files and old versions under `prefix`: for a whole namespace ("/ns/")
  // the master's counters (one read), for any other prefix a count.
  absl::StatusOr<StorageUsage> Usage(const std::string& prefix);
  // Deletes the file at `path` with its old versions. With `if_generation`
  // not 0, only if the current file is that generation (FailedPrecondition
  // otherwise), so a file examined earlier is never confused with a newer
  // upload to the same path.
  absl::Status Delete(const std::string& path, uint64_t if_generation = 0);
  // A copy of `source` (its version `source_generation`, 0: the current
  // one) as the current file at `destination`. It shares the source's
  // chunks: a metadata write, whatever the size. `options` as for Create
  // (replacing, conditions, quota, incarnation; content_type and
  // reserve_bytes are not used).
  absl::StatusOr<FileInfo> Copy(const std::string& source,
                                uint64_t source_generation,
                                const std::string& destination,
                                const CreateOptions& options = {});
  // Renames `source` with its old versions to `destination` atomically. A
  // file there is AlreadyExists unless `overwrite`. From `options`: the
  // destination's quota and namespace incarnation.
  absl::StatusOr<FileInfo> Move(const std::string& source,
                                const std::string& destination, bool overwrite,
                                const CreateOptions& options = {});
  // Deletes every file of namespace `ns` ("/ns/...") with its old versions
  // and abandons its uploads in flight, as one operation (see
  // CreateOptions::namespace_incarnation); returns how many files went.
  absl::StatusOr<uint64_t> DeleteNamespace(const std::string& ns,
                                           uint64_t incarnation);
  absl::StatusOr<ClusterStatus> Status();
  absl::StatusOr<FsckReport> Fsck();
  // Has the master write an online copy of its metadata database to
  // `name` under its --backup_dir (not existing yet; an admin-role call).
  // Restore: start sfs-master with --data at the returned path.
  absl::StatusOr<MetadataCheckpoint> Checkpoint(const std::string& name);

 private:
  Client(const ClientOptions& options, std::unique_ptr<MasterConnection> master,
         std::unique_ptr<ChannelPool> channels);

  const ClientOptions options_;
  std::unique_ptr<MasterConnection> master_;
  std::unique_ptr<ChannelPool> channels_;
  std::unique_ptr<StallWatchdog> watchdog_;        // readers
  std::unique_ptr<StallWatchdog> write_watchdog_;  // write pipelines
  std::unique_ptr<ChunkCache> chunk_cache_;        // null: none
  std::unique_ptr<StatBatcher> stat_batcher_;      // null: none
};

}  // namespace sfs

#endif  // SFS_CLIENT_LIB_CLIENT_H_
