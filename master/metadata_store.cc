#include "master/metadata_store.h"

#include <openssl/rand.h>
#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"

namespace sfs {
namespace {

constexpr char kNextHandleKey[] = "m:next_handle";
// Present once the usage counters have been built (databases written before
// they existed get them at the first open).
constexpr char kUsageCountersKey[] = "m:usage_counters";

std::string FileKey(const std::string& path) { return "f" + path; }
std::string UploadKey(const std::string& id) { return "u" + id; }
std::string UsageKey(absl::string_view ns) { return absl::StrCat("n", ns); }
std::string TombstoneKey(absl::string_view ns) { return absl::StrCat("d", ns); }
// The stripe that serializes quota checks of namespace `ns`.
std::string QuotaLockKey(absl::string_view ns) {
  return absl::StrCat("quota:", ns);
}

// The stripes a change to `keys` in namespace `ns` takes: with a `quota`,
// also the namespace's quota stripe, so that a quota check and the
// reservation it allows are one step. Without a quota there is nothing to
// check, and usage changes are merges that commute: concurrent creates in
// one namespace then run side by side and share WAL syncs, instead of
// waiting for each other's.
std::vector<std::string> LockKeys(std::vector<std::string> keys,
                                  absl::string_view ns, bool quota) {
  if (quota) keys.push_back(QuotaLockKey(ns));
  return keys;
}

// The namespace of `path`: its first segment ("/photos/a/b" is in
// "photos"); files directly under "/" are in "".
std::string NamespaceOfPath(absl::string_view path) {
  size_t end = path.find('/', 1);
  return end == absl::string_view::npos ? ""
                                        : std::string(path.substr(1, end - 1));
}

// The namespace whose whole content `prefix` ("/photos/") names, if it
// names one.
std::optional<std::string> NamespaceOfPrefix(absl::string_view prefix) {
  if (prefix.size() < 3 || prefix.front() != '/' || prefix.back() != '/') {
    return std::nullopt;
  }
  absl::string_view ns = prefix.substr(1, prefix.size() - 2);
  if (absl::StrContains(ns, '/')) return std::nullopt;
  return std::string(ns);
}

void AddUsage(const proto::UsageRecord& delta, proto::UsageRecord* sum) {
  sum->set_files(sum->files() + delta.files());
  sum->set_bytes(sum->bytes() + delta.bytes());
  sum->set_old_versions(sum->old_versions() + delta.old_versions());
  sum->set_old_version_bytes(sum->old_version_bytes() +
                             delta.old_version_bytes());
  sum->set_reserved_bytes(sum->reserved_bytes() + delta.reserved_bytes());
}

// Adds up UsageRecord deltas, so a batch changes a namespace's counters
// without reading them (and without a lock shared by its writers).
class UsageAddOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger*) const override {
    proto::UsageRecord sum, delta;
    if (existing != nullptr &&
        !sum.ParseFromArray(existing->data(), existing->size())) {
      return false;
    }
    if (!delta.ParseFromArray(value.data(), value.size())) return false;
    AddUsage(delta, &sum);
    *new_value = sum.SerializeAsString();
    return true;
  }
  const char* Name() const override { return "sfs.UsageAdd"; }
};

void MergeUsage(const std::string& path, const proto::UsageRecord& delta,
                rocksdb::WriteBatch* batch) {
  batch->Merge(UsageKey(NamespaceOfPath(path)), delta.SerializeAsString());
}

std::string ChunkLockKey(uint64_t handle) { return absl::StrCat(handle); }

// Big-endian, so that keys sort by number.
void AppendBigEndian(uint64_t value, std::string* key) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    key->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

std::string ChunkKey(uint64_t handle) {
  std::string key = "c";
  AppendBigEndian(handle, &key);
  return key;
}

// Old versions of a path sort together, oldest first. Paths hold no NUL, so
// the prefix of one path's versions is never a prefix of another's.
std::string VersionPrefix(const std::string& path) {
  return absl::StrCat("v", path, absl::string_view("\0", 1));
}
std::string VersionKey(const std::string& path, uint64_t generation) {
  std::string key = VersionPrefix(path);
  AppendBigEndian(generation, &key);
  return key;
}

absl::Status FromRocks(const rocksdb::Status& s) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsNotFound()) return absl::NotFoundError(s.ToString());
  if (s.IsNoSpace()) return absl::ResourceExhaustedError(s.ToString());
  return absl::InternalError(absl::StrCat("metadata store: ", s.ToString()));
}

rocksdb::WriteOptions SyncedWrite() {
  rocksdb::WriteOptions options;
  options.sync = true;
  return options;
}

std::string RandomId() {
  unsigned char bytes[16];
  RAND_bytes(bytes, sizeof(bytes));
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

std::string EncodeCounter(uint64_t value) { return absl::StrCat(value); }

}  // namespace

// One atomic change of files: the writes, what each namespace's usage gains
// or loses, and how many more or fewer file records reference each chunk.
// MetadataStore::Apply writes it as one synced batch.
class MetadataStore::FileChange {
 public:
  rocksdb::WriteBatch& batch() { return batch_; }

