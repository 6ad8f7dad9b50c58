// The PostgreSQL catalog's schema as an ordered list of migrations, and the
// routine that applies the missing ones.
//
// Applied versions are recorded in schema_migrations. Migrating is
// idempotent and safe when several frontend replicas start at once: all
// pending migrations run in one transaction that first takes a
// transaction-scoped advisory lock, so replicas queue up, and each one after
// the first finds nothing left to do.

#ifndef SFS_FRONTEND_CATALOG_POSTGRES_SCHEMA_H_
#define SFS_FRONTEND_CATALOG_POSTGRES_SCHEMA_H_

#include <vector>

#include "absl/status/status.h"
#include "sfs-frontend/catalog/postgres_connection.h"

namespace sfs::frontend {

struct PgMigration {
  int version;  // 1, 2, 3, ... without gaps
  const char* description;
  // Run in order; each is a single statement (PQexecParams allows no more).
  std::vector<const char*> statements;
};

// Every migration in version order. Append only: a released migration may
// already have run somewhere and is never edited.
const std::vector<PgMigration>& PgMigrations();

// Applies the migrations `conn`'s database lacks, all or none. A database
// with versions newer than this binary knows is left alone (a rolling
// upgrade where a newer replica migrated first); migrations must therefore
// stay compatible with the previous release.
absl::Status MigrateSchema(PgConnection& conn);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_CATALOG_POSTGRES_SCHEMA_H_
