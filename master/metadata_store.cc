#include "master/metadata_store.h"

#include <openssl/rand.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace sfs {
namespace {

constexpr char kNextHandleKey[] = "m:next_handle";

std::string FileKey(const std::string& path) { return "f" + path; }
std::string UploadKey(const std::string& id) { return "u" + id; }

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

// Drops `file`'s chunk records in `batch`, collecting the handles.
void DropChunks(const proto::FileRecord& file, rocksdb::WriteBatch* batch,
                std::vector<uint64_t>* released) {
  for (uint64_t handle : file.chunks()) {
    batch->Delete(ChunkKey(handle));
    released->push_back(handle);
  }
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

uint64_t FileGeneration(const proto::FileRecord& file) {
  return file.generation() != 0
             ? file.generation()
             : static_cast<uint64_t>(file.modified_unix_micros());
}

MetadataStore::MetadataStore(std::unique_ptr<rocksdb::DB> db)
    : db_(std::move(db)) {}
MetadataStore::~MetadataStore() = default;

absl::StatusOr<std::unique_ptr<MetadataStore>> MetadataStore::Open(
    const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  rocksdb::DB* raw = nullptr;
  RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(options, dir, &raw)));
  std::unique_ptr<MetadataStore> store(
      new MetadataStore(std::unique_ptr<rocksdb::DB>(raw)));
  RETURN_IF_ERROR(store->LoadCounters());
  return store;
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
    const std::string& path, int64_t now_micros) {
  proto::PendingUploadRecord upload;
  upload.set_upload_id(RandomId());
  upload.set_path(path);
  upload.set_created_unix_micros(now_micros);
  upload.set_last_activity_unix_micros(now_micros);
  RETURN_IF_ERROR(
      FromRocks(db_->Put(SyncedWrite(), UploadKey(upload.upload_id()),
                         upload.SerializeAsString())));
  return upload;
}

absl::StatusOr<uint64_t> MetadataStore::NextHandle() {
  constexpr uint64_t kHandleBlock = 1024;
  absl::MutexLock lock(&handle_mu_);
  if (next_handle_ == reserved_end_) {
    RETURN_IF_ERROR(
        FromRocks(db_->Put(SyncedWrite(), kNextHandleKey,
                           EncodeCounter(reserved_end_ + kHandleBlock))));
    reserved_end_ += kHandleBlock;
  }
  return next_handle_++;
}

absl::StatusOr<proto::ChunkRecord> MetadataStore::AllocateChunk(
    const std::string& upload_id, int64_t now_micros) {
  StripedLock::Guard lock(&key_locks_, {upload_id});
  ASSIGN_OR_RETURN(proto::PendingUploadRecord upload, GetUpload(upload_id));
  ASSIGN_OR_RETURN(uint64_t handle, NextHandle());
  proto::ChunkRecord chunk;
  chunk.set_handle(handle);
  chunk.set_version(1);
  upload.add_chunks(chunk.handle());
  upload.set_last_activity_unix_micros(now_micros);

  rocksdb::WriteBatch batch;
  batch.Put(ChunkKey(chunk.handle()), chunk.SerializeAsString());
  batch.Put(UploadKey(upload_id), upload.SerializeAsString());
  RETURN_IF_ERROR(FromRocks(db_->Write(SyncedWrite(), &batch)));
  ++chunk_count_;
  return chunk;
}

absl::Status MetadataStore::CommitChunk(const std::string& upload_id,
                                        uint64_t handle, uint64_t length,
                                        uint32_t crc32c, int64_t now_micros) {
  StripedLock::Guard lock(&key_locks_, {upload_id});
  ASSIGN_OR_RETURN(proto::PendingUploadRecord upload, GetUpload(upload_id));
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
  chunk.set_length(length);
  chunk.set_crc32c(crc32c);
  chunk.set_committed(true);
  upload.set_last_activity_unix_micros(now_micros);
  rocksdb::WriteBatch batch;
  batch.Put(ChunkKey(handle), chunk.SerializeAsString());
  batch.Put(UploadKey(upload_id), upload.SerializeAsString());
  return FromRocks(db_->Write(SyncedWrite(), &batch));
}

