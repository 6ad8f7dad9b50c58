// StallWatchdog cancels a gRPC call that waits too
// long for its next message: a replica that is alive but stalled (a hung
// disk, a stopped process) would otherwise block a reader forever, since a
// whole-transfer deadline would also cut long healthy transfers. Only the
// time spent waiting inside one Read counts, never the consumer's own pace.
//
// One background thread per watchdog. Thread-safe.
#ifndef SFS_COMMON_STALL_WATCHDOG_H_
#define SFS_COMMON_STALL_WATCHDOG_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <map>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace sfs {

class StallWatchdog {
 public:
  explicit StallWatchdog(absl::Duration limit);
  ~StallWatchdog();

  // Cancels `context` unless Disarm(token) comes within the limit. `context`
  // must stay alive until Disarm returns.
  uint64_t Arm(grpc::ClientContext* context);
  // Returns whether the call was cancelled as stalled.
  bool Disarm(uint64_t token);

 private:
  struct Watch {
    grpc::ClientContext* context;
    absl::Time deadline;
    bool fired;
  };
  void Run();

  const absl::Duration limit_;
  absl::Mutex mu_;
  uint64_t next_token_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, Watch> watches_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace sfs

#endif  // SFS_COMMON_STALL_WATCHDOG_H_
