// What the route handlers share: the file service, the authenticator, the
// progress hub and the counters (and the client and catalog for what is not
// about files). Owned by Frontend
// (frontend.h); handlers hold a pointer and never own any of it.
#ifndef SFS_FRONTEND_SERVER_FRONTEND_SERVICES_H_
#define SFS_FRONTEND_SERVER_FRONTEND_SERVICES_H_

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "client-lib/client.h"
#include "sfs-frontend/auth/authenticator.h"
#include "sfs-frontend/catalog/catalog.h"
#include "sfs-frontend/files/file_service.h"
#include "sfs-frontend/files/resumable_uploads.h"
#include "sfs-frontend/server/content_origin.h"
#include "sfs-frontend/server/metrics.h"
#include "sfs-frontend/server/progress_hub.h"
#include "sfs-frontend/server/router.h"

namespace sfs::frontend {

class AuditLog;

struct FrontendServices {
  // Every namespace and file operation, with its policy.
  FileService* files;
  // Uploads sent over many requests (TUS).
  ResumableUploads* resumable;
  // For what is not about files: cluster status, readiness, accounts.
  Client* client;
  Catalog* catalog;
  const Authenticator* authenticator;
  ProgressHub* progress;
  Metrics* metrics;
  // Security events (audit_log.h).
  AuditLog* audit;
  // HS256 secret for minting session tokens at /api/login; empty when the
  // frontend only verifies tokens from another issuer.
  std::string jwt_secret;
  // Where files shown inline are served (content_origin.h).
  const ContentOrigin* content_origin;
};

// The credentials `call` carries, as received.
PresentedCredentials Presented(const HttpCall& call);

// The caller of `call` (anonymous if it presents no credential).
absl::StatusOr<Identity> Authenticate(const FrontendServices& services,
                                      const HttpCall& call);

// The grant of `call`'s `signature` parameter (a signed URL), if it checks
// out and is for `action` on `path` in namespace `ns`; PermissionDenied
// otherwise.
absl::StatusOr<SignedGrant> RedeemSignature(const FrontendServices& services,
                                            const HttpCall& call,
                                            const std::string& ns,
                                            const std::string& path,
                                            SignedGrant::Action action);

// The `version` query parameter of `call`: 0 when absent, InvalidArgument
// when it is not a positive number.
absl::StatusOr<uint64_t> RequestedVersion(const HttpCall& call);

// The transfer id the client chose: the X-Transfer-Id header or the `id`
// query parameter; empty when neither is sent. InvalidArgument unless it is
// 1 to 128 characters of letters, digits and ._:- (ids are keys every
// replica keeps).
absl::StatusOr<std::string> RequestedTransferId(const HttpCall& call);

// The key progress of `call`'s transfer is published and watched under
// (empty when it names no transfer id): "<owner>/<id>", where the owner is
// `user`, the user the handler authenticated `call` as, or "@<client
// address>" when it is empty (anonymous calls, signed URLs among them). So
// a transfer can be watched only with the credentials it was made with
// (or a watch token), and nobody can publish into another's transfer; a
// watcher without credentials sees only anonymous transfers from its own
// address.
absl::StatusOr<std::string> TransferKey(const std::string& user,
                                        const HttpCall& call);

// The whole body of a small request (JSON), 413 beyond `max_bytes`.
absl::StatusOr<std::string> ReadSmallBody(const HttpCall& call,
                                          size_t max_bytes = 64 << 10);

// The body of `call` as a JSON object (InvalidArgument if it is not one).
absl::StatusOr<nlohmann::json> ReadJsonObject(const HttpCall& call);

// Whole Unix seconds: how the API writes times (the original service's
// format, which its clients parse).
int64_t UnixSeconds(int64_t unix_micros);

// Sets `json` (already serialised) as the body with `status`.
void WriteJson(const HttpCall& call, int status, const std::string& json);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_FRONTEND_SERVICES_H_
