#include "sfs-frontend/server/audit_log.h"

#include <httplib.h>

#include <map>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "sfs-frontend/server/frontend_services.h"
#include "sfs-frontend/server/http_error.h"

namespace sfs::frontend {
namespace {

constexpr size_t kMaxField = 256;
constexpr absl::Duration kForgetEvery = absl::Hours(1);

// Printable ASCII, at most kMaxField bytes: any text a client sent is safe
// to store and to show.
std::string Field(const std::string& text) {
  std::string escaped = absl::CHexEscape(text);
  if (escaped.size() > kMaxField) escaped.resize(kMaxField);
  return escaped;
}

}  // namespace

std::optional<std::string> AuditedAction(const std::string& route,
                                         const std::string& method) {
  static const auto* const kActions =
      new std::map<std::pair<std::string, std::string>, std::string>{
          {{"rotate_signing_keys", "POST"}, "signing_keys.rotate"},
          {{"namespaces", "POST"}, "namespace.create"},
          {{"namespace", "PUT"}, "namespace.update"},
          {{"namespace", "PATCH"}, "namespace.update"},
          {{"namespace", "DELETE"}, "namespace.delete"},
          {{"delete_files", "POST"}, "file.delete"},
          {{"legacy_delete", "POST"}, "file.delete"},
          {{"legacy_delete", "DELETE"}, "file.delete"},
          {{"file", "DELETE"}, "file.delete"},
          {{"move", "POST"}, "file.move"},
          {{"supabase_buckets", "POST"}, "namespace.create"},
          {{"supabase_bucket", "PUT"}, "namespace.update"},
          {{"supabase_bucket", "DELETE"}, "namespace.delete"},
          {{"supabase_bucket_empty", "POST"}, "file.delete"},
          {{"supabase_move", "POST"}, "file.move"},
          {{"supabase_object", "DELETE"}, "file.delete"},
          {{"supabase_remove_many", "DELETE"}, "file.delete"},
      };
  auto it = kActions->find({route, method});
  if (it == kActions->end()) return std::nullopt;
  return it->second;
}

std::string AuditActor(const absl::StatusOr<Identity>& identity) {
  if (!identity.ok()) return "invalid credential";
  return identity->anonymous() ? "anonymous" : identity->user;
}

AuditLog::AuditLog(Catalog* catalog, const Authenticator* authenticator,
                   absl::Duration retention)
    : catalog_(catalog), authenticator_(authenticator), retention_(retention) {}

void AuditLog::Answered(const HttpCall& call, const std::string& route,
                        const absl::Status& status) {
  std::optional<std::string> action = AuditedAction(route, call.req.method);
  if (!action.has_value()) return;
  Record(call,
         AuditActor(authenticator_->Authenticate(Presented(call), absl::Now())),
         *action, call.req.path, status);
}

void AuditLog::Record(const HttpCall& call, const std::string& actor,
                      const std::string& action, const std::string& target,
                      const absl::Status& status) {
  const absl::Time now = absl::Now();
  std::string outcome = "ok";
  if (!status.ok()) {
    const HttpError error = ToHttpError(status);
    outcome = absl::StrCat(error.status, " ", error.code);
  } else if (call.res.status >= 400) {
    outcome = absl::StrCat(call.res.status);
  }
  AuditEvent event{
      absl::ToUnixMicros(now), Field(actor), Field(action),
      Field(target),           outcome,      Field(call.req.remote_addr)};
  if (absl::Status written = catalog_->AppendAudit(event); !written.ok()) {
    Log("audit: cannot record ", event.action, " by ", event.actor, ": ",
        written.ToString());
  }
  Forget(now);
}

void AuditLog::Forget(absl::Time now) {
  {
    absl::MutexLock lock(&mu_);
    if (now - last_forget_ < kForgetEvery) return;
    last_forget_ = now;
  }
  absl::StatusOr<int64_t> forgotten =
      catalog_->ForgetAuditBefore(absl::ToUnixMicros(now - retention_));
  if (!forgotten.ok()) {
    Log("audit: cannot forget old events: ", forgotten.status().ToString());
  }
}

}  // namespace sfs::frontend