  // `file` becomes the current file at its path. `new_references`: its
  // chunks gain a reference (a copy); else they bring theirs along (a
  // completed upload's, a moved file's).
  void PutCurrent(const proto::FileRecord& file, bool new_references) {
    batch_.Put(FileKey(file.path()), file.SerializeAsString());
    proto::UsageRecord& usage = usage_[NamespaceOfPath(file.path())];
    usage.set_files(usage.files() + 1);
    usage.set_bytes(usage.bytes() + file.size());
    if (new_references) Reference(file, +1);
    ++files_;
  }
  // Removes the current file at `file`'s path; `drop_references`: its
  // chunks lose the reference (else it moves along with the record).
  void DeleteCurrent(const proto::FileRecord& file, bool drop_references) {
    batch_.Delete(FileKey(file.path()));
    proto::UsageRecord& usage = usage_[NamespaceOfPath(file.path())];
    usage.set_files(usage.files() - 1);
    usage.set_bytes(usage.bytes() - file.size());
    if (drop_references) Reference(file, -1);
    --files_;
  }
  void PutVersion(const proto::FileRecord& version, bool new_references) {
    batch_.Put(VersionKey(version.path(), version.generation()),
               version.SerializeAsString());
    proto::UsageRecord& usage = usage_[NamespaceOfPath(version.path())];
    usage.set_old_versions(usage.old_versions() + 1);
    usage.set_old_version_bytes(usage.old_version_bytes() + version.size());
    if (new_references) Reference(version, +1);
  }
  void DeleteVersion(const proto::FileRecord& version, bool drop_references) {
    batch_.Delete(VersionKey(version.path(), version.generation()));
    proto::UsageRecord& usage = usage_[NamespaceOfPath(version.path())];
    usage.set_old_versions(usage.old_versions() - 1);
    usage.set_old_version_bytes(usage.old_version_bytes() - version.size());
    if (drop_references) Reference(version, -1);
  }
  // Other changes of a namespace's usage (reservations).
  void ChangeUsage(const std::string& ns, const proto::UsageRecord& delta) {
    AddUsage(delta, &usage_[ns]);
  }

 private:
  friend class MetadataStore;
  void Reference(const proto::FileRecord& file, int delta) {
    for (uint64_t handle : file.chunks()) references_[handle] += delta;
  }

  rocksdb::WriteBatch batch_;
  std::map<std::string, proto::UsageRecord> usage_;
  std::map<uint64_t, int64_t> references_;
  int64_t files_ = 0;
};

uint64_t FileGeneration(const proto::FileRecord& file) {
  return file.generation() != 0
             ? file.generation()
             : static_cast<uint64_t>(file.modified_unix_micros());
}

MetadataStore::MetadataStore(std::unique_ptr<rocksdb::DB> db,
                             WriteObserver on_write)
    : db_(std::move(db)), on_write_(std::move(on_write)) {}
MetadataStore::~MetadataStore() = default;

absl::StatusOr<std::unique_ptr<MetadataStore>> MetadataStore::Open(
    const std::string& dir, WriteObserver on_write) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  options.merge_operator = std::make_shared<UsageAddOperator>();
  rocksdb::DB* raw = nullptr;
  RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(options, dir, &raw)));
  std::unique_ptr<MetadataStore> store(new MetadataStore(
      std::unique_ptr<rocksdb::DB>(raw), std::move(on_write)));
  RETURN_IF_ERROR(store->LoadCounters());
  RETURN_IF_ERROR(store->BuildUsageCounters());
  return store;
}

absl::Status MetadataStore::WriteSynced(rocksdb::WriteBatch* batch) {
  const absl::Time start = absl::Now();
  absl::Status status = FromRocks(db_->Write(SyncedWrite(), batch));
  if (on_write_) on_write_(absl::Now() - start);
  return status;
}

absl::Status MetadataStore::PutSynced(const std::string& key,
                                      const std::string& value) {
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(FromRocks(batch.Put(key, value)));
  return WriteSynced(&batch);
}

absl::Status MetadataStore::LoadCounters() {
  absl::MutexLock lock(&handle_mu_);
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), kNextHandleKey, &value);
  if (s.ok()) {
    if (!absl::SimpleAtoi(value, &next_handle_)) {
      return absl::DataLossError("metadata store: corrupt handle counter");
    }
  } else if (!s.IsNotFound()) {
    return FromRocks(s);
  }
  reserved_end_ = next_handle_;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("c"); it->Valid() && it->key().starts_with("c"); it->Next())
    ++chunk_count_;
  for (it->Seek("f"); it->Valid() && it->key().starts_with("f"); it->Next())
    ++file_count_;
  return FromRocks(it->status());
}

namespace {

template <typename Record>
absl::StatusOr<Record> GetRecord(rocksdb::DB* db, const std::string& key,
                                 absl::string_view what) {
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), key, &value);
  if (s.IsNotFound())
    return absl::NotFoundError(absl::StrCat(what, " not found"));
  RETURN_IF_ERROR(FromRocks(s));
  Record record;
  if (!record.ParseFromString(value)) {
    return absl::DataLossError(absl::StrCat("metadata store: corrupt ", what));
  }
  return record;
}

// The record at `key`, or an empty one if there is none.
template <typename Record>
absl::StatusOr<Record> GetRecordOrEmpty(rocksdb::DB* db, const std::string& key,
                                        absl::string_view what) {
  absl::StatusOr<Record> record = GetRecord<Record>(db, key, what);
  if (absl::IsNotFound(record.status())) return Record();
  return record;
}

}  // namespace

