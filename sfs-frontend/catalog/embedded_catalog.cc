#include "sfs-frontend/catalog/embedded_catalog.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "sfs-frontend/catalog/record_json.h"
#include "sfs-frontend/catalog/record_rules.h"

namespace sfs::frontend {
namespace {

// Key layout. Every value is the full JSON record, so index entries answer
// lists and lookups without a second read; a WriteBatch keeps them in step.
//   n/<name>                   NamespaceRecord
//   o/<owner>\0<name>          NamespaceRecord   (ListNamespaces by owner)
//   u/<username>               UserRecord
//   t/<id>                     ApiTokenRecord
//   s/<secret_hash>            ApiTokenRecord    (FindApiTokenBySecretHash)
//   a/<username>\0<id>         ApiTokenRecord    (ListApiTokens, DeleteUser)
// '\0' ends the first component because owner ids may contain any other byte.
std::string NamespaceKey(const std::string& name) { return "n/" + name; }
std::string OwnerIndexKey(const std::string& owner, const std::string& name) {
  return absl::StrCat("o/", owner, std::string(1, '\0'), name);
}
std::string UserKey(const std::string& username) { return "u/" + username; }
std::string TokenKey(const std::string& id) { return "t/" + id; }
std::string SecretKey(const std::string& hash) { return "s/" + hash; }
std::string UserTokenKey(const std::string& username, const std::string& id) {
  return absl::StrCat("a/", username, std::string(1, '\0'), id);
}

absl::Status FromRocks(const rocksdb::Status& s) {
  if (s.ok()) return absl::OkStatus();
  std::string message = absl::StrCat("catalog store: ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(message);
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

void PutToken(rocksdb::WriteBatch& batch, const ApiTokenRecord& token) {
  std::string value = EncodeJson(token);
  batch.Put(TokenKey(token.id), value);
  batch.Put(SecretKey(token.secret_hash), value);
  batch.Put(UserTokenKey(token.username, token.id), value);
}

void DeleteToken(rocksdb::WriteBatch& batch, const ApiTokenRecord& token) {
  batch.Delete(TokenKey(token.id));
  batch.Delete(SecretKey(token.secret_hash));
  batch.Delete(UserTokenKey(token.username, token.id));
}

}  // namespace

absl::StatusOr<std::unique_ptr<EmbeddedCatalog>> EmbeddedCatalog::Open(
    const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &db);
  if (!s.ok()) {
    // A held LOCK file surfaces as an IOError, hence Unavailable.
    return FromRocks(s);
  }
  return std::unique_ptr<EmbeddedCatalog>(
      new EmbeddedCatalog(std::unique_ptr<rocksdb::DB>(db)));
}

EmbeddedCatalog::EmbeddedCatalog(std::unique_ptr<rocksdb::DB> db)
    : db_(std::move(db)) {}

EmbeddedCatalog::~EmbeddedCatalog() = default;

absl::Status EmbeddedCatalog::CheckAbsent(const std::string& key,
                                          const std::string& what) {
  std::string ignored;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &ignored);
  if (s.ok()) return absl::AlreadyExistsError(absl::StrCat(what, " exists"));
  return s.IsNotFound() ? absl::OkStatus() : FromRocks(s);
}

template <typename T>
absl::StatusOr<T> EmbeddedCatalog::Read(const std::string& key,
                                        const std::string& what) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &value);
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat("no ", what));
  RETURN_IF_ERROR(FromRocks(s));
  return DecodeJson<T>(value);
}

template <typename T>
absl::StatusOr<std::vector<T>> EmbeddedCatalog::Scan(
    const std::string& prefix) {
  std::vector<T> records;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    ASSIGN_OR_RETURN(T record, DecodeJson<T>(it->value().ToString()));
    records.push_back(std::move(record));
  }
  RETURN_IF_ERROR(FromRocks(it->status()));
  return records;
}

absl::Status EmbeddedCatalog::Commit(rocksdb::WriteBatch& batch) {
  rocksdb::WriteOptions options;
  options.sync = true;
  return FromRocks(db_->Write(options, &batch));
}

absl::Status EmbeddedCatalog::CreateNamespace(const NamespaceRecord& record) {
  RETURN_IF_ERROR(CheckNamespaceRecord(record));
  absl::MutexLock lock(&write_mu_);
  RETURN_IF_ERROR(CheckAbsent(NamespaceKey(record.name),
                              QuotedName("namespace", record.name)));
  std::string value = EncodeJson(record);
  rocksdb::WriteBatch batch;
  batch.Put(NamespaceKey(record.name), value);
  batch.Put(OwnerIndexKey(record.owner_id, record.name), value);
  return Commit(batch);
}

absl::StatusOr<NamespaceRecord> EmbeddedCatalog::GetNamespace(
    const std::string& name) {
  return Read<NamespaceRecord>(NamespaceKey(name),
                               QuotedName("namespace", name));
}

