// sfs-chunkserver: stores chunk replicas and serves them.
#include <grpcpp/grpcpp.h>
#include <openssl/rand.h>
#include <prometheus/registry.h>

#include <fstream>

#include "absl/flags/flag.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "chunkserver/chunk_cloner.h"
#include "chunkserver/chunk_store.h"
#include "chunkserver/chunkserver_metrics.h"
#include "chunkserver/chunkserver_service.h"
#include "chunkserver/master_reporter.h"
#include "chunkserver/scrubber.h"
#include "common/channel_pool.h"
#include "common/log.h"
#include "common/ops_server.h"
#include "common/process_settings.h"
#include "common/rpc_observer.h"
#include "common/rpc_settings.h"
#include "common/server_flags.h"
#include "common/signals.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:9101",
          "address the gRPC service listens on");
ABSL_FLAG(std::string, ops_listen, "",
          "address of the HTTP port serving /healthz, /readyz and /metrics "
          "(empty: none)");
ABSL_FLAG(std::string, advertise, "",
          "address clients and peers use to reach this server "
          "(default: 127.0.0.1 and the --listen port)");
ABSL_FLAG(std::string, master, "localhost:9000", "master address");
ABSL_FLAG(std::string, data, "./.sfs-data/cs1", "directory holding the chunks");
ABSL_FLAG(std::string, id, "", "server id (default: kept in <data>/server_id)");
ABSL_FLAG(std::string, rack, "",
          "rack or host label, e.g. rp1 (placement spreads over racks)");
ABSL_FLAG(absl::Duration, heartbeat, absl::Seconds(2), "heartbeat interval");
ABSL_FLAG(absl::Duration, full_report_every, absl::Minutes(10),
          "interval between full chunk reports");
ABSL_FLAG(uint64_t, capacity, 0,
          "most bytes of chunk data to hold (0: as much as the disk has)");
ABSL_FLAG(int, clone_threads, 2, "re-replication copies run at once");
ABSL_FLAG(uint64_t, clone_bandwidth, 100ull << 20,
          "bytes per second re-replication may read (0: unlimited)");
ABSL_FLAG(absl::Duration, scrub_interval, absl::Hours(24),
          "every sealed chunk's checksums are verified once per interval");
ABSL_FLAG(uint64_t, scrub_bandwidth, 20ull << 20,
          "bytes per second the scrubber may read (0: unlimited)");
ABSL_FLAG(absl::Duration, write_idle_timeout, absl::Minutes(2),
          "cancel a chunk write whose upstream sends nothing for this long "
          "(a vanished writer would otherwise hold the chunk and a thread)");
ABSL_FLAG(bool, encrypt_data, true,
          "with --tls_dir: serve chunk bytes over mutual TLS. false: serve "
          "them in plaintext, each read and write authorised by its block "
          "token alone (the master connection, which carries the token "
          "keys, stays on TLS); advertised as plaintext:ADDRESS so peers "
          "and clients follow");
ABSL_FLAG(absl::Duration, clone_stall_timeout, absl::Seconds(30),
          "a re-replication copy whose source sends nothing this long fails");

namespace {

// The id this server had before, or a new one remembered for next time.
std::string StableServerId(const std::string& dir) {
  std::string path = dir + "/server_id";
  std::string id;
  std::ifstream(path) >> id;
  if (!id.empty()) return id;
  unsigned char bytes[6];
  RAND_bytes(bytes, sizeof(bytes));
  id = "cs-" + absl::BytesToHexString(absl::string_view(
                   reinterpret_cast<const char*>(bytes), sizeof(bytes)));
  std::ofstream(path) << id << "\n";
  return id;
}

}  // namespace

