// The master's Prometheus metrics beside its RPC metrics: files, chunks,
// live chunkservers, under-replicated chunks, the clone backlog, safe mode,
// corrupt replicas found, and the latency of synced metadata writes.
// The gauges are read from the Master when scraped.
//
// Thread-safety: every method may be called from any thread.
#ifndef SFS_MASTER_MASTER_METRICS_H_
#define SFS_MASTER_MASTER_METRICS_H_

#include "absl/time/time.h"
#include "master/master.h"

namespace prometheus {
class Gauge;
class Histogram;
class Registry;
}  // namespace prometheus

namespace sfs {

class MasterMetrics {
 public:
  // Registers the metrics in `registry`, which must outlive this.
  explicit MasterMetrics(prometheus::Registry* registry);

  // Records one synced metadata write (MasterOptions::on_metadata_write).
  void ObserveMetadataWrite(absl::Duration latency);

  // Brings the gauges up to date from `master`; called before each scrape.
  void Refresh(Master* master);

 private:
  prometheus::Histogram* const metadata_write_;
  prometheus::Gauge* const files_;
  prometheus::Gauge* const chunks_;
  prometheus::Gauge* const chunkservers_;
  prometheus::Gauge* const live_chunkservers_;
  prometheus::Gauge* const under_replicated_;
  prometheus::Gauge* const clone_backlog_;
  prometheus::Gauge* const safe_mode_;
  prometheus::Gauge* const corrupt_replicas_;
};

}  // namespace sfs

#endif  // SFS_MASTER_MASTER_METRICS_H_
