// sfs-master: the metadata server.
#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include <thread>

#include "absl/flags/flag.h"
#include "absl/synchronization/notification.h"
#include "common/log.h"
#include "common/ops_server.h"
#include "common/process_settings.h"
#include "common/rpc_observer.h"
#include "common/rpc_settings.h"
#include "common/server_flags.h"
#include "common/signals.h"
#include "master/master.h"
#include "master/master_metrics.h"
#include "master/master_service.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:9000",
          "address the gRPC service listens on");
ABSL_FLAG(std::string, ops_listen, "",
          "address of the HTTP port serving /healthz, /readyz and /metrics "
          "(empty: none)");
ABSL_FLAG(std::string, data, "./.sfs-data/master",
          "directory of the metadata database");
ABSL_FLAG(std::string, backup_dir, "",
          "the only directory metadata checkpoints are written under "
          "(empty: checkpoints refused)");
ABSL_FLAG(absl::Duration, block_token_lifetime, absl::Hours(10),
          "how long a token to read or write a chunk stays valid");
ABSL_FLAG(int, replication, 3, "replicas per chunk");
ABSL_FLAG(int, min_replicas, 2, "fewest replicas a chunk may be written with");
ABSL_FLAG(absl::Duration, dead_after, absl::Seconds(15),
          "a chunkserver silent for this long is dead");
ABSL_FLAG(absl::Duration, upload_idle_timeout, absl::Hours(1),
          "a pending upload idle for this long is abandoned");
ABSL_FLAG(absl::Duration, replication_delay, absl::Seconds(30),
          "how long after a chunkserver is declared dead its chunks are "
          "re-replicated");
ABSL_FLAG(int, max_clones_per_server, 2,
          "most re-replication clones a chunkserver takes part in at once");
ABSL_FLAG(absl::Duration, clone_timeout, absl::Minutes(5),
          "a clone not reported done in this time is planned again");
ABSL_FLAG(absl::Duration, gc_grace, absl::Minutes(1),
          "garbage replicas are deleted this long after they become garbage");
ABSL_FLAG(double, safe_mode_threshold, 0.999,
          "fraction of chunks that must be reported before leaving safe mode");
ABSL_FLAG(absl::Duration, safe_mode_max, absl::Minutes(5),
          "longest stay in safe mode");
ABSL_FLAG(absl::Duration, repair_interval, absl::Seconds(1),
          "interval of the re-replication and trim loop");

int main(int argc, char** argv) {
  sfs::SkipMutexDeadlockDetection();
  sfs::BlockTerminationSignals();
  const sfs::ServerFlags server_flags =
      sfs::ParseServerCommandLine(argc, argv, "master");
  prometheus::Registry metrics_registry;
  sfs::MasterMetrics metrics(&metrics_registry);

  sfs::MasterOptions options;
  options.data_dir = absl::GetFlag(FLAGS_data);
  options.backup_dir = absl::GetFlag(FLAGS_backup_dir);
  options.block_token_lifetime = absl::GetFlag(FLAGS_block_token_lifetime);
  options.placement.replication = absl::GetFlag(FLAGS_replication);
  options.placement.min_replicas = absl::GetFlag(FLAGS_min_replicas);
  options.dead_after = absl::GetFlag(FLAGS_dead_after);
  options.upload_idle_timeout = absl::GetFlag(FLAGS_upload_idle_timeout);
  options.replication_delay = absl::GetFlag(FLAGS_replication_delay);
  options.max_clones_per_server = absl::GetFlag(FLAGS_max_clones_per_server);
  options.clone_timeout = absl::GetFlag(FLAGS_clone_timeout);
  options.gc_grace = absl::GetFlag(FLAGS_gc_grace);
  options.safe_mode_threshold = absl::GetFlag(FLAGS_safe_mode_threshold);
  options.safe_mode_max = absl::GetFlag(FLAGS_safe_mode_max);
  options.on_metadata_write = [&metrics](absl::Duration latency) {
    metrics.ObserveMetadataWrite(latency);
  };
  auto master = sfs::Master::Open(options);
  if (!master.ok()) {
    sfs::Log("cannot open metadata in ", options.data_dir, ": ",
             master.status().ToString());
    return 1;
  }

  sfs::MasterService service(master->get());
  sfs::EnableGrpcHealth();
  if (absl::Status exposed = sfs::CheckClusterListenAddress(
          absl::GetFlag(FLAGS_listen), *server_flags.cluster_credentials);
      !exposed.ok()) {
    sfs::Log("fatal: ", exposed.message());
    return 1;
  }
  grpc::ServerBuilder builder;
  sfs::ConfigureServer(&builder);
  sfs::ObserveRpcs(&builder, &metrics_registry, server_flags.log_rpcs);
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen),
                           server_flags.cluster_credentials->ForServer());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    sfs::Log("cannot listen on ", absl::GetFlag(FLAGS_listen));
    return 1;
  }
  sfs::OpsServer ops(
      &metrics_registry,
      [&master]() -> absl::Status {
        if ((*master)->in_safe_mode()) {
          return absl::UnavailableError("in safe mode");
        }
        return absl::OkStatus();
      },
      [&] { metrics.Refresh(master->get()); });
  if (absl::Status started =
          ops.Start(server.get(), absl::GetFlag(FLAGS_ops_listen));
      !started.ok()) {
    sfs::Log(started.ToString());
    return 1;
  }
  sfs::Log("serving on ", absl::GetFlag(FLAGS_listen), ", metadata in ",
           options.data_dir);

  absl::Notification stopping;
  std::thread janitor([&] {
    absl::Time next_expiry = absl::Now();
    while (!stopping.WaitForNotificationWithTimeout(
        absl::GetFlag(FLAGS_repair_interval))) {
      absl::Time now = absl::Now();
      (*master)->RepairTick(now);
      if (now >= next_expiry) {
        int expired = (*master)->ExpireIdleUploads(now);
        if (expired > 0) sfs::Log("abandoned ", expired, " idle uploads");
        next_expiry = now + absl::Seconds(10);
      }
    }
  });

  int sig = sfs::WaitForTerminationSignal();
  sfs::Log("signal ", sig, ": shutting down");
  stopping.Notify();
  janitor.join();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return 0;
}
