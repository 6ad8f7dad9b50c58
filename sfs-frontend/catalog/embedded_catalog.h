// A Catalog in a local RocksDB directory: the default for a single frontend
// (`sfs up`), with no database server to run.
//
// Every mutation is one WriteBatch written with a synced WAL, so a record and
// its index entries change together and survive a crash once the call
// returns. Progress events fan out within this process only, which is all a
// single frontend needs.
//
// Only one process may open a directory at a time; a second Open fails with
// Unavailable while the first holds RocksDB's lock.

#ifndef SFS_FRONTEND_CATALOG_EMBEDDED_CATALOG_H_
#define SFS_FRONTEND_CATALOG_EMBEDDED_CATALOG_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "sfs-frontend/catalog/catalog.h"
#include "sfs-frontend/catalog/progress_fanout.h"

namespace rocksdb {
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace sfs::frontend {

class EmbeddedCatalog final : public Catalog {
 public:
  // Opens the catalog in `dir`, creating the directory and database if
  // missing.
  static absl::StatusOr<std::unique_ptr<EmbeddedCatalog>> Open(
      const std::string& dir);

  ~EmbeddedCatalog() override;

  absl::Status CreateNamespace(const NamespaceRecord& record) override;
  absl::StatusOr<NamespaceRecord> GetNamespace(
      const std::string& name) override;
  absl::Status UpdateNamespace(const NamespaceRecord& record) override;
  absl::Status DeleteNamespace(const std::string& name) override;
  absl::StatusOr<std::vector<NamespaceRecord>> ListNamespaces(
      const std::string& owner_id) override;

  absl::Status AddUser(const UserRecord& user) override;
  absl::StatusOr<UserRecord> GetUser(const std::string& username) override;
  absl::Status DeleteUser(const std::string& username) override;
  absl::StatusOr<std::vector<UserRecord>> ListUsers() override;

  absl::Status CreateApiToken(const ApiTokenRecord& token) override;
  absl::StatusOr<ApiTokenRecord> FindApiTokenBySecretHash(
      const std::string& secret_hash) override;
  absl::StatusOr<std::vector<ApiTokenRecord>> ListApiTokens(
      const std::string& username) override;
  absl::Status DeleteApiToken(const std::string& id) override;

  absl::Status AddSigningKey(const SigningKeyRecord& key) override;
  absl::StatusOr<std::vector<SigningKeyRecord>> ListSigningKeys() override;
  absl::Status DeleteSigningKey(const std::string& id) override;

  absl::Status ClaimSingleUse(const std::string& id, int64_t expires_at,
                              int64_t now) override;
  absl::Status ReleaseSingleUse(const std::string& id) override;
  absl::StatusOr<bool> SingleUseClaimed(const std::string& id,
                                        int64_t now) override;
  absl::Status AppendAudit(const AuditEvent& event) override;
  absl::StatusOr<std::vector<AuditEvent>> ListAudit(int64_t since,
                                                    int64_t before,
                                                    size_t limit) override;
  absl::StatusOr<int64_t> ForgetAuditBefore(int64_t before) override;

  absl::Status PublishProgress(const std::string& json_event) override;
  std::unique_ptr<ProgressSubscription> Subscribe(
      ProgressCallback callback) override;

 private:
  explicit EmbeddedCatalog(std::unique_ptr<rocksdb::DB> db);

  // OK if `key` is absent, AlreadyExists (naming `what`) if present.
  absl::Status CheckAbsent(const std::string& key, const std::string& what);
  // The record stored under `key`; NotFound naming `what` if absent.
  template <typename T>
  absl::StatusOr<T> Read(const std::string& key, const std::string& what);
  // Every record whose key starts with `prefix`, in key order.
  template <typename T>
  absl::StatusOr<std::vector<T>> Scan(const std::string& prefix);
  absl::Status Commit(rocksdb::WriteBatch& batch);
  // When single-use grant `id` expires, or nullopt if it is not recorded.
  absl::StatusOr<std::optional<int64_t>> SingleUseExpiry(const std::string& id);
  // Adds to `batch` the deletion of up to kExpiredSingleUseForgottenPerClaim
  // grants that expired by `now`, earliest first.
  absl::Status ForgetExpiredSingleUse(int64_t now, rocksdb::WriteBatch& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  const std::unique_ptr<rocksdb::DB> db_;
  // Makes each check-then-write sequence atomic; reads need no lock.
  absl::Mutex write_mu_;
  // Orders audit events of equal time: starts at the open's time in
  // microseconds, so it keeps growing across restarts.
  uint64_t audit_seq_ ABSL_GUARDED_BY(write_mu_);
  ProgressFanout fanout_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_CATALOG_EMBEDDED_CATALOG_H_