absl::StatusOr<proto::FileRecord> MetadataStore::CompleteUpload(
    const std::string& upload_id, uint64_t size, const std::string& sha256,
    const std::string& content_type, int64_t now_micros, uint32_t keep_versions,
    std::vector<uint64_t>* released) {
  // The upload names the path; both are locked before the upload is read
  // again, since another writer may complete or abandon it meanwhile.
  ASSIGN_OR_RETURN(proto::PendingUploadRecord unlocked, GetUpload(upload_id));
  StripedLock::Guard lock(&key_locks_, {upload_id, unlocked.path()});
  ASSIGN_OR_RETURN(proto::PendingUploadRecord upload, GetUpload(upload_id));
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
  file.set_content_type(content_type);
  file.set_created_unix_micros(now_micros);
  file.set_modified_unix_micros(now_micros);
  file.set_generation(now_micros);
  *file.mutable_chunks() = upload.chunks();

  rocksdb::WriteBatch batch;
  std::vector<uint64_t> dropped;
  absl::StatusOr<proto::FileRecord> previous = GetFile(upload.path());
  bool replaces = previous.ok();
  if (replaces) {
    file.set_created_unix_micros(previous->created_unix_micros());
    // Generations of one path only grow, even if the clock steps back.
    file.set_generation(
        std::max<uint64_t>(file.generation(), FileGeneration(*previous) + 1));
    ASSIGN_OR_RETURN(std::vector<proto::FileRecord> versions,
                     OldVersions(upload.path()));
    if (keep_versions > 0) {
      previous->set_generation(FileGeneration(*previous));
      batch.Put(VersionKey(previous->path(), previous->generation()),
                previous->SerializeAsString());
      versions.push_back(*previous);
    } else {
      DropChunks(*previous, &batch, &dropped);
    }
    // Oldest first: keep the newest `keep_versions`.
    for (size_t i = 0; i + keep_versions < versions.size(); ++i) {
      batch.Delete(VersionKey(versions[i].path(), versions[i].generation()));
      DropChunks(versions[i], &batch, &dropped);
    }
  } else if (previous.status().code() != absl::StatusCode::kNotFound) {
    return previous.status();
  }
  batch.Put(FileKey(file.path()), file.SerializeAsString());
  batch.Delete(UploadKey(upload_id));
  RETURN_IF_ERROR(FromRocks(db_->Write(SyncedWrite(), &batch)));
  if (!replaces) ++file_count_;
  chunk_count_ -= dropped.size();
  released->insert(released->end(), dropped.begin(), dropped.end());
  return file;
}

absl::Status MetadataStore::AbandonUpload(const std::string& upload_id,
                                          std::vector<uint64_t>* released) {
  StripedLock::Guard lock(&key_locks_, {upload_id});
  ASSIGN_OR_RETURN(proto::PendingUploadRecord upload, GetUpload(upload_id));
  rocksdb::WriteBatch batch;
  for (uint64_t handle : upload.chunks()) batch.Delete(ChunkKey(handle));
  batch.Delete(UploadKey(upload_id));
  RETURN_IF_ERROR(FromRocks(db_->Write(SyncedWrite(), &batch)));
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
  rocksdb::WriteBatch batch;
  std::vector<uint64_t> dropped;
  DropChunks(file, &batch, &dropped);
  batch.Delete(FileKey(path));
  for (const proto::FileRecord& version : versions) {
    DropChunks(version, &batch, &dropped);
    batch.Delete(VersionKey(path, version.generation()));
  }
  RETURN_IF_ERROR(FromRocks(db_->Write(SyncedWrite(), &batch)));
  released->insert(released->end(), dropped.begin(), dropped.end());
  chunk_count_ -= dropped.size();
  --file_count_;
  return absl::OkStatus();
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
  RETURN_IF_ERROR(ForEachRecord<proto::FileRecord>(
      db_.get(), FileKey(prefix), [&](const proto::FileRecord& file) {
        usage.set_files(usage.files() + 1);
        usage.set_bytes(usage.bytes() + file.size());
      }));
  // Version keys are "v" + path + ..., so "v" + prefix covers the old
  // versions of exactly the files under the prefix.
  RETURN_IF_ERROR(ForEachRecord<proto::FileRecord>(
      db_.get(), "v" + prefix, [&](const proto::FileRecord& version) {
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

uint64_t MetadataStore::chunk_count() { return chunk_count_.load(); }

uint64_t MetadataStore::file_count() { return file_count_.load(); }

}  // namespace sfs
