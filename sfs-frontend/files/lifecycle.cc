#include "sfs-frontend/files/lifecycle.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace sfs::frontend {

std::optional<absl::Time> Retention::ExpiresAt(
    const NamespacePolicies& policies, const FileInfo& file) const {
  if (!policies.retention_days) return std::nullopt;
  return absl::FromUnixMicros(file.modified_unix_micros) +
         *policies.retention_days * day_;
}

bool Retention::Expired(const NamespacePolicies& policies, const FileInfo& file,
                        absl::Time now) const {
  std::optional<absl::Time> expires = ExpiresAt(policies, file);
  return expires && *expires <= now;
}

LifecycleSweeper::LifecycleSweeper(Client* client, Catalog* catalog,
                                   Retention retention, absl::Duration interval)
    : client_(client),
      catalog_(catalog),
      retention_(retention),
      interval_(interval) {}

LifecycleSweeper::~LifecycleSweeper() { Stop(); }

void LifecycleSweeper::Start() {
  thread_ = std::thread([this] { Run(); });
}

void LifecycleSweeper::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void LifecycleSweeper::Run() {
  absl::MutexLock lock(&mu_);
  while (!mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_)) {
    mu_.Unlock();
    SweepOnce(absl::Now());
    mu_.Lock();
  }
}

int LifecycleSweeper::SweepOnce(absl::Time now) {
  auto namespaces = catalog_->ListNamespaces("");
  if (!namespaces.ok()) {
    Log("lifecycle: cannot list namespaces: ", namespaces.status().ToString());
    return 0;
  }
  int deleted = 0;
  for (const NamespaceRecord& ns : *namespaces) {
    if (ns.policies.retention_days) deleted += SweepNamespace(ns, now);
  }
  return deleted;
}

int LifecycleSweeper::SweepNamespace(const NamespaceRecord& ns,
                                     absl::Time now) {
  int deleted = 0;
  std::string cursor;
  do {
    auto page = client_->List(absl::StrCat("/", ns.name, "/"), cursor);
    if (!page.ok()) {
      Log("lifecycle: cannot list ", ns.name, ": ", page.status().ToString());
      return deleted;
    }
    for (const FileInfo& file : page->files) {
      if (!retention_.Expired(ns.policies, file, now)) continue;
      absl::Status status = client_->Delete(file.path, file.generation);
      // NotFound / FailedPrecondition: another replica swept it, or a new
      // upload replaced it since the listing; either way nothing to do.
      if (status.ok()) {
        ++deleted;
      } else if (!absl::IsNotFound(status) &&
                 !absl::IsFailedPrecondition(status)) {
        Log("lifecycle: cannot delete expired ", file.path, ": ",
            status.ToString());
      }
    }
    cursor = page->next_start_after;
  } while (!cursor.empty());
  if (deleted > 0) Log("lifecycle: deleted ", deleted, " expired in ", ns.name);
  return deleted;
}

}  // namespace sfs::frontend