absl::StatusOr<proto::FileRecord> MetadataStore::GetFile(
    const std::string& path) {
  return GetRecord<proto::FileRecord>(db_.get(), FileKey(path),
                                      absl::StrCat("file ", path));
}

absl::StatusOr<proto::ChunkRecord> MetadataStore::GetChunk(uint64_t handle) {
  return GetRecord<proto::ChunkRecord>(db_.get(), ChunkKey(handle),
                                       absl::StrCat("chunk ", handle));
}

absl::StatusOr<proto::PendingUploadRecord> MetadataStore::GetUpload(
    const std::string& upload_id) {
  return GetRecord<proto::PendingUploadRecord>(
      db_.get(), UploadKey(upload_id), absl::StrCat("upload ", upload_id));
}

absl::StatusOr<proto::PendingUploadRecord> MetadataStore::CreateUpload(
    const std::string& path, int64_t now_micros,
    const UploadAdmission& admission, const std::string& client_data,
    bool first_chunk) {
  proto::PendingUploadRecord upload;
  upload.set_upload_id(RandomId());
  upload.set_path(path);
  upload.set_client_data(client_data);
  upload.set_created_unix_micros(now_micros);
  upload.set_last_activity_unix_micros(now_micros);
  upload.set_reserved_bytes(admission.reserve_bytes);
  if (admission.quota_bytes.has_value()) {
    upload.set_quota_bytes(*admission.quota_bytes);
  }
  upload.set_namespace_incarnation(admission.namespace_incarnation);
  const std::string ns = NamespaceOfPath(path);
  StripedLock::Guard lock(&key_locks_,
                          LockKeys({}, ns, admission.quota_bytes.has_value()));
  absl::ReaderMutexLock tombstone_lock(&tombstone_mu_);
  RETURN_IF_ERROR(CheckAdmission(ns, admission.namespace_incarnation));
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(
      Reserve(ns, admission.quota_bytes, admission.reserve_bytes, &batch));
  if (first_chunk) RETURN_IF_ERROR(AddChunk(upload, &batch).status());
  batch.Put(UploadKey(upload.upload_id()), upload.SerializeAsString());
  RETURN_IF_ERROR(WriteSynced(&batch));
  if (first_chunk) ++chunk_count_;
  return upload;
}

absl::StatusOr<uint64_t> MetadataStore::NextHandle() {
  constexpr uint64_t kHandleBlock = 1024;
  absl::MutexLock lock(&handle_mu_);
  if (next_handle_ == reserved_end_) {
    RETURN_IF_ERROR(
        PutSynced(kNextHandleKey, EncodeCounter(reserved_end_ + kHandleBlock)));
    reserved_end_ += kHandleBlock;
  }
  return next_handle_++;
}

namespace {

absl::Status CheckWriter(const proto::PendingUploadRecord& upload,
                         uint64_t writer_epoch) {
  if (upload.writer_epoch() == writer_epoch) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "upload ", upload.upload_id(), " was taken over by another writer"));
}

}  // namespace

absl::StatusOr<proto::ChunkRecord> MetadataStore::AllocateChunk(
    const std::string& upload_id, uint64_t writer_epoch, int64_t now_micros) {
  StripedLock::Guard lock(&key_locks_, {upload_id});
  ASSIGN_OR_RETURN(proto::PendingUploadRecord upload, GetUpload(upload_id));
  RETURN_IF_ERROR(CheckWriter(upload, writer_epoch));
  upload.set_last_activity_unix_micros(now_micros);
  rocksdb::WriteBatch batch;
  ASSIGN_OR_RETURN(proto::ChunkRecord chunk, AddChunk(upload, &batch));
  batch.Put(UploadKey(upload_id), upload.SerializeAsString());
  RETURN_IF_ERROR(WriteSynced(&batch));
  ++chunk_count_;
  return chunk;
}

absl::StatusOr<proto::ChunkRecord> MetadataStore::AddChunk(
    proto::PendingUploadRecord& upload, rocksdb::WriteBatch* batch) {
  ASSIGN_OR_RETURN(uint64_t handle, NextHandle());
  proto::ChunkRecord chunk;
  chunk.set_handle(handle);
  chunk.set_version(1);
  upload.add_chunks(chunk.handle());
  batch->Put(ChunkKey(chunk.handle()), chunk.SerializeAsString());
  return chunk;
}

