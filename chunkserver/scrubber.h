// Scrubber reads every sealed replica through its checksums once per
// `period`, paced so the pass spreads over the period instead of bursting,
// and quarantines any replica that fails: the store deletes it and reports
// it as corrupt, and the master re-replicates from a healthy copy. This finds
// bit rot and truncation on chunks nobody reads. Each pass also drops open
// chunks idle for kOpenChunkIdleLimit (left behind by write pipelines that
// dropped this replica and went on without it).
//
// Runs one background thread. `store` must outlive the scrubber.
#ifndef SFS_CHUNKSERVER_SCRUBBER_H_
#define SFS_CHUNKSERVER_SCRUBBER_H_

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "chunkserver/chunk_store.h"
#include "common/bandwidth_limiter.h"

namespace sfs {

// An open chunk unwritten this long has no writer coming back for it.
inline constexpr absl::Duration kOpenChunkIdleLimit = absl::Hours(1);

class Scrubber {
 public:
  // `bytes_per_second` caps the read rate (0: unlimited).
  Scrubber(ChunkStore* store, absl::Duration period, uint64_t bytes_per_second);
  ~Scrubber();  // stops the thread

  void Start();

  // Verifies every sealed chunk once; returns how many were quarantined.
  int ScrubOnce();

  // Where the scrubber is, for metrics: passes finished, and the chunks of
  // the current (or last) pass, verified so far and in all.
  struct Progress {
    uint64_t passes = 0;
    uint64_t pass_verified = 0;
    uint64_t pass_chunks = 0;
  };
  Progress progress() const;

 private:
  void Run();

  ChunkStore* const store_;
  const absl::Duration period_;
  BandwidthLimiter limiter_;
  std::atomic<uint64_t> passes_{0};
  std::atomic<uint64_t> pass_verified_{0};
  std::atomic<uint64_t> pass_chunks_{0};
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace sfs

#endif  // SFS_CHUNKSERVER_SCRUBBER_H_
