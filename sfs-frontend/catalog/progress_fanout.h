// The subscriber list behind Catalog::Subscribe: delivers each event to every
// live subscription in this process. EmbeddedCatalog calls Deliver on the
// publisher's thread; PostgresCatalog calls it from its LISTEN thread.

#ifndef SFS_FRONTEND_CATALOG_PROGRESS_FANOUT_H_
#define SFS_FRONTEND_CATALOG_PROGRESS_FANOUT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "sfs-frontend/catalog/catalog.h"

namespace sfs::frontend {

// Thread-safe. Subscriptions must be destroyed before the fanout.
class ProgressFanout {
 public:
  ProgressFanout() = default;
  ProgressFanout(const ProgressFanout&) = delete;
  ProgressFanout& operator=(const ProgressFanout&) = delete;

  std::unique_ptr<ProgressSubscription> Subscribe(ProgressCallback callback);

  // Calls every current subscriber with `json_event`, one after another.
  // Holds the lock throughout, which is what lets a subscription's
  // destructor promise that its callback is no longer running.
  void Deliver(const std::string& json_event);

 private:
  class Subscription;

  void Unsubscribe(uint64_t id);

  absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, ProgressCallback> callbacks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_CATALOG_PROGRESS_FANOUT_H_