int main(int argc, char** argv) {
  sfs::ConfigureMalloc();
  sfs::SkipMutexDeadlockDetection();
  sfs::BlockTerminationSignals();
  const sfs::ServerFlags server_flags =
      sfs::ParseServerCommandLine(argc, argv, "chunkserver");

  std::string data_dir = absl::GetFlag(FLAGS_data);
  auto store = sfs::ChunkStore::Open(data_dir, absl::GetFlag(FLAGS_capacity));
  if (!store.ok()) {
    sfs::Log("cannot open chunk store in ", data_dir, ": ",
             store.status().ToString());
    return 1;
  }
  sfs::ReporterOptions options;
  options.master_address = absl::GetFlag(FLAGS_master);
  options.credentials = server_flags.cluster_credentials;
  options.server_id = absl::GetFlag(FLAGS_id);
  if (options.server_id.empty()) options.server_id = StableServerId(data_dir);
  options.rack = absl::GetFlag(FLAGS_rack);
  options.interval = absl::GetFlag(FLAGS_heartbeat);
  options.full_report_every = absl::GetFlag(FLAGS_full_report_every);
  std::string listen = absl::GetFlag(FLAGS_listen);
  options.advertised_address = absl::GetFlag(FLAGS_advertise);
  if (options.advertised_address.empty()) {
    std::vector<std::string> parts = absl::StrSplit(listen, ':');
    options.advertised_address = "127.0.0.1:" + parts.back();
  }
  // Chunk bytes in plaintext only where TLS would otherwise carry them.
  const bool plaintext_data = server_flags.cluster_credentials->secure() &&
                              !absl::GetFlag(FLAGS_encrypt_data);
  if (plaintext_data) {
    options.advertised_address =
        sfs::PlaintextAddress(options.advertised_address);
  }
  sfs::SetLogName(options.rack.empty() ? options.server_id
                                       : "cs-" + options.rack);

  // Pipeline hops and clones share one channel per peer.
  sfs::ChannelPool peers(server_flags.cluster_credentials);
  // The master's keys, learnt at registration.
  sfs::BlockTokenVerifier tokens;
  options.tokens = &tokens;
  // Who writes each chunk, shared by write streams and clones.
  sfs::ChunkWriters writers(store->get());
  sfs::ChunkserverService service(store->get(), &writers, &peers, &tokens,
                                  options.advertised_address,
                                  absl::GetFlag(FLAGS_write_idle_timeout));
  prometheus::Registry metrics_registry;
  sfs::EnableGrpcHealth();
  if (absl::Status exposed = sfs::CheckClusterListenAddress(
          listen, *server_flags.cluster_credentials);
      !exposed.ok()) {
    sfs::Log("fatal: ", exposed.message());
    return 1;
  }
  grpc::ServerBuilder builder;
  sfs::ConfigureServer(&builder);
  sfs::ObserveRpcs(&builder, &metrics_registry, server_flags.log_rpcs);
  builder.AddListeningPort(
      listen, plaintext_data ? grpc::InsecureServerCredentials()
                             : server_flags.cluster_credentials->ForServer());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    sfs::Log("cannot listen on ", listen);
    return 1;
  }
  sfs::Log("serving on ", listen, " as ", options.server_id, ", chunks in ",
           data_dir, plaintext_data ? ", chunk bytes in plaintext" : "");

  sfs::ChunkCloner cloner(store->get(), &writers, &peers,
                          absl::GetFlag(FLAGS_clone_threads),
                          absl::GetFlag(FLAGS_clone_bandwidth),
                          absl::GetFlag(FLAGS_clone_stall_timeout));
  sfs::Scrubber scrubber(store->get(), absl::GetFlag(FLAGS_scrub_interval),
                         absl::GetFlag(FLAGS_scrub_bandwidth));
  scrubber.Start();
  sfs::ChunkserverMetrics metrics(&metrics_registry, store->get(), &scrubber);
  sfs::OpsServer ops(
      &metrics_registry,
      [&store]() -> absl::Status {
        if ((*store)->disk_failed()) {
          return absl::UnavailableError("the disk failed a write");
        }
        return absl::OkStatus();
      },
      [&metrics] { metrics.Refresh(); });
  if (absl::Status started =
          ops.Start(server.get(), absl::GetFlag(FLAGS_ops_listen));
      !started.ok()) {
    sfs::Log(started.ToString());
    return 1;
  }
  sfs::MasterReporter reporter(options, store->get(), &cloner);
  reporter.Start();
  int sig = sfs::WaitForTerminationSignal();
  sfs::Log("signal ", sig, ": shutting down");
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return 0;
}
