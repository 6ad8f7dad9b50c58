#include "sfs-frontend/catalog/postgres_connection.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace sfs::frontend {
namespace {

constexpr char kDefaultConnectTimeoutSeconds[] = "10";

absl::Status StatusFromResult(const PGresult* result, PGconn* conn) {
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  std::string sqlstate = state == nullptr ? "" : state;
  std::string message(absl::StripTrailingAsciiWhitespace(
      result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn)));
  if (sqlstate == "23505") return absl::AlreadyExistsError(message);
  if (sqlstate == "23503") return absl::NotFoundError(message);
  // Class 08 is connection exception, 57P0x is the server going away.
  if (PQstatus(conn) != CONNECTION_OK || absl::StartsWith(sqlstate, "08") ||
      absl::StartsWith(sqlstate, "57P0")) {
    return absl::UnavailableError(absl::StrCat("postgres: ", message));
  }
  return absl::InternalError(
      absl::StrCat("postgres [", sqlstate, "]: ", message));
}

}  // namespace

int PgResult::affected_rows() const {
  int rows = 0;
  return absl::SimpleAtoi(PQcmdTuples(result_.get()), &rows) ? rows : 0;
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(
    const std::string& conninfo) {
  // connect_timeout comes first so that one in `conninfo` (expanded from
  // "dbname") overrides it.
  const char* const keywords[] = {"connect_timeout", "dbname", nullptr};
  const char* const values[] = {kDefaultConnectTimeoutSeconds, conninfo.c_str(),
                                nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message(
        absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn)));
    PQfinish(conn);
    return absl::UnavailableError(
        absl::StrCat("cannot connect to postgres: ", message));
  }
  return std::unique_ptr<PgConnection>(new PgConnection(conn));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

absl::StatusOr<PgResult> PgConnection::Exec(const std::string& sql,
                                            const PgParams& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& param : params) {
    values.push_back(param.has_value() ? param->c_str() : nullptr);
  }
  PGresult* result = PQexecParams(
      conn_, sql.c_str(), static_cast<int>(values.size()),
      /*paramTypes=*/nullptr, values.data(), /*paramLengths=*/nullptr,
      /*paramFormats=*/nullptr, /*resultFormat=*/0);
  ExecStatusType status = PQresultStatus(result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    return PgResult(result);
  }
  absl::Status error = StatusFromResult(result, conn_);
  PQclear(result);
  return error;
}

PgConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), conn_(std::move(other.conn_)) {}

PgConnectionPool::Lease::~Lease() {
  if (conn_ != nullptr) pool_->Release(std::move(conn_));
}

PgConnectionPool::PgConnectionPool(std::string conninfo, int max_size)
    : conninfo_(std::move(conninfo)), max_size_(max_size) {}

absl::StatusOr<PgConnectionPool::Lease> PgConnectionPool::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    auto slot_free = [this] {
      mu_.AssertHeld();
      return leased_ < max_size_;
    };
    mu_.Await(absl::Condition(&slot_free));
    ++leased_;
    if (!idle_.empty()) {
      std::unique_ptr<PgConnection> conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
  }
  // Connecting takes a round trip or more; do it without the lock.
  absl::StatusOr<std::unique_ptr<PgConnection>> conn =
      PgConnection::Connect(conninfo_);
  if (!conn.ok()) {
    absl::MutexLock lock(&mu_);
    --leased_;
    return conn.status();
  }
  return Lease(this, *std::move(conn));
}

void PgConnectionPool::Release(std::unique_ptr<PgConnection> conn) {
  absl::MutexLock lock(&mu_);
  --leased_;
  if (conn->healthy()) idle_.push_back(std::move(conn));
}

}  // namespace sfs::frontend
