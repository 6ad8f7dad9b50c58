// A Catalog in PostgreSQL: the production store, shared by every frontend
// replica.
//
// Open migrates the schema (postgres_schema.h), so replicas may start
// together against an empty database. Queries run on a small connection
// pool; a broken connection is dropped and the next call reconnects.
// Progress events travel as NOTIFY on channel "sfs_progress" and reach the
// subscribers of every PostgresCatalog on the same database through each
// one's PgListener.

#ifndef SFS_FRONTEND_CATALOG_POSTGRES_CATALOG_H_
#define SFS_FRONTEND_CATALOG_POSTGRES_CATALOG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sfs-frontend/catalog/catalog.h"
#include "sfs-frontend/catalog/postgres_connection.h"
#include "sfs-frontend/catalog/postgres_listener.h"
#include "sfs-frontend/catalog/progress_fanout.h"

namespace sfs::frontend {

struct PostgresCatalogOptions {
  // Most connections used for queries at once; callers beyond that wait.
  // The progress listener holds one more.
  int pool_size = 4;
};

class PostgresCatalog final : public Catalog {
 public:
  // `conninfo` is anything libpq accepts: "postgresql://user@host/db" or
  // "host=... dbname=...". Unavailable if the server cannot be reached.
  static absl::StatusOr<std::unique_ptr<PostgresCatalog>> Open(
      const std::string& conninfo, PostgresCatalogOptions options = {});

  // Stops the listener; outstanding subscriptions must be gone already.
  ~PostgresCatalog() override;

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
  template <typename T>
  using RowDecoder = absl::StatusOr<T> (*)(const PgResult&, int row);

  PostgresCatalog(const std::string& conninfo, PostgresCatalogOptions options);

  absl::StatusOr<PgResult> Exec(const std::string& sql, const PgParams& params);
  // Inserts one row of `params` into `columns` of `table` (trusted SQL);
  // AlreadyExists naming `what` if a unique key is taken.
  absl::Status Insert(const std::string& table, const std::string& columns,
                      const PgParams& params, const std::string& what);
  // Runs a statement that must change exactly one row; NotFound naming
  // `what` if it changed none.
  absl::Status ExecOnOne(const std::string& sql, const PgParams& params,
                         const std::string& what);
  // The single row a query returns, decoded; NotFound naming `what` if none.
  template <typename T>
  absl::StatusOr<T> QueryOne(const std::string& sql, const PgParams& params,
                             RowDecoder<T> decode, const std::string& what);
  template <typename T>
  absl::StatusOr<std::vector<T>> QueryAll(const std::string& sql,
                                          const PgParams& params,
                                          RowDecoder<T> decode);

  PgConnectionPool pool_;
  ProgressFanout fanout_;
  // Declared last: destroyed first, so it stops delivering into fanout_
  // before fanout_ goes away.
  std::unique_ptr<PgListener> listener_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_CATALOG_POSTGRES_CATALOG_H_
