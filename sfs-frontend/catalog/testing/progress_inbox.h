// Collects the progress events a subscription receives, for tests. Waiting
// is bounded because PostgreSQL delivers asynchronously.

#ifndef SFS_FRONTEND_CATALOG_TESTING_PROGRESS_INBOX_H_
#define SFS_FRONTEND_CATALOG_TESTING_PROGRESS_INBOX_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sfs-frontend/catalog/catalog.h"

namespace sfs::frontend {

// Thread-safe. Must outlive the subscription its Callback was given to.
class ProgressInbox {
 public:
  ProgressCallback Callback();
  // True once `event` has arrived; false if it did not within `timeout`.
  bool WaitFor(const std::string& event,
               absl::Duration timeout = absl::Seconds(10));
  // Everything received so far, in arrival order.
  std::vector<std::string> events();

 private:
  absl::Mutex mu_;
  std::vector<std::string> events_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_CATALOG_TESTING_PROGRESS_INBOX_H_
