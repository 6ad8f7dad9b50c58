#include "chunkserver/chunkserver_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <string>

#include "common/ops_server.h"

namespace sfs {
void ChunkserverMetrics::MirroredCounter::Catch(uint64_t total) {
  if (total > seen) counter->Increment(static_cast<double>(total - seen));
  seen = total;
}

ChunkserverMetrics::ChunkserverMetrics(prometheus::Registry* registry,
                                       ChunkStore* store,
                                       const Scrubber* scrubber)
    : store_(store),
      scrubber_(scrubber),
      bytes_read_{NewCounter(registry, "sfs_chunkserver_read_bytes_total",
                             "chunk bytes read from disk and verified")},
      bytes_written_{NewCounter(registry, "sfs_chunkserver_written_bytes_total",
                                "chunk bytes written to disk")},
      checksum_failures_{NewCounter(
          registry, "sfs_chunkserver_checksum_failures_total",
          "replicas that failed their checksums (or were short) and were "
          "quarantined")},
      scrub_passes_{NewCounter(registry, "sfs_chunkserver_scrub_passes_total",
                               "completed passes of the scrubber")},
      chunks_(NewGauge(registry, "sfs_chunkserver_chunks",
                       "chunk replicas held, sealed or being written")),
      used_bytes_(NewGauge(registry, "sfs_chunkserver_disk_used_bytes",
                           "bytes held by chunk data")),
      free_bytes_(NewGauge(registry, "sfs_chunkserver_disk_free_bytes",
                           "bytes still free for chunk data")),
      disk_failed_(NewGauge(registry, "sfs_chunkserver_disk_failed",
                            "1 once a write hit an I/O error: no new chunks")),
      scrub_progress_(
          NewGauge(registry, "sfs_chunkserver_scrub_progress_ratio",
                   "fraction of the current scrub pass's chunks verified")) {}

void ChunkserverMetrics::Refresh() {
  const ChunkStoreCounters& counters = store_->counters();
  const Scrubber::Progress scrub = scrubber_->progress();
  {
    absl::MutexLock lock(&mu_);
    bytes_read_.Catch(counters.bytes_read.load(std::memory_order_relaxed));
    bytes_written_.Catch(
        counters.bytes_written.load(std::memory_order_relaxed));
    checksum_failures_.Catch(
        counters.corrupt_replicas.load(std::memory_order_relaxed));
    scrub_passes_.Catch(scrub.passes);
  }
  chunks_->Set(static_cast<double>(store_->chunk_count()));
  used_bytes_->Set(static_cast<double>(store_->used_bytes()));
  free_bytes_->Set(static_cast<double>(store_->free_bytes()));
  disk_failed_->Set(store_->disk_failed() ? 1 : 0);
  scrub_progress_->Set(scrub.pass_chunks == 0
                           ? 1.0
                           : static_cast<double>(scrub.pass_verified) /
                                 static_cast<double>(scrub.pass_chunks));
}

}  // namespace sfs
