// BandwidthLimiter paces background work (re-replication, scrubbing) to a
// byte rate so it never starves client traffic. Thread-safe; callers block in
// Acquire until their bytes fit the rate.
#ifndef SFS_COMMON_BANDWIDTH_LIMITER_H_
#define SFS_COMMON_BANDWIDTH_LIMITER_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace sfs {

class BandwidthLimiter {
 public:
  // `bytes_per_second` 0 means unlimited.
  explicit BandwidthLimiter(uint64_t bytes_per_second);

  // Blocks until `bytes` may be spent.
  void Acquire(uint64_t bytes);

 private:
  const uint64_t bytes_per_second_;
  absl::Mutex mu_;
  // When the bytes granted so far will have drained at the configured rate.
  absl::Time next_free_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace sfs

#endif  // SFS_COMMON_BANDWIDTH_LIMITER_H_
