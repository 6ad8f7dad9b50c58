#include "master/master_metrics.h"

#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>

#include "common/log.h"
#include "common/ops_server.h"
#include "common/rpc_observer.h"

namespace sfs {
MasterMetrics::MasterMetrics(prometheus::Registry* registry)
    : metadata_write_(&prometheus::BuildHistogram()
                           .Name("sfs_master_metadata_write_duration_seconds")
                           .Help("latency of synced metadata (RocksDB) writes")
                           .Register(*registry)
                           .Add({}, LatencyBuckets())),
      files_(NewGauge(registry, "sfs_master_files", "files in the namespace")),
      chunks_(
          NewGauge(registry, "sfs_master_chunks", "chunks in the metadata")),
      chunkservers_(NewGauge(registry, "sfs_master_chunkservers",
                             "chunkservers registered")),
      live_chunkservers_(NewGauge(registry, "sfs_master_live_chunkservers",
                                  "chunkservers heard from recently")),
      under_replicated_(
          NewGauge(registry, "sfs_master_under_replicated_chunks",
                   "chunks with fewer live replicas than the replication")),
      clone_backlog_(NewGauge(registry, "sfs_master_clone_backlog",
                              "re-replication clones in flight")),
      safe_mode_(NewGauge(registry, "sfs_master_safe_mode",
                          "1 while the master is in safe mode after a start")),
      corrupt_replicas_(
          NewGauge(registry, "sfs_master_corrupt_replicas",
                   "corrupt replicas reported since the master started")) {}

void MasterMetrics::ObserveMetadataWrite(absl::Duration latency) {
  metadata_write_->Observe(absl::ToDoubleSeconds(latency));
}

void MasterMetrics::Refresh(Master* master) {
  absl::StatusOr<proto::ClusterStatusResponse> status = master->ClusterStatus();
  if (!status.ok()) {
    Log("metrics: ", status.status().ToString());
    return;
  }
  int live = 0;
  for (const proto::ChunkserverStatus& server : status->chunkservers()) {
    live += server.alive() ? 1 : 0;
  }
  files_->Set(static_cast<double>(status->file_count()));
  chunks_->Set(static_cast<double>(status->chunk_count()));
  chunkservers_->Set(status->chunkservers_size());
  live_chunkservers_->Set(live);
  under_replicated_->Set(
      static_cast<double>(status->under_replicated_chunks()));
  clone_backlog_->Set(static_cast<double>(status->replication_backlog()));
  safe_mode_->Set(status->safe_mode() ? 1 : 0);
  corrupt_replicas_->Set(static_cast<double>(status->corrupt_replicas()));
}

}  // namespace sfs