absl::Status MetadataStore::CommitChunk(const std::string& upload_id,
                                        uint64_t handle, uint64_t length,
                                        uint32_t crc32c, uint64_t writer_epoch,
                                        const std::string& client_state,
                                        int64_t now_micros) {
  ASSIGN_OR_RETURN(proto::PendingUploadRecord unlocked, GetUpload(upload_id));
  const std::string ns = NamespaceOfPath(unlocked.path());
  StripedLock::Guard lock(
      &key_locks_, LockKeys({upload_id}, ns, unlocked.has_quota_bytes()));
  ASSIGN_OR_RETURN(proto::PendingUploadRecord upload, GetUpload(upload_id));
  RETURN_IF_ERROR(CheckWriter(upload, writer_epoch));
  if (std::find(upload.chunks().begin(), upload.chunks().end(), handle) ==
      upload.chunks().end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "chunk ", handle, " does not belong to upload ", upload_id));
  }
  ASSIGN_OR_RETURN(proto::ChunkRecord chunk, GetChunk(handle));
  if (chunk.committed() &&
      (chunk.length() != length || chunk.crc32c() != crc32c)) {
    return absl::FailedPreconditionError(
        absl::StrCat("chunk ", handle, " was already committed differently"));
  }
  rocksdb::WriteBatch batch;
  if (!chunk.committed()) {
    // Committed bytes are always reserved: beyond the reservation, this
    // commit reserves the difference, within the upload's quota.
    upload.set_committed_bytes(upload.committed_bytes() + length);
    if (upload.committed_bytes() > upload.reserved_bytes()) {
      std::optional<uint64_t> quota;
      if (upload.has_quota_bytes()) quota = upload.quota_bytes();
      RETURN_IF_ERROR(
          Reserve(ns, quota, upload.committed_bytes() - upload.reserved_bytes(),
                  &batch));
      upload.set_reserved_bytes(upload.committed_bytes());
    }
  }
  chunk.set_length(length);
  chunk.set_crc32c(crc32c);
  chunk.set_committed(true);
  upload.set_last_activity_unix_micros(now_micros);
  if (!client_state.empty()) upload.set_client_state(client_state);
  batch.Put(ChunkKey(handle), chunk.SerializeAsString());
  batch.Put(UploadKey(upload_id), upload.SerializeAsString());
  return WriteSynced(&batch);
}

absl::StatusOr<proto::PendingUploadRecord> MetadataStore::TakeOverUpload(
    const std::string& upload_id, int64_t now_micros,
    const std::optional<std::string>& client_data,
    std::vector<uint64_t>* released) {
  StripedLock::Guard lock(&key_locks_, {upload_id});
  ASSIGN_OR_RETURN(proto::PendingUploadRecord upload, GetUpload(upload_id));
  rocksdb::WriteBatch batch;
  std::vector<uint64_t> kept;
  std::vector<uint64_t> dropped;
  for (uint64_t handle : upload.chunks()) {
    ASSIGN_OR_RETURN(proto::ChunkRecord chunk, GetChunk(handle));
    // Chunks are committed in order: the committed ones are a prefix.
    (chunk.committed() ? kept : dropped).push_back(handle);
  }
  for (uint64_t handle : dropped) batch.Delete(ChunkKey(handle));
  upload.mutable_chunks()->Assign(kept.begin(), kept.end());
  upload.set_writer_epoch(upload.writer_epoch() + 1);
  upload.set_last_activity_unix_micros(now_micros);
  if (client_data.has_value()) upload.set_client_data(*client_data);
  batch.Put(UploadKey(upload_id), upload.SerializeAsString());
  RETURN_IF_ERROR(WriteSynced(&batch));
  released->insert(released->end(), dropped.begin(), dropped.end());
  chunk_count_ -= dropped.size();
  return upload;
}

absl::StatusOr<proto::FileRecord> MetadataStore::CompleteUpload(
    const std::string& upload_id, uint64_t size, const std::string& sha256,
    const FileAttributes& attributes, int64_t now_micros,
    uint32_t keep_versions, const CompletionCondition& condition,
    std::vector<uint64_t>* released) {
  // The upload names the path; both are locked before the upload is read
  // again, since another writer may complete or abandon it meanwhile.
  ASSIGN_OR_RETURN(proto::PendingUploadRecord unlocked, GetUpload(upload_id));
  StripedLock::Guard lock(&key_locks_, {upload_id, unlocked.path()});
  absl::ReaderMutexLock tombstone_lock(&tombstone_mu_);
  ASSIGN_OR_RETURN(proto::PendingUploadRecord upload, GetUpload(upload_id));
  ASSIGN_OR_RETURN(proto::NamespaceTombstone tombstone,
                   Tombstone(NamespaceOfPath(upload.path())));
  const bool deleted =
      upload.namespace_incarnation() != 0
          ? upload.namespace_incarnation() <= tombstone.incarnation()
          : upload.created_unix_micros() <= tombstone.deleted_unix_micros();
  if (deleted) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the namespace of ", upload.path(), " was deleted during the upload"));
  }
  uint64_t committed_bytes = 0;
  for (uint64_t handle : upload.chunks()) {
    ASSIGN_OR_RETURN(proto::ChunkRecord chunk, GetChunk(handle));
    if (!chunk.committed()) {
      return absl::FailedPreconditionError(
          absl::StrCat("chunk ", handle, " of the upload is not committed"));
    }
    committed_bytes += chunk.length();
  }
  if (committed_bytes != size) {
    return absl::FailedPreconditionError(absl::StrCat(
        "upload size ", size, " does not match its committed chunks (",
        committed_bytes, " bytes)"));
  }

  proto::FileRecord file;
  file.set_path(upload.path());
  file.set_size(size);
  file.set_sha256(sha256);
  file.set_content_type(attributes.content_type);
  file.set_cache_control(attributes.cache_control);
  file.mutable_metadata()->insert(attributes.metadata.begin(),
                                  attributes.metadata.end());
  file.set_created_unix_micros(now_micros);
  file.set_modified_unix_micros(now_micros);
  file.set_generation(now_micros);
  *file.mutable_chunks() = upload.chunks();

  FileChange change;
  // The upload's reservation becomes the file's bytes (committed bytes are
  // reserved, so the namespace's usage never grows here).
  proto::UsageRecord reservation;
  reservation.set_reserved_bytes(
      -static_cast<int64_t>(upload.reserved_bytes()));
  change.ChangeUsage(NamespaceOfPath(upload.path()), reservation);
  // The upload's chunks carry their references over to the file.
  RETURN_IF_ERROR(Install(file, keep_versions, condition,
                          /*new_references=*/false, change));
  change.batch().Delete(UploadKey(upload_id));
  RETURN_IF_ERROR(Apply(change, released));
  return file;
}

