// The frontend's writer and reader of the catalog's audit log
// (Catalog::AppendAudit): security events every replica records in one
// place, for admins to query (GET /api/audit) and kept for `retention`.
//
// What is recorded:
//  - by the Router after the handler, every request to a mutating route of
//    security interest (AuditedAction), with the caller it authenticates,
//    the decoded path as target and the answer's outcome;
//  - by handlers whose caller is not the credential as it stands after
//    them, directly (Record): login attempts, whose actor is the username
//    tried, and logouts, whose credential no longer verifies after.
// Outcomes are "ok" or "<status> <code>". Fields are escaped to printable
// ASCII and cut to 256 bytes. A failure to record is logged, never the
// request's failure: the log must not become a way to deny service.
// Events older than `retention` are forgotten, at most once an hour, by
// whichever request records next.
//
// Thread-safety: every method may be called concurrently.
#ifndef SFS_FRONTEND_SERVER_AUDIT_LOG_H_
#define SFS_FRONTEND_SERVER_AUDIT_LOG_H_

#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sfs-frontend/auth/authenticator.h"
#include "sfs-frontend/catalog/catalog.h"
#include "sfs-frontend/server/router.h"

namespace sfs::frontend {

// The audit action of a request to route `route` with `method`, if that is
// recorded ("namespace.delete" for DELETE on "namespace").
std::optional<std::string> AuditedAction(const std::string& route,
                                         const std::string& method);

// How an audit event names the caller `identity` resolved to: its user,
// "anonymous", or "invalid credential".
std::string AuditActor(const absl::StatusOr<Identity>& identity);

class AuditLog : public RouteObserver {
 public:
  // `catalog` and `authenticator` must outlive this.
  AuditLog(Catalog* catalog, const Authenticator* authenticator,
           absl::Duration retention);

  // RouteObserver: records `call` if its route and method are audited.
  void Answered(const HttpCall& call, const std::string& route,
                const absl::Status& status) override;

  // Records `action` on `target` by `actor`, from `call`'s client.
  void Record(const HttpCall& call, const std::string& actor,
              const std::string& action, const std::string& target,
              const absl::Status& status);

 private:
  void Forget(absl::Time now);

  Catalog* const catalog_;
  const Authenticator* const authenticator_;
  const absl::Duration retention_;
  absl::Mutex mu_;
  absl::Time last_forget_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_AUDIT_LOG_H_
