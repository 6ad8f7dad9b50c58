#include "common/bandwidth_limiter.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace sfs {

BandwidthLimiter::BandwidthLimiter(uint64_t bytes_per_second)
    : bytes_per_second_(bytes_per_second) {}

void BandwidthLimiter::Acquire(uint64_t bytes) {
  if (bytes_per_second_ == 0) return;
  absl::Time wake;
  {
    absl::MutexLock lock(&mu_);
    absl::Time now = absl::Now();
    absl::Time start = std::max(now, next_free_);
    next_free_ =
        start + absl::Seconds(static_cast<double>(bytes) / bytes_per_second_);
    wake = start;
  }
  absl::SleepFor(wake - absl::Now());
}

}  // namespace sfs
