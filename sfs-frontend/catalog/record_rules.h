// Checks every Catalog implementation runs before it touches storage, so that
// both reject exactly the same input (see catalog.h for the rules).

#ifndef SFS_FRONTEND_CATALOG_RECORD_RULES_H_
#define SFS_FRONTEND_CATALOG_RECORD_RULES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "sfs-frontend/catalog/catalog.h"

namespace sfs::frontend {

// Each returns OK or InvalidArgument saying what is wrong. Beyond the rules
// in catalog.h, every free-form string must be UTF-8 without NUL, because
// PostgreSQL text holds nothing else; checking here keeps the embedded
// catalog from accepting what the PostgreSQL one would refuse.
absl::Status CheckNamespaceRecord(const NamespaceRecord& record);
absl::Status CheckUserRecord(const UserRecord& user);
absl::Status CheckApiTokenRecord(const ApiTokenRecord& token);
absl::Status CheckSigningKeyRecord(const SigningKeyRecord& key);
// The arguments of Catalog::ClaimSingleUse that describe the grant.
absl::Status CheckSingleUseClaim(const std::string& id, int64_t expires_at);

// OK iff `event` may be stored (Catalog::AppendAudit).
absl::Status CheckAuditEvent(const AuditEvent& event);
absl::Status CheckProgressEvent(const std::string& json_event);

// How error messages name a record, e.g. `namespace "photos"`, so that both
// implementations say the same thing.
std::string QuotedName(const std::string& kind, const std::string& name);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_CATALOG_RECORD_RULES_H_
