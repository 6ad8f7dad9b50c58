// JSON encodings of catalog records: the value format of EmbeddedCatalog and
// of PostgresCatalog's list-valued columns (jsonb). JSON keeps stored data
// readable with ordinary tools and lets fields be added compatibly.

#ifndef SFS_FRONTEND_CATALOG_RECORD_JSON_H_
#define SFS_FRONTEND_CATALOG_RECORD_JSON_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sfs-frontend/catalog/catalog.h"

namespace sfs::frontend {

std::string EncodeJson(const NamespaceRecord& record);
std::string EncodeJson(const UserRecord& record);
std::string EncodeJson(const ApiTokenRecord& record);
// The secret, raw bytes that JSON strings cannot carry, is lowercase hex.
std::string EncodeJson(const SigningKeyRecord& record);
std::string EncodeJson(const AuditEvent& event);
std::string EncodeJson(const std::vector<std::string>& strings);

// T is one of the types EncodeJson takes. DataLoss if `json` is not what
// EncodeJson produces for T: stored data that does not decode is corrupt.
template <typename T>
absl::StatusOr<T> DecodeJson(absl::string_view json);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_CATALOG_RECORD_JSON_H_