absl::Status EmbeddedCatalog::UpdateNamespace(const NamespaceRecord& record) {
  RETURN_IF_ERROR(CheckNamespaceRecord(record));
  absl::MutexLock lock(&write_mu_);
  ASSIGN_OR_RETURN(NamespaceRecord stored, GetNamespace(record.name));
  NamespaceRecord updated = record;
  updated.created_at = stored.created_at;
  std::string value = EncodeJson(updated);
  rocksdb::WriteBatch batch;
  batch.Delete(OwnerIndexKey(stored.owner_id, stored.name));
  batch.Put(NamespaceKey(updated.name), value);
  batch.Put(OwnerIndexKey(updated.owner_id, updated.name), value);
  return Commit(batch);
}

absl::Status EmbeddedCatalog::DeleteNamespace(const std::string& name) {
  absl::MutexLock lock(&write_mu_);
  ASSIGN_OR_RETURN(NamespaceRecord stored, GetNamespace(name));
  rocksdb::WriteBatch batch;
  batch.Delete(NamespaceKey(name));
  batch.Delete(OwnerIndexKey(stored.owner_id, name));
  return Commit(batch);
}

absl::StatusOr<std::vector<NamespaceRecord>> EmbeddedCatalog::ListNamespaces(
    const std::string& owner_id) {
  return Scan<NamespaceRecord>(owner_id.empty() ? NamespaceKey("")
                                                : OwnerIndexKey(owner_id, ""));
}

absl::Status EmbeddedCatalog::AddUser(const UserRecord& user) {
  RETURN_IF_ERROR(CheckUserRecord(user));
  absl::MutexLock lock(&write_mu_);
  RETURN_IF_ERROR(
      CheckAbsent(UserKey(user.username), QuotedName("user", user.username)));
  rocksdb::WriteBatch batch;
  batch.Put(UserKey(user.username), EncodeJson(user));
  return Commit(batch);
}

absl::StatusOr<UserRecord> EmbeddedCatalog::GetUser(
    const std::string& username) {
  return Read<UserRecord>(UserKey(username), QuotedName("user", username));
}

absl::Status EmbeddedCatalog::DeleteUser(const std::string& username) {
  absl::MutexLock lock(&write_mu_);
  RETURN_IF_ERROR(GetUser(username).status());
  ASSIGN_OR_RETURN(std::vector<ApiTokenRecord> tokens, ListApiTokens(username));
  rocksdb::WriteBatch batch;
  batch.Delete(UserKey(username));
  for (const ApiTokenRecord& token : tokens) DeleteToken(batch, token);
  return Commit(batch);
}

absl::StatusOr<std::vector<UserRecord>> EmbeddedCatalog::ListUsers() {
  return Scan<UserRecord>(UserKey(""));
}

absl::Status EmbeddedCatalog::CreateApiToken(const ApiTokenRecord& token) {
  RETURN_IF_ERROR(CheckApiTokenRecord(token));
  absl::MutexLock lock(&write_mu_);
  RETURN_IF_ERROR(GetUser(token.username).status());
  RETURN_IF_ERROR(
      CheckAbsent(TokenKey(token.id), QuotedName("token", token.id)));
  RETURN_IF_ERROR(
      CheckAbsent(SecretKey(token.secret_hash), "token with that secret"));
  rocksdb::WriteBatch batch;
  PutToken(batch, token);
  return Commit(batch);
}

absl::StatusOr<ApiTokenRecord> EmbeddedCatalog::FindApiTokenBySecretHash(
    const std::string& secret_hash) {
  return Read<ApiTokenRecord>(SecretKey(secret_hash), "token with that secret");
}

absl::StatusOr<std::vector<ApiTokenRecord>> EmbeddedCatalog::ListApiTokens(
    const std::string& username) {
  return Scan<ApiTokenRecord>(UserTokenKey(username, ""));
}

absl::Status EmbeddedCatalog::DeleteApiToken(const std::string& id) {
  absl::MutexLock lock(&write_mu_);
  ASSIGN_OR_RETURN(ApiTokenRecord token,
                   Read<ApiTokenRecord>(TokenKey(id), QuotedName("token", id)));
  rocksdb::WriteBatch batch;
  DeleteToken(batch, token);
  return Commit(batch);
}

absl::Status EmbeddedCatalog::PublishProgress(const std::string& json_event) {
  RETURN_IF_ERROR(CheckProgressEvent(json_event));
  fanout_.Deliver(json_event);
  return absl::OkStatus();
}

std::unique_ptr<ProgressSubscription> EmbeddedCatalog::Subscribe(
    ProgressCallback callback) {
  return fanout_.Subscribe(std::move(callback));
}

}  // namespace sfs::frontend
