#include "sfs-frontend/server/client_budget.h"

#include "absl/strings/str_cat.h"
#include "sfs-frontend/server/http_error.h"

namespace sfs::frontend {

ClientBudget::Slot::~Slot() { budget_->Release(client_); }

ClientBudget::ClientBudget(std::string what, int64_t global, int64_t per_client)
    : what_(std::move(what)), global_(global), per_client_(per_client) {}

absl::StatusOr<std::unique_ptr<ClientBudget::Slot>> ClientBudget::TryAcquire(
    const std::string& client) {
  absl::MutexLock lock(&mu_);
  if (in_use_ >= global_) {
    return absl::UnavailableError(
        absl::StrCat("server busy: all ", global_, " ", what_, " in use"));
  }
  int64_t& mine = by_client_[client];
  if (per_client_ > 0 && mine >= per_client_) {
    return TooManyRequestsError(absl::StrCat(
        "too many ", what_, " from ", client, " (at most ", per_client_, ")"));
  }
  ++mine;
  ++in_use_;
  return std::unique_ptr<Slot>(new Slot(this, client));
}

void ClientBudget::Release(const std::string& client) {
  absl::MutexLock lock(&mu_);
  --in_use_;
  auto it = by_client_.find(client);
  if (--it->second == 0) by_client_.erase(it);
}

}  // namespace sfs::frontend
