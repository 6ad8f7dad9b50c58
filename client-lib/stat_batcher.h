// Internal to client-lib. Lets the Stat calls of many threads share master
// calls: a thread that asks while `max_in_flight` calls are already out
// waits, with the others that arrive meanwhile, for one to return, and the
// first of them then sends the whole group in one StatMany call. Under
// concurrent lookups (a frontend serving many small GETs) the master and
// this client then pay the per-call cost (gRPC, TLS, a server thread
// hand-off) once per group rather than once per lookup; a lone lookup goes
// out at once, as a plain Stat.
//
// Never stale: a lookup only ever joins a call sent after it was asked, so
// it sees every change the master completed before it was asked, exactly
// as a Stat of its own would.
//
// Thread-safe.
#ifndef SFS_CLIENT_LIB_STAT_BATCHER_H_
#define SFS_CLIENT_LIB_STAT_BATCHER_H_

#include <cstddef>
#include <deque>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "proto/sfs.pb.h"

namespace sfs {

class MasterConnection;

class StatBatcher {
 public:
  // `master` must outlive the batcher.
  StatBatcher(MasterConnection* master, int max_in_flight, size_t max_group);
  StatBatcher(const StatBatcher&) = delete;
  StatBatcher& operator=(const StatBatcher&) = delete;

  // What Master::Stat answers for `request`.
  absl::StatusOr<proto::StatResponse> Stat(const proto::StatRequest& request);

 private:
  struct Lookup {
    const proto::StatRequest* request;
    absl::StatusOr<proto::StatResponse> result;
    bool done = false;
  };

  struct Waiting {
    StatBatcher* batcher;
    Lookup* lookup;
  };
  // The condition a waiting Stat waits for (mu_ held).
  static bool CanProceed(Waiting* waiting) ABSL_NO_THREAD_SAFETY_ANALYSIS;

  // Sends `group` (taken off the queue) and records each answer.
  void Send(const std::deque<Lookup*>& group);

  MasterConnection* const master_;
  const int max_in_flight_;
  const size_t max_group_;
  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<Lookup*> queue_ ABSL_GUARDED_BY(mu_);  // not yet sent
};

}  // namespace sfs

#endif  // SFS_CLIENT_LIB_STAT_BATCHER_H_
