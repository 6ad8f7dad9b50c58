// StallWatchdog cancels a gRPC call that waits too long inside one Read or
// Write: a peer that is alive but stalled (a hung disk, a stopped process)
// would otherwise block the stream forever, since a whole-transfer deadline
// would also cut long healthy transfers. Only the time spent inside one
// operation counts, never the caller's own pace between operations.
//
// Servers use it too: a chunkserver's write stream whose upstream sends
// nothing for the limit is cancelled, so a writer that vanished without
// closing its connection cannot hold a chunk and a thread for ever.
//
// One background thread per watchdog. Thread-safe.
#ifndef SFS_COMMON_STALL_WATCHDOG_H_
#define SFS_COMMON_STALL_WATCHDOG_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <map>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace sfs {

class StallWatchdog {
 public:
  explicit StallWatchdog(absl::Duration limit);
  ~StallWatchdog();

  absl::Duration limit() const { return limit_; }

  // Runs `operation` (one blocking Read or Write of the call `context`
  // belongs to) and returns its result; cancels the call if the operation
  // takes longer than the limit, and then sets *stalled.
  bool Watch(grpc::ClientContext* context, absl::FunctionRef<bool()> operation,
             bool* stalled);
  // The same for a call this process serves.
  bool Watch(grpc::ServerContext* context, absl::FunctionRef<bool()> operation,
             bool* stalled);

 private:
  // The call to cancel: exactly one of the two is set.
  struct Call {
    grpc::ClientContext* client = nullptr;
    grpc::ServerContext* server = nullptr;
  };
  bool WatchCall(Call call, absl::FunctionRef<bool()> operation, bool* stalled);
  uint64_t Arm(Call call);
  // Returns whether the call was cancelled as stalled.
  bool Disarm(uint64_t token);

  struct Armed {
    Call call;
    absl::Time deadline;
    bool fired;
  };
  void Run();

  const absl::Duration limit_;
  absl::Mutex mu_;
  uint64_t next_token_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, Armed> watches_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace sfs

#endif  // SFS_COMMON_STALL_WATCHDOG_H_
