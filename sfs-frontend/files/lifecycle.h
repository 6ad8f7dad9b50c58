// Namespace lifecycle policies over time: `retention_days` expiry.
//
// A file expires `retention_days` after its current content was written
// (an overwrite starts the clock again, as with S3 lifecycle rules). Expiry
// is exact for readers: handlers ask Retention and treat an expired file as
// gone at once. Its storage is reclaimed by LifecycleSweeper, which every
// replica runs: deletes are conditional on the generation the sweeper saw,
// so sweeps racing each other, or a fresh upload to the same path, are safe.
#ifndef SFS_FRONTEND_FILES_LIFECYCLE_H_
#define SFS_FRONTEND_FILES_LIFECYCLE_H_

#include <optional>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client-lib/client.h"
#include "sfs-frontend/catalog/catalog.h"

namespace sfs::frontend {

class Retention {
 public:
  // `day` is the length of one retention day: a day, except in tests.
  explicit Retention(absl::Duration day) : day_(day) {}

  // When `file` expires under `policies`; nullopt if it never does.
  std::optional<absl::Time> ExpiresAt(const NamespacePolicies& policies,
                                      const FileInfo& file) const;
  bool Expired(const NamespacePolicies& policies, const FileInfo& file,
               absl::Time now) const;

 private:
  const absl::Duration day_;
};

// Deletes expired files in the background. Thread-safe; Stop (or the
// destructor) ends the thread.
class LifecycleSweeper {
 public:
  // `client` and `catalog` must outlive the sweeper.
  LifecycleSweeper(Client* client, Catalog* catalog, Retention retention,
                   absl::Duration interval);
  ~LifecycleSweeper();

  void Start();
  void Stop();

  // One pass over every namespace with a retention policy; returns how many
  // files it deleted. Errors are logged and the pass goes on.
  int SweepOnce(absl::Time now);

 private:
  void Run();
  int SweepNamespace(const NamespaceRecord& ns, absl::Time now);

  Client* const client_;
  Catalog* const catalog_;
  const Retention retention_;
  const absl::Duration interval_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_FILES_LIFECYCLE_H_
