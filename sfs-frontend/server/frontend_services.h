// What the route handlers share: the cluster client, the catalog, the
// authenticator, the progress hub and the counters. Owned by Frontend
// (frontend.h); handlers hold a pointer and never own any of it.
#ifndef SFS_FRONTEND_SERVER_FRONTEND_SERVICES_H_
#define SFS_FRONTEND_SERVER_FRONTEND_SERVICES_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "client-lib/client.h"
#include "sfs-frontend/auth/authenticator.h"
#include "sfs-frontend/catalog/catalog.h"
#include "sfs-frontend/server/lifecycle.h"
#include "sfs-frontend/server/metrics.h"
#include "sfs-frontend/server/progress_hub.h"
#include "sfs-frontend/server/router.h"

namespace sfs::frontend {

struct FrontendServices {
  Client* client;
  Catalog* catalog;
  const Authenticator* authenticator;
  ProgressHub* progress;
  Metrics* metrics;
  // HS256 secret for minting session tokens at /api/login; empty when the
  // frontend only verifies tokens from another issuer.
  std::string jwt_secret;
  // Files of namespaces with retention_days are gone once expired.
  Retention retention;
};

// The caller of `call` (anonymous if it presents no credential).
absl::StatusOr<Identity> Authenticate(const FrontendServices& services,
                                      const HttpCall& call);

// What a route does to a namespace; auth/authorizer.h says who may.
enum class NamespaceAccess {
  kReadFiles,
  kCreateFiles,
  kDeleteFiles,
  kUpdateNamespace,
  kDeleteNamespace,
};

// The record of namespace `name`, once the caller of `call` is known and
// allowed `access` to it: Unauthenticated, PermissionDenied, NotFound or
// InvalidArgument (a malformed name) otherwise.
absl::StatusOr<NamespaceRecord> AuthorizeNamespace(
    const FrontendServices& services, const HttpCall& call,
    const std::string& name, NamespaceAccess access);

// "/<ns>/<path>" after checking both halves (InvalidArgument on traversal,
// bad UTF-8, overlong names, ...).
absl::StatusOr<std::string> ClusterPath(const std::string& ns,
                                        const std::string& path);

// The file at `full_path` in `ns` as a reader may see it: `generation` 0 for
// the current one, else that old version. NotFound for a missing or expired
// file.
absl::StatusOr<FileInfo> StatVisible(const FrontendServices& services,
                                     const NamespaceRecord& ns,
                                     const std::string& full_path,
                                     uint64_t generation = 0);

// NotFound if `current`, the current file of a path in `ns`, has expired
// under the namespace's retention (and with it every old version).
absl::Status CheckNotExpired(const FrontendServices& services,
                             const NamespaceRecord& ns,
                             const FileInfo& current);

// The `version` query parameter of `call`: 0 when absent, InvalidArgument
// when it is not a positive number.
absl::StatusOr<uint64_t> RequestedVersion(const HttpCall& call);

// What namespace `ns` stores in the cluster, old versions included.
absl::StatusOr<StorageUsage> CountNamespace(Client* client,
                                            const std::string& ns);

// The whole body of a small request (JSON), 413 beyond `max_bytes`.
absl::StatusOr<std::string> ReadSmallBody(const HttpCall& call,
                                          size_t max_bytes = 64 << 10);

// Whole Unix seconds: how the API writes times (the original service's
// format, which its clients parse).
int64_t UnixSeconds(int64_t unix_micros);

// Sets `json` (already serialised) as the body with `status`.
void WriteJson(const HttpCall& call, int status, const std::string& json);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_FRONTEND_SERVICES_H_
