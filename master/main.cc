// sfs-master: the metadata server.
#include <grpcpp/grpcpp.h>

#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/notification.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/signals.h"
#include "master/master.h"
#include "master/master_service.h"

ABSL_FLAG(std::string, listen, "0.0.0.0:9000",
          "address the gRPC service listens on");
ABSL_FLAG(std::string, data, "./.sfs-data/master",
          "directory of the metadata database");
ABSL_FLAG(int, replication, 3, "replicas per chunk");
ABSL_FLAG(int, min_replicas, 2, "fewest replicas a chunk may be written with");
ABSL_FLAG(absl::Duration, dead_after, absl::Seconds(15),
          "a chunkserver silent for this long is dead");
ABSL_FLAG(absl::Duration, upload_idle_timeout, absl::Hours(1),
          "a pending upload idle for this long is abandoned");

int main(int argc, char** argv) {
  sfs::BlockTerminationSignals();
  sfs::NormalizeFlagNames(argc, argv);
  absl::ParseCommandLine(argc, argv);
  sfs::SetLogName("master");

  sfs::MasterOptions options;
  options.data_dir = absl::GetFlag(FLAGS_data);
  options.placement.replication = absl::GetFlag(FLAGS_replication);
  options.placement.min_replicas = absl::GetFlag(FLAGS_min_replicas);
  options.dead_after = absl::GetFlag(FLAGS_dead_after);
  options.upload_idle_timeout = absl::GetFlag(FLAGS_upload_idle_timeout);
  auto master = sfs::Master::Open(options);
  if (!master.ok()) {
    sfs::Log("cannot open metadata in ", options.data_dir, ": ",
             master.status().ToString());
    return 1;
  }

  sfs::MasterService service(master->get());
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen),
                           grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    sfs::Log("cannot listen on ", absl::GetFlag(FLAGS_listen));
    return 1;
  }
  sfs::Log("serving on ", absl::GetFlag(FLAGS_listen), ", metadata in ",
           options.data_dir);

  absl::Notification stopping;
  std::thread janitor([&] {
    while (!stopping.WaitForNotificationWithTimeout(absl::Seconds(10))) {
      int expired = (*master)->ExpireIdleUploads(absl::Now());
      if (expired > 0) sfs::Log("abandoned ", expired, " idle uploads");
    }
  });

  int sig = sfs::WaitForTerminationSignal();
  sfs::Log("signal ", sig, ": shutting down");
  stopping.Notify();
  janitor.join();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return 0;
}
