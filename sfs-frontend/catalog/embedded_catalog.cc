#include "sfs-frontend/catalog/embedded_catalog.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "sfs-frontend/catalog/names.h"
#include "sfs-frontend/catalog/record_json.h"
#include "sfs-frontend/catalog/record_rules.h"

namespace sfs::frontend {
namespace {

// Key layout. Every record value is the full JSON record, so index entries
// answer lists and lookups without a second read; a WriteBatch keeps them in
// step.
//   n/<name>                   NamespaceRecord
//   o/<owner>\0<name>          NamespaceRecord   (ListNamespaces by owner)
//   u/<username>               UserRecord
//   t/<id>                     ApiTokenRecord
//   s/<secret_hash>            ApiTokenRecord    (FindApiTokenBySecretHash)
//   a/<username>\0<id>         ApiTokenRecord    (ListApiTokens, DeleteUser)
//   k/<id>                     SigningKeyRecord
//   g/<id>                     expires_at        (claimed single-use grant)
//   x/<expires_at><id>         empty             (grants by expiry, to forget)
// '\0' ends the first component because owner ids may contain any other byte.
// expires_at is decimal text in a value and 8 big-endian bytes in a key, so
// that x/ keys sort by expiry (it is never negative).
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
std::string SigningKeyKey(const std::string& id) { return "k/" + id; }
std::string SingleUseKey(const std::string& id) { return "g/" + id; }

constexpr char kExpiryPrefix[] = "x/";
constexpr size_t kExpiryBytes = 8;

std::string ExpiryKey(int64_t expires_at, const std::string& id) {
  std::string key = kExpiryPrefix;
  for (int shift = 56; shift >= 0; shift -= 8) {
    key.push_back(static_cast<char>((expires_at >> shift) & 0xff));
  }
  return key + id;
}

// The expiry and grant id an ExpiryKey holds; nullopt if it holds none.
std::optional<std::pair<int64_t, std::string>> ParseExpiryKey(
    absl::string_view key) {
  if (!absl::ConsumePrefix(&key, kExpiryPrefix) || key.size() <= kExpiryBytes) {
    return std::nullopt;
  }
  uint64_t expires_at = 0;
  for (size_t i = 0; i < kExpiryBytes; ++i) {
    expires_at = (expires_at << 8) | static_cast<unsigned char>(key[i]);
  }
  return std::make_pair(static_cast<int64_t>(expires_at),
                        std::string(key.substr(kExpiryBytes)));
}

// Audit events: "e/" + time + sequence, both 8 bytes big-endian, so key
// order is time order.
constexpr char kAuditPrefix[] = "e/";

void AppendBigEndian(std::string& key, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    key.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

std::string AuditKey(int64_t at, uint64_t seq) {
  std::string key = kAuditPrefix;
  AppendBigEndian(key, static_cast<uint64_t>(at));
  AppendBigEndian(key, seq);
  return key;
}

// The first key of events at `at` or later.
std::string AuditBound(int64_t at) {
  std::string key = kAuditPrefix;
  AppendBigEndian(key, static_cast<uint64_t>(std::max<int64_t>(at, 0)));
  return key;
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
    : db_(std::move(db)),
      audit_seq_(static_cast<uint64_t>(absl::ToUnixMicros(absl::Now()))) {}

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

absl::Status EmbeddedCatalog::AddSigningKey(const SigningKeyRecord& key) {
  RETURN_IF_ERROR(CheckSigningKeyRecord(key));
  absl::MutexLock lock(&write_mu_);
  RETURN_IF_ERROR(
      CheckAbsent(SigningKeyKey(key.id), QuotedName("signing key", key.id)));
  rocksdb::WriteBatch batch;
  batch.Put(SigningKeyKey(key.id), EncodeJson(key));
  return Commit(batch);
}

absl::StatusOr<std::vector<SigningKeyRecord>>
EmbeddedCatalog::ListSigningKeys() {
  ASSIGN_OR_RETURN(std::vector<SigningKeyRecord> keys,
                   Scan<SigningKeyRecord>(SigningKeyKey("")));
  std::sort(keys.begin(), keys.end(),
            [](const SigningKeyRecord& a, const SigningKeyRecord& b) {
              return std::tie(a.created_at, a.id) >
                     std::tie(b.created_at, b.id);
            });
  return keys;
}

absl::Status EmbeddedCatalog::DeleteSigningKey(const std::string& id) {
  absl::MutexLock lock(&write_mu_);
  RETURN_IF_ERROR(
      Read<SigningKeyRecord>(SigningKeyKey(id), QuotedName("signing key", id))
          .status());
  rocksdb::WriteBatch batch;
  batch.Delete(SigningKeyKey(id));
  return Commit(batch);
}

absl::StatusOr<std::optional<int64_t>> EmbeddedCatalog::SingleUseExpiry(
    const std::string& id) {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), SingleUseKey(id), &value);
  if (s.IsNotFound()) return std::nullopt;
  RETURN_IF_ERROR(FromRocks(s));
  int64_t expires_at = 0;
  if (!absl::SimpleAtoi(value, &expires_at)) {
    return absl::DataLossError(absl::StrCat(
        "unreadable expiry of ", QuotedName("single-use grant", id)));
  }
  return expires_at;
}

absl::Status EmbeddedCatalog::ForgetExpiredSingleUse(
    int64_t now, rocksdb::WriteBatch& batch) {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions()));
  int forgotten = 0;
  for (it->Seek(kExpiryPrefix);
       it->Valid() && it->key().starts_with(kExpiryPrefix) &&
       forgotten < kExpiredSingleUseForgottenPerClaim;
       it->Next()) {
    std::optional<std::pair<int64_t, std::string>> entry =
        ParseExpiryKey(absl::string_view(it->key().data(), it->key().size()));
    if (!entry.has_value()) {
      return absl::DataLossError("malformed single-use expiry key");
    }
    if (entry->first > now) break;
    batch.Delete(it->key());
    batch.Delete(SingleUseKey(entry->second));
    ++forgotten;
  }
  return FromRocks(it->status());
}