absl::Status MetadataStore::Install(proto::FileRecord& file,
                                    uint32_t keep_versions,
                                    const CompletionCondition& condition,
                                    bool new_references, FileChange& change) {
  absl::StatusOr<proto::FileRecord> previous = GetFile(file.path());
  const bool replaces = previous.ok();
  if (!replaces && !absl::IsNotFound(previous.status())) {
    return previous.status();
  }
  if (condition.if_absent && replaces) {
    return absl::AlreadyExistsError(
        absl::StrCat("file ", file.path(), " exists"));
  }
  if (condition.if_generation != 0 &&
      (!replaces || FileGeneration(*previous) != condition.if_generation)) {
    return absl::FailedPreconditionError(
        absl::StrCat("file ", file.path(), " is no longer generation ",
                     condition.if_generation));
  }
  if (replaces) {
    file.set_created_unix_micros(previous->created_unix_micros());
    // Generations of one path only grow, even if the clock steps back.
    file.set_generation(
        std::max<uint64_t>(file.generation(), FileGeneration(*previous) + 1));
    ASSIGN_OR_RETURN(std::vector<proto::FileRecord> versions,
                     OldVersions(file.path()));
    if (keep_versions > 0) {
      previous->set_generation(FileGeneration(*previous));
      change.DeleteCurrent(*previous, /*drop_references=*/false);
      change.PutVersion(*previous, /*new_references=*/false);
      versions.push_back(*previous);
    } else {
      change.DeleteCurrent(*previous, /*drop_references=*/true);
    }
    // Oldest first: keep the newest `keep_versions`.
    for (size_t i = 0; i + keep_versions < versions.size(); ++i) {
      change.DeleteVersion(versions[i], /*drop_references=*/true);
    }
  }
  change.PutCurrent(file, new_references);
  return absl::OkStatus();
}

absl::Status MetadataStore::Apply(FileChange& change,
                                  std::vector<uint64_t>* released) {
  std::vector<std::string> chunk_keys;
  for (const auto& [handle, delta] : change.references_) {
    if (delta != 0) chunk_keys.push_back(ChunkLockKey(handle));
  }
  // Chunks shared by copies change under their own locks, always taken
  // after the path locks the caller holds.
  StripedLock::Guard chunk_lock(&chunk_locks_, chunk_keys);
  rocksdb::WriteBatch& batch = change.batch_;
  std::vector<uint64_t> dropped;
  for (const auto& [handle, delta] : change.references_) {
    if (delta == 0) continue;
    ASSIGN_OR_RETURN(proto::ChunkRecord chunk, GetChunk(handle));
    const int64_t references = 1 + chunk.extra_references() + delta;
    if (references <= 0) {
      // No file refers to it any more: its replicas are garbage.
      batch.Delete(ChunkKey(handle));
      dropped.push_back(handle);
    } else {
      chunk.set_extra_references(references - 1);
      batch.Put(ChunkKey(handle), chunk.SerializeAsString());
    }
  }
  for (const auto& [ns, usage] : change.usage_) {
    batch.Merge(UsageKey(ns), usage.SerializeAsString());
  }
  RETURN_IF_ERROR(WriteSynced(&batch));
  file_count_ += change.files_;
  chunk_count_ -= dropped.size();
  released->insert(released->end(), dropped.begin(), dropped.end());
  return absl::OkStatus();
}

absl::StatusOr<proto::FileRecord> MetadataStore::Copy(
    const std::string& source, uint64_t source_generation,
    const std::string& destination, int64_t now_micros, uint32_t keep_versions,
    const CompletionCondition& condition, const UploadAdmission& admission,
    std::vector<uint64_t>* released) {
  const std::string ns = NamespaceOfPath(destination);
  StripedLock::Guard lock(
      &key_locks_,
      LockKeys({source, destination}, ns, admission.quota_bytes.has_value()));
  absl::ReaderMutexLock tombstone_lock(&tombstone_mu_);
  RETURN_IF_ERROR(CheckAdmission(ns, admission.namespace_incarnation));
  ASSIGN_OR_RETURN(proto::FileRecord file,
                   GetVersion(source, source_generation));
  RETURN_IF_ERROR(CheckQuota(ns, admission.quota_bytes, file.size()));
  file.set_path(destination);
  file.set_created_unix_micros(now_micros);
  file.set_modified_unix_micros(now_micros);
  file.set_generation(now_micros);
  FileChange change;
  // Sealed chunks never change: the copy shares them.
  RETURN_IF_ERROR(Install(file, keep_versions, condition,
                          /*new_references=*/true, change));
  RETURN_IF_ERROR(Apply(change, released));
  return file;
}

