#include "sfs-frontend/catalog/testing/catalog_stores.h"

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "sfs-frontend/catalog/embedded_catalog.h"
#include "sfs-frontend/catalog/postgres_catalog.h"
#include "sfs-frontend/catalog/testing/postgres_server.h"

namespace sfs::frontend {
namespace {

class EmbeddedStore : public CatalogStore {
 public:
  explicit EmbeddedStore(std::string dir) : dir_(std::move(dir)) {}
  ~EmbeddedStore() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  absl::StatusOr<std::unique_ptr<Catalog>> Open() override {
    ASSIGN_OR_RETURN(std::unique_ptr<EmbeddedCatalog> catalog,
                     EmbeddedCatalog::Open(dir_ + "/catalog"));
    return catalog;
  }

 private:
  const std::string dir_;
};

class PostgresStore : public CatalogStore {
 public:
  explicit PostgresStore(std::string conninfo)
      : conninfo_(std::move(conninfo)) {}
  absl::StatusOr<std::unique_ptr<Catalog>> Open() override {
    ASSIGN_OR_RETURN(std::unique_ptr<PostgresCatalog> catalog,
                     PostgresCatalog::Open(conninfo_));
    return catalog;
  }

 private:
  const std::string conninfo_;
};

}  // namespace

std::vector<CatalogKind> AllCatalogKinds() {
  return {CatalogKind::kEmbedded, CatalogKind::kPostgres};
}

std::string CatalogKindName(CatalogKind kind) {
  return kind == CatalogKind::kEmbedded ? "Embedded" : "Postgres";
}

absl::StatusOr<std::string> NewPostgresDatabase() {
  // Never destroyed before exit; the static unique_ptr's destructor stops
  // the server when the test process ends.
  static absl::Mutex mu;
  static std::unique_ptr<PostgresServer> server;
  static absl::Status start_status;
  absl::MutexLock lock(&mu);
  if (server == nullptr && start_status.ok()) {
    absl::StatusOr<std::unique_ptr<PostgresServer>> started =
        PostgresServer::Start();
    if (started.ok()) {
      server = *std::move(started);
    } else {
      start_status = started.status();
    }
  }
  RETURN_IF_ERROR(start_status);
  return server->CreateDatabase();
}

absl::StatusOr<std::unique_ptr<CatalogStore>> NewCatalogStore(
    CatalogKind kind) {
  if (kind == CatalogKind::kPostgres) {
    ASSIGN_OR_RETURN(std::string conninfo, NewPostgresDatabase());
    return std::make_unique<PostgresStore>(std::move(conninfo));
  }
  char dir_template[] = "/tmp/sfs-catalog-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: errno ", errno));
  }
  return std::make_unique<EmbeddedStore>(dir_template);
}

absl::StatusOr<OpenTestCatalog> NewOpenCatalog(CatalogKind kind) {
  OpenTestCatalog open;
  auto store = NewCatalogStore(kind);
  if (!store.ok()) return store.status();
  open.store = std::move(*store);
  auto catalog = open.store->Open();
  if (!catalog.ok()) return catalog.status();
  open.catalog = std::move(*catalog);
  return open;
}

}  // namespace sfs::frontend