absl::StatusOr<bool> EmbeddedCatalog::SingleUseClaimed(const std::string& id,
                                                       int64_t now) {
  RETURN_IF_ERROR(ValidateSingleUseId(id));
  ASSIGN_OR_RETURN(std::optional<int64_t> expires_at, SingleUseExpiry(id));
  return expires_at.has_value() && *expires_at > now;
}

absl::Status EmbeddedCatalog::ClaimSingleUse(const std::string& id,
                                             int64_t expires_at, int64_t now) {
  RETURN_IF_ERROR(CheckSingleUseClaim(id, expires_at));
  absl::MutexLock lock(&write_mu_);
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(ForgetExpiredSingleUse(now, batch));
  ASSIGN_OR_RETURN(std::optional<int64_t> previous, SingleUseExpiry(id));
  const bool taken = previous.has_value() && *previous > now;
  if (!taken) {
    // Later operations in a batch win, so this also revives `id` if the
    // batch already forgets it.
    if (previous.has_value()) batch.Delete(ExpiryKey(*previous, id));
    batch.Put(SingleUseKey(id), absl::StrCat(expires_at));
    batch.Put(ExpiryKey(expires_at, id), "");
  }
  if (batch.Count() > 0) RETURN_IF_ERROR(Commit(batch));
  if (taken) {
    return absl::AlreadyExistsError(absl::StrCat(
        QuotedName("single-use grant", id), " has been used already"));
  }
  return absl::OkStatus();
}

absl::Status EmbeddedCatalog::ReleaseSingleUse(const std::string& id) {
  absl::MutexLock lock(&write_mu_);
  ASSIGN_OR_RETURN(std::optional<int64_t> expires_at, SingleUseExpiry(id));
  if (!expires_at.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("no ", QuotedName("single-use grant", id)));
  }
  rocksdb::WriteBatch batch;
  batch.Delete(SingleUseKey(id));
  batch.Delete(ExpiryKey(*expires_at, id));
  return Commit(batch);
}

absl::Status EmbeddedCatalog::AppendAudit(const AuditEvent& event) {
  RETURN_IF_ERROR(CheckAuditEvent(event));
  absl::MutexLock lock(&write_mu_);
  rocksdb::WriteBatch batch;
  batch.Put(AuditKey(event.at, ++audit_seq_), EncodeJson(event));
  return Commit(batch);
}

absl::StatusOr<std::vector<AuditEvent>> EmbeddedCatalog::ListAudit(
    int64_t since, int64_t before, size_t limit) {
  std::vector<AuditEvent> events;
  const std::string low = AuditBound(since);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions()));
  // The last key before `before`, then back in time.
  for (it->SeekForPrev(AuditBound(before));
       it->Valid() && events.size() < limit; it->Prev()) {
    const rocksdb::Slice key = it->key();
    if (!key.starts_with(kAuditPrefix) || key.compare(low) < 0) break;
    ASSIGN_OR_RETURN(AuditEvent event,
                     DecodeJson<AuditEvent>(it->value().ToString()));
    events.push_back(std::move(event));
  }
  RETURN_IF_ERROR(FromRocks(it->status()));
  return events;
}

absl::StatusOr<int64_t> EmbeddedCatalog::ForgetAuditBefore(int64_t before) {
  const std::string end = AuditBound(before);
  int64_t forgotten = 0;
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(kAuditPrefix); it->Valid() && it->key().compare(end) < 0;
       it->Next()) {
    batch.Delete(it->key());
    ++forgotten;
  }
  RETURN_IF_ERROR(FromRocks(it->status()));
  RETURN_IF_ERROR(Commit(batch));
  return forgotten;
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
