#include "sfs-frontend/catalog/open_catalog.h"

#include "absl/strings/match.h"
#include "sfs-frontend/catalog/embedded_catalog.h"
#include "sfs-frontend/catalog/postgres_catalog.h"

namespace sfs::frontend {

bool IsPostgresCatalogSpec(const std::string& spec) {
  return absl::StartsWith(spec, "postgres://") ||
         absl::StartsWith(spec, "postgresql://") ||
         absl::StrContains(spec, "dbname=") || absl::StrContains(spec, "host=");
}

absl::StatusOr<std::unique_ptr<Catalog>> OpenCatalog(const std::string& spec) {
  if (IsPostgresCatalogSpec(spec)) {
    auto catalog = PostgresCatalog::Open(spec);
    if (!catalog.ok()) return catalog.status();
    return std::unique_ptr<Catalog>(std::move(*catalog));
  }
  auto catalog = EmbeddedCatalog::Open(spec);
  if (!catalog.ok()) return catalog.status();
  return std::unique_ptr<Catalog>(std::move(*catalog));
}

}  // namespace sfs::frontend
