#include "sfs-frontend/catalog/postgres_schema.h"

#include <string>

#include "absl/strings/numbers.h"
#include "common/status_macros.h"

namespace sfs::frontend {
namespace {

// Any constant unique to this schema; all replicas must agree on it.
constexpr char kMigrationLockKey[] = "7301110210510";

// Text columns use the "C" collation so ORDER BY is byte order, as in
// EmbeddedCatalog. Times are unix microseconds, like the C++ records.
}  // namespace

const std::vector<PgMigration>& PgMigrations() {
  static const auto* migrations = new std::vector<PgMigration>{
      {1,
       "namespaces, users, api_tokens",
       {R"sql(CREATE TABLE namespaces (
              name text COLLATE "C" PRIMARY KEY,
              owner_id text COLLATE "C" NOT NULL,
              visibility smallint NOT NULL CHECK (visibility IN (0, 1)),
              hidden boolean NOT NULL,
              max_file_bytes bigint,
              allowed_mime_types jsonb NOT NULL,
              quota_bytes bigint,
              retention_days integer,
              keep_versions integer,
              created_at bigint NOT NULL))sql",
        R"sql(CREATE INDEX namespaces_by_owner ON namespaces (owner_id, name))sql",
        R"sql(CREATE TABLE users (
              username text COLLATE "C" PRIMARY KEY,
              password_hash text NOT NULL,
              is_admin boolean NOT NULL,
              created_at bigint NOT NULL))sql",
        R"sql(CREATE TABLE api_tokens (
              id text COLLATE "C" PRIMARY KEY,
              username text COLLATE "C" NOT NULL
                  REFERENCES users (username) ON DELETE CASCADE,
              scopes jsonb NOT NULL,
              secret_hash text NOT NULL UNIQUE,
              expires_at bigint NOT NULL,
              created_at bigint NOT NULL))sql",
        R"sql(CREATE INDEX api_tokens_by_user ON api_tokens (username, id))sql"}},
      {2,
       "signing_keys, single_use_grants",
       {R"sql(CREATE TABLE signing_keys (
              id text COLLATE "C" PRIMARY KEY,
              secret bytea NOT NULL,
              created_at bigint NOT NULL))sql",
        R"sql(CREATE TABLE single_use_grants (
              id text COLLATE "C" PRIMARY KEY,
              expires_at bigint NOT NULL))sql",
        R"sql(CREATE INDEX single_use_grants_by_expiry
              ON single_use_grants (expires_at, id))sql"}},
      {3,
       "audit_events",
       {R"sql(CREATE TABLE audit_events (
              seq bigserial PRIMARY KEY,
              at bigint NOT NULL,
              actor text NOT NULL,
              action text NOT NULL,
              target text NOT NULL,
              outcome text NOT NULL,
              address text NOT NULL))sql",
        R"sql(CREATE INDEX audit_events_by_time ON audit_events (at, seq))sql"}},
  };
  return *migrations;
}

namespace {

absl::Status ApplyPending(PgConnection& conn) {
  RETURN_IF_ERROR(
      conn.Exec("SELECT pg_advisory_xact_lock($1)", {kMigrationLockKey})
          .status());
  RETURN_IF_ERROR(conn.Exec(R"sql(CREATE TABLE IF NOT EXISTS schema_migrations (
                                    version integer PRIMARY KEY,
                                    description text NOT NULL,
                                    applied_at timestamptz NOT NULL
                                        DEFAULT now()))sql")
                      .status());
  ASSIGN_OR_RETURN(
      PgResult applied,
      conn.Exec("SELECT COALESCE(max(version), 0) FROM schema_migrations"));
  int current = 0;
  if (!absl::SimpleAtoi(applied.Text(0, 0), &current)) {
    return absl::InternalError("unreadable schema_migrations version");
  }
  for (const PgMigration& migration : PgMigrations()) {
    if (migration.version <= current) continue;
    for (const char* statement : migration.statements) {
      RETURN_IF_ERROR(conn.Exec(statement).status());
    }
    RETURN_IF_ERROR(
        conn.Exec("INSERT INTO schema_migrations (version, description) "
                  "VALUES ($1, $2)",
                  {std::to_string(migration.version), migration.description})
            .status());
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status MigrateSchema(PgConnection& conn) {
  RETURN_IF_ERROR(conn.Exec("BEGIN").status());
  absl::Status applied = ApplyPending(conn);
  if (!applied.ok()) {
    // Best effort: if the connection broke, the server rolls back anyway.
    conn.Exec("ROLLBACK").IgnoreError();
    return applied;
  }
  return conn.Exec("COMMIT").status();
}

}  // namespace sfs::frontend