absl::StatusOr<proto::FileRecord> MetadataStore::Move(
    const std::string& source, const std::string& destination,
    int64_t now_micros, bool overwrite, const UploadAdmission& admission,
    std::vector<uint64_t>* released) {
  if (source == destination) {
    return absl::InvalidArgumentError("a file cannot be moved onto itself");
  }
  const std::string ns = NamespaceOfPath(destination);
  StripedLock::Guard lock(
      &key_locks_,
      LockKeys({source, destination}, ns, admission.quota_bytes.has_value()));
  absl::ReaderMutexLock tombstone_lock(&tombstone_mu_);
  RETURN_IF_ERROR(CheckAdmission(ns, admission.namespace_incarnation));
  ASSIGN_OR_RETURN(proto::FileRecord file, GetFile(source));
  ASSIGN_OR_RETURN(std::vector<proto::FileRecord> versions,
                   OldVersions(source));
  if (NamespaceOfPath(source) != ns) {
    uint64_t bytes = file.size();
    for (const proto::FileRecord& version : versions) bytes += version.size();
    RETURN_IF_ERROR(CheckQuota(ns, admission.quota_bytes, bytes));
  }
  FileChange change;
  // The destination's file and its history make way, when allowed.
  uint64_t replaced_generation = 0;
  absl::StatusOr<proto::FileRecord> existing = GetFile(destination);
  if (existing.ok()) {
    if (!overwrite) {
      return absl::AlreadyExistsError(
          absl::StrCat("file ", destination, " exists"));
    }
    replaced_generation = FileGeneration(*existing);
    change.DeleteCurrent(*existing, /*drop_references=*/true);
    ASSIGN_OR_RETURN(std::vector<proto::FileRecord> replaced,
                     OldVersions(destination));
    for (const proto::FileRecord& version : replaced) {
      change.DeleteVersion(version, /*drop_references=*/true);
    }
  } else if (!absl::IsNotFound(existing.status())) {
    return existing.status();
  }
  // The records move with their chunk references.
  change.DeleteCurrent(file, /*drop_references=*/false);
  for (proto::FileRecord& version : versions) {
    change.DeleteVersion(version, /*drop_references=*/false);
    version.set_path(destination);
    change.PutVersion(version, /*new_references=*/false);
  }
  file.set_path(destination);
  file.set_created_unix_micros(now_micros);
  // Above every generation the destination had, as for an upload.
  file.set_generation(
      std::max<uint64_t>({static_cast<uint64_t>(now_micros),
                          FileGeneration(file), replaced_generation + 1}));
  change.PutCurrent(file, /*new_references=*/false);
  RETURN_IF_ERROR(Apply(change, released));
  return file;
}

absl::Status MetadataStore::AbandonUpload(const std::string& upload_id,
                                          std::vector<uint64_t>* released) {
  StripedLock::Guard lock(&key_locks_, {upload_id});
  ASSIGN_OR_RETURN(proto::PendingUploadRecord upload, GetUpload(upload_id));
  rocksdb::WriteBatch batch;
  for (uint64_t handle : upload.chunks()) batch.Delete(ChunkKey(handle));
  batch.Delete(UploadKey(upload_id));
  proto::UsageRecord usage;
  usage.set_reserved_bytes(-static_cast<int64_t>(upload.reserved_bytes()));
  MergeUsage(upload.path(), usage, &batch);
  RETURN_IF_ERROR(WriteSynced(&batch));
  released->insert(released->end(), upload.chunks().begin(),
                   upload.chunks().end());
  chunk_count_ -= upload.chunks_size();
  return absl::OkStatus();
}

absl::Status MetadataStore::DeleteFile(const std::string& path,
                                       uint64_t if_generation,
                                       std::vector<uint64_t>* released) {
  StripedLock::Guard lock(&key_locks_, {path});
  ASSIGN_OR_RETURN(proto::FileRecord file, GetFile(path));
  if (if_generation != 0 && FileGeneration(file) != if_generation) {
    return absl::FailedPreconditionError(
        absl::StrCat("file ", path, " is generation ", FileGeneration(file),
                     ", not ", if_generation));
  }
  ASSIGN_OR_RETURN(std::vector<proto::FileRecord> versions, OldVersions(path));
  FileChange change;
  change.DeleteCurrent(file, /*drop_references=*/true);
  for (const proto::FileRecord& version : versions) {
    change.DeleteVersion(version, /*drop_references=*/true);
  }
  return Apply(change, released);
}

