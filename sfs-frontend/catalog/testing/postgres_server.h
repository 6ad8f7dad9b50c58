// A real PostgreSQL server for tests, started and stopped by the test.
//
// Start() runs initdb and `pg_ctl start` in a fresh temporary directory,
// listening only on a unix socket inside that directory (no TCP port to
// collide with). PostgreSQL refuses to run as root, so when the test runs as
// root the directory is chowned to an unprivileged user ("nobody", or a
// "sfs-postgres" system user created with useradd if nobody is missing) and
// the server binaries run through `runuser -u <user> --`.
//
// When SFS_TEST_POSTGRES_URL is set, that server is used instead and nothing
// is started; databases this object creates there are dropped again.
//
// Server binaries are looked up in /usr/lib/postgresql/<newest>/bin, then on
// PATH. If there are none, Start fails: tests must not pass silently on a
// machine without PostgreSQL.

#ifndef SFS_FRONTEND_CATALOG_TESTING_POSTGRES_SERVER_H_
#define SFS_FRONTEND_CATALOG_TESTING_POSTGRES_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sfs::frontend {

class PostgresServer {
 public:
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start();

  // Stops the server (pg_ctl stop -m fast) and removes its directory, or,
  // for an external server, drops the databases CreateDatabase made.
  ~PostgresServer();

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Creates an empty database with a fresh name; returns its conninfo.
  absl::StatusOr<std::string> CreateDatabase();

 private:
  PostgresServer(std::string admin_conninfo, std::string dir,
                 std::string pg_ctl, std::string run_as);

  // libpq conninfo of the maintenance database "postgres".
  const std::string admin_conninfo_;
  // Temporary directory holding data/, the socket and logs; empty when the
  // server is external.
  const std::string dir_;
  const std::string pg_ctl_;
  const std::string run_as_;  // user to run server binaries as; "" = self
  std::vector<std::string> databases_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_CATALOG_TESTING_POSTGRES_SERVER_H_
