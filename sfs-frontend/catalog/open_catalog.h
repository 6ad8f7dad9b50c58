// Opens the catalog a frontend or the CLI is pointed at with one string, the
// value of their --catalog flag:
//   "postgres://..." / "postgresql://..."  a PostgresCatalog (any replicas)
//   "host=... dbname=..."                   the same, as libpq key=value text
//   anything else                           an EmbeddedCatalog in that folder
#ifndef SFS_FRONTEND_CATALOG_OPEN_CATALOG_H_
#define SFS_FRONTEND_CATALOG_OPEN_CATALOG_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "sfs-frontend/catalog/catalog.h"

namespace sfs::frontend {

// True iff `spec` names a PostgreSQL database rather than a folder.
bool IsPostgresCatalogSpec(const std::string& spec);

absl::StatusOr<std::unique_ptr<Catalog>> OpenCatalog(const std::string& spec);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_CATALOG_OPEN_CATALOG_H_