absl::StatusOr<NamespaceDeletion> MetadataStore::DeleteNamespace(
    const std::string& ns, uint64_t incarnation, int64_t now_micros,
    std::vector<uint64_t>* released) {
  {
    StripedLock::Guard lock(&key_locks_, {QuotaLockKey(ns)});
    absl::WriterMutexLock tombstone_lock(&tombstone_mu_);
    ASSIGN_OR_RETURN(proto::NamespaceTombstone tombstone, Tombstone(ns));
    tombstone.set_incarnation(std::max(tombstone.incarnation(), incarnation));
    tombstone.set_deleted_unix_micros(
        std::max(tombstone.deleted_unix_micros(), now_micros));
    RETURN_IF_ERROR(PutSynced(TombstoneKey(ns), tombstone.SerializeAsString()));
  }
  // Nothing new completes here now; what completed before is listed below.
  NamespaceDeletion deleted;
  const std::string prefix = absl::StrCat("/", ns, "/");
  std::string after;
  do {
    std::vector<proto::FileRecord> files;
    RETURN_IF_ERROR(ListFiles(prefix, after, 1000, &files, &after));
    for (const proto::FileRecord& file : files) {
      absl::Status status = DeleteFile(file.path(), 0, released);
      if (status.ok()) ++deleted.files;
      if (!status.ok() && !absl::IsNotFound(status)) return status;
    }
  } while (!after.empty());
  std::vector<std::string> uploads;
  RETURN_IF_ERROR(ForEachUpload([&](const proto::PendingUploadRecord& upload) {
    if (NamespaceOfPath(upload.path()) == ns) {
      uploads.push_back(upload.upload_id());
    }
  }));
  for (const std::string& id : uploads) {
    absl::Status status = AbandonUpload(id, released);
    if (status.ok()) ++deleted.uploads;
    if (!status.ok() && !absl::IsNotFound(status)) return status;
  }
  return deleted;
}

absl::StatusOr<std::vector<proto::FileRecord>> MetadataStore::OldVersions(
    const std::string& path) {
  const std::string prefix = VersionPrefix(path);
  std::vector<proto::FileRecord> versions;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    proto::FileRecord version;
    if (!version.ParseFromArray(it->value().data(), it->value().size())) {
      return absl::DataLossError("metadata store: corrupt version record");
    }
    versions.push_back(std::move(version));
  }
  RETURN_IF_ERROR(FromRocks(it->status()));
  return versions;
}

absl::StatusOr<std::vector<proto::FileRecord>> MetadataStore::ListVersions(
    const std::string& path) {
  ASSIGN_OR_RETURN(proto::FileRecord current, GetFile(path));
  ASSIGN_OR_RETURN(std::vector<proto::FileRecord> versions, OldVersions(path));
  versions.push_back(std::move(current));
  std::reverse(versions.begin(), versions.end());
  return versions;
}

absl::StatusOr<proto::FileRecord> MetadataStore::GetVersion(
    const std::string& path, uint64_t generation) {
  ASSIGN_OR_RETURN(proto::FileRecord current, GetFile(path));
  if (generation == 0 || FileGeneration(current) == generation) return current;
  return GetRecord<proto::FileRecord>(
      db_.get(), VersionKey(path, generation),
      absl::StrCat("version ", generation, " of ", path));
}

absl::Status MetadataStore::ListFiles(const std::string& prefix,
                                      const std::string& start_after,
                                      size_t limit,
                                      std::vector<proto::FileRecord>* files,
                                      std::string* next) {
  std::string key_prefix = FileKey(prefix);
  std::string start = key_prefix;
  if (!start_after.empty() && FileKey(start_after) >= start) {
    start = FileKey(start_after);
    start.push_back('\0');
  }
  // Only now: `start_after` may alias `*next`.
  files->clear();
  next->clear();
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(start); it->Valid() && it->key().starts_with(key_prefix);
       it->Next()) {
    if (files->size() == limit) {
      *next = files->back().path();
      break;
    }
    proto::FileRecord file;
    if (!file.ParseFromArray(it->value().data(), it->value().size())) {
      return absl::DataLossError("metadata store: corrupt file record");
    }
    files->push_back(std::move(file));
  }
  return FromRocks(it->status());
}

namespace {

template <typename Record>
absl::Status ForEachRecord(rocksdb::DB* db, absl::string_view key_prefix,
                           const std::function<void(const Record&)>& fn) {
  rocksdb::ReadOptions options;
  const rocksdb::Snapshot* snapshot = db->GetSnapshot();
  options.snapshot = snapshot;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(options));
  absl::Status status;
  for (it->Seek(rocksdb::Slice(key_prefix.data(), key_prefix.size()));
       it->Valid() && it->key().starts_with(
                          rocksdb::Slice(key_prefix.data(), key_prefix.size()));
       it->Next()) {
    Record record;
    if (!record.ParseFromArray(it->value().data(), it->value().size())) {
      status = absl::DataLossError("metadata store: corrupt record");
      break;
    }
    fn(record);
  }
  if (status.ok()) status = FromRocks(it->status());
  it.reset();
  db->ReleaseSnapshot(snapshot);
  return status;
}

}  // namespace

absl::Status MetadataStore::ForEachFile(
    const std::function<void(const proto::FileRecord&)>& fn) {
  return ForEachRecord<proto::FileRecord>(db_.get(), "f", fn);
}

