// Test fixtures: an empty, private catalog store of each kind, which tests
// may open more than once (a restart, or a second replica).

#ifndef SFS_FRONTEND_CATALOG_TESTING_CATALOG_STORES_H_
#define SFS_FRONTEND_CATALOG_TESTING_CATALOG_STORES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sfs-frontend/catalog/catalog.h"

namespace sfs::frontend {

enum class CatalogKind { kEmbedded, kPostgres };

std::vector<CatalogKind> AllCatalogKinds();
std::string CatalogKindName(CatalogKind kind);  // "Embedded", "Postgres"

// Storage for one test: a temporary RocksDB directory, or a fresh database
// on the process's PostgreSQL test server. Removed with the store (the
// embedded directory) or with the server (the database).
class CatalogStore {
 public:
  virtual ~CatalogStore() = default;
  // A new Catalog instance over this store. Instances of an embedded store
  // cannot be open at the same time; PostgreSQL ones can.
  virtual absl::StatusOr<std::unique_ptr<Catalog>> Open() = 0;
};

absl::StatusOr<std::unique_ptr<CatalogStore>> NewCatalogStore(CatalogKind kind);

// A catalog already open on a fresh store. Members are declared so that the
// catalog is destroyed before its store.
struct OpenTestCatalog {
  std::unique_ptr<CatalogStore> store;
  std::unique_ptr<Catalog> catalog;
};
absl::StatusOr<OpenTestCatalog> NewOpenCatalog(CatalogKind kind);

// The PostgreSQL server this test process shares among its stores, started
// on first use and stopped at exit.
absl::StatusOr<std::string> NewPostgresDatabase();

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_CATALOG_TESTING_CATALOG_STORES_H_
