// A thin, Status-returning layer over libpq: one connection (PgConnection),
// its query results (PgResult) and a bounded pool of connections
// (PgConnectionPool) for PostgresCatalog.
//
// Every query goes through PQexecParams with its values passed out of line,
// so no value is ever spliced into SQL text.

#ifndef SFS_FRONTEND_CATALOG_POSTGRES_CONNECTION_H_
#define SFS_FRONTEND_CATALOG_POSTGRES_CONNECTION_H_

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace sfs::frontend {

// Query parameters $1, $2, ... in text format; nullopt is SQL NULL.
using PgParams = std::vector<std::optional<std::string>>;

// The successful result of one statement. Owns its PGresult.
class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result, PQclear) {}

  int rows() const { return PQntuples(result_.get()); }
  // Rows changed by INSERT/UPDATE/DELETE.
  int affected_rows() const;
  bool IsNull(int row, int column) const {
    return PQgetisnull(result_.get(), row, column) != 0;
  }
  std::string Text(int row, int column) const {
    return PQgetvalue(result_.get(), row, column);
  }

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

// One libpq connection. Not thread-safe: one user at a time (the pool hands
// each connection to a single caller).
class PgConnection {
 public:
  // Unavailable if the server cannot be reached or refuses the connection.
  // Unless `conninfo` sets connect_timeout, giving up takes at most 10 s, so
  // an unreachable server cannot stall a caller (or a PgListener's shutdown)
  // for the minutes a TCP connect may take.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(
      const std::string& conninfo);

  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection();

  // Runs one statement. Errors map from SQLSTATE: unique_violation →
  // AlreadyExists, foreign_key_violation → NotFound, connection trouble or
  // server shutdown → Unavailable, anything else → Internal.
  absl::StatusOr<PgResult> Exec(const std::string& sql,
                                const PgParams& params = {});

  // False once the connection is known to be broken; the pool then drops it.
  bool healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

  // For the LISTEN loop, which needs the socket and notification queue.
  PGconn* raw() { return conn_; }

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}

  PGconn* const conn_;
};

// Up to `max_size` connections to one server, opened on demand and reused.
// A connection that broke is discarded when returned, so the next Acquire
// reconnects: after a server restart the first query on each stale
// connection fails with Unavailable, later ones succeed.
//
// Thread-safe. Leases must be returned (destroyed) before the pool.
class PgConnectionPool {
 public:
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    PgConnection* operator->() const { return conn_.get(); }
    PgConnection& operator*() const { return *conn_; }

   private:
    friend class PgConnectionPool;
    Lease(PgConnectionPool* pool, std::unique_ptr<PgConnection> conn)
        : pool_(pool), conn_(std::move(conn)) {}

    PgConnectionPool* pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  PgConnectionPool(std::string conninfo, int max_size);

  // Blocks while all `max_size` connections are leased. Unavailable if a new
  // connection is needed and cannot be made.
  absl::StatusOr<Lease> Acquire();

 private:
  void Release(std::unique_ptr<PgConnection> conn);

  const std::string conninfo_;
  const int max_size_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<PgConnection>> idle_ ABSL_GUARDED_BY(mu_);
  int leased_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_CATALOG_POSTGRES_CONNECTION_H_