absl::StatusOr<proto::UsageResponse> MetadataStore::Usage(
    const std::string& prefix) {
  proto::UsageResponse usage;
  if (std::optional<std::string> ns = NamespaceOfPrefix(prefix)) {
    ASSIGN_OR_RETURN(proto::UsageRecord counters, NamespaceUsage(*ns));
    auto count = [](int64_t value) {
      return static_cast<uint64_t>(std::max<int64_t>(value, 0));
    };
    usage.set_files(count(counters.files()));
    usage.set_bytes(count(counters.bytes()));
    usage.set_old_versions(count(counters.old_versions()));
    usage.set_old_version_bytes(count(counters.old_version_bytes()));
    usage.set_reserved_bytes(count(counters.reserved_bytes()));
    ASSIGN_OR_RETURN(proto::NamespaceTombstone tombstone, Tombstone(*ns));
    usage.set_deleted_incarnation(tombstone.incarnation());
    return usage;
  }
  RETURN_IF_ERROR(ForEachRecord<proto::FileRecord>(
      db_.get(), FileKey(prefix), [&](const proto::FileRecord& file) {
        ++usage_records_scanned_;
        usage.set_files(usage.files() + 1);
        usage.set_bytes(usage.bytes() + file.size());
      }));
  // Version keys are "v" + path + ..., so "v" + prefix covers the old
  // versions of exactly the files under the prefix.
  RETURN_IF_ERROR(ForEachRecord<proto::FileRecord>(
      db_.get(), "v" + prefix, [&](const proto::FileRecord& version) {
        ++usage_records_scanned_;
        usage.set_old_versions(usage.old_versions() + 1);
        usage.set_old_version_bytes(usage.old_version_bytes() + version.size());
      }));
  return usage;
}

absl::Status MetadataStore::ForEachUpload(
    const std::function<void(const proto::PendingUploadRecord&)>& fn) {
  return ForEachRecord<proto::PendingUploadRecord>(db_.get(), "u", fn);
}

absl::Status MetadataStore::ForEachChunk(
    const std::function<void(const proto::ChunkRecord&)>& fn) {
  return ForEachRecord<proto::ChunkRecord>(db_.get(), "c", fn);
}

absl::Status MetadataStore::Checkpoint(const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw)));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(dir));
}

absl::Status MetadataStore::BuildUsageCounters() {
  std::string marker;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), kUsageCountersKey, &marker);
  if (s.ok()) return absl::OkStatus();
  if (!s.IsNotFound()) return FromRocks(s);
  // A database from before the counters: one scan, then never again. No
  // call runs yet, so nothing changes under the scan.
  std::map<std::string, proto::UsageRecord> usage;
  RETURN_IF_ERROR(ForEachFile([&](const proto::FileRecord& file) {
    proto::UsageRecord& u = usage[NamespaceOfPath(file.path())];
    u.set_files(u.files() + 1);
    u.set_bytes(u.bytes() + file.size());
  }));
  RETURN_IF_ERROR(ForEachRecord<proto::FileRecord>(
      db_.get(), "v", [&](const proto::FileRecord& version) {
        proto::UsageRecord& u = usage[NamespaceOfPath(version.path())];
        u.set_old_versions(u.old_versions() + 1);
        u.set_old_version_bytes(u.old_version_bytes() + version.size());
      }));
  rocksdb::WriteBatch batch;
  for (const auto& [ns, record] : usage) {
    batch.Put(UsageKey(ns), record.SerializeAsString());
  }
  batch.Put(kUsageCountersKey, "1");
  return WriteSynced(&batch);
}

absl::StatusOr<proto::UsageRecord> MetadataStore::NamespaceUsage(
    absl::string_view ns) {
  return GetRecordOrEmpty<proto::UsageRecord>(
      db_.get(), UsageKey(ns), absl::StrCat("usage of namespace ", ns));
}

absl::Status MetadataStore::Reserve(absl::string_view ns,
                                    std::optional<uint64_t> quota,
                                    uint64_t bytes,
                                    rocksdb::WriteBatch* batch) {
  if (bytes == 0) return absl::OkStatus();
  RETURN_IF_ERROR(CheckQuota(ns, quota, bytes));
  proto::UsageRecord delta;
  delta.set_reserved_bytes(bytes);
  batch->Merge(UsageKey(ns), delta.SerializeAsString());
  return absl::OkStatus();
}

absl::Status MetadataStore::CheckQuota(absl::string_view ns,
                                       std::optional<uint64_t> quota,
                                       uint64_t bytes) {
  if (!quota.has_value()) return absl::OkStatus();
  ASSIGN_OR_RETURN(proto::UsageRecord usage, NamespaceUsage(ns));
  const int64_t used =
      usage.bytes() + usage.old_version_bytes() + usage.reserved_bytes();
  if (used < 0 || static_cast<uint64_t>(used) + bytes > *quota) {
    return absl::ResourceExhaustedError(
        absl::StrCat(kQuotaExceededPrefix, ": ", *quota, " bytes, ", used,
                     " used or reserved, ", bytes, " more asked"));
  }
  return absl::OkStatus();
}

absl::Status MetadataStore::CheckAdmission(absl::string_view ns,
                                           uint64_t incarnation) {
  ASSIGN_OR_RETURN(proto::NamespaceTombstone tombstone, Tombstone(ns));
  if (incarnation != 0 && incarnation <= tombstone.incarnation()) {
    return absl::FailedPreconditionError(
        absl::StrCat("namespace ", ns, " was deleted"));
  }
  return absl::OkStatus();
}

absl::StatusOr<proto::NamespaceTombstone> MetadataStore::Tombstone(
    absl::string_view ns) {
  return GetRecordOrEmpty<proto::NamespaceTombstone>(
      db_.get(), TombstoneKey(ns), absl::StrCat("tombstone of namespace ", ns));
}

uint64_t MetadataStore::chunk_count() { return chunk_count_.load(); }

uint64_t MetadataStore::file_count() { return file_count_.load(); }

uint64_t MetadataStore::usage_records_scanned() {
  return usage_records_scanned_.load();
}

}  // namespace sfs
