// The chunkserver's Prometheus metrics beside its RPC metrics: chunk data
// read and written, replicas found corrupt, disk use and scrub progress.
// They are read from the store and the scrubber when scraped.
//
// Thread-safety: Refresh may be called from any thread.
#ifndef SFS_CHUNKSERVER_CHUNKSERVER_METRICS_H_
#define SFS_CHUNKSERVER_CHUNKSERVER_METRICS_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "chunkserver/chunk_store.h"
#include "chunkserver/scrubber.h"

namespace prometheus {
class Counter;
class Gauge;
class Registry;
}  // namespace prometheus

namespace sfs {

class ChunkserverMetrics {
 public:
  // Registers the metrics in `registry`. Every pointer must outlive this.
  ChunkserverMetrics(prometheus::Registry* registry, ChunkStore* store,
                     const Scrubber* scrubber);

  // Brings every metric up to date; called before each scrape.
  void Refresh();

 private:
  // A counter that mirrors a running total kept elsewhere.
  struct MirroredCounter {
    prometheus::Counter* counter;
    uint64_t seen = 0;
    void Catch(uint64_t total);
  };

  ChunkStore* const store_;
  const Scrubber* const scrubber_;
  absl::Mutex mu_;
  MirroredCounter bytes_read_ ABSL_GUARDED_BY(mu_);
  MirroredCounter bytes_written_ ABSL_GUARDED_BY(mu_);
  MirroredCounter checksum_failures_ ABSL_GUARDED_BY(mu_);
  MirroredCounter scrub_passes_ ABSL_GUARDED_BY(mu_);
  prometheus::Gauge* const chunks_;
  prometheus::Gauge* const used_bytes_;
  prometheus::Gauge* const free_bytes_;
  prometheus::Gauge* const disk_failed_;
  prometheus::Gauge* const scrub_progress_;
};

}  // namespace sfs

#endif  // SFS_CHUNKSERVER_CHUNKSERVER_METRICS_H_
