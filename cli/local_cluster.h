// LocalCluster runs a whole SFS cluster on this machine as child processes:
// one master, N chunkservers labelled rp1..rpN, and the HTTP frontend when
// it is built. It is what `sfs up` and `make up` run.
//
// It supervises: a child that exits on its own is reported and, unless
// restarts are off, started again after a pause that doubles with each quick
// failure (so a child that cannot start does not spin). The others keep
// serving meanwhile, as they would on separate machines, so failover and
// re-replication are what a user of `sfs up` sees when a process dies.
//
// Every process listens on 127.0.0.1 only, and (unless `tls` is off) they
// authenticate each other with mutual TLS: the first start makes a cluster
// CA and a certificate per process under <data>/tls
// (common/cert_authority.h); `sfs` commands find the admin one there.
//
// Not thread-safe: one thread calls Start, Supervise and Stop.
#ifndef SFS_CLI_LOCAL_CLUSTER_H_
#define SFS_CLI_LOCAL_CLUSTER_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace sfs {

struct LocalClusterOptions {
  std::string data_dir = "./.sfs-data";
  // Where sfs-master etc. live; empty: beside this binary.
  std::string bin_dir;
  int master_port = 9000;
  int first_chunkserver_port = 9101;
  int http_port = 8080;
  // The master's operations port (/healthz, /readyz, /metrics); the
  // chunkservers' follow it (+1 each). 0: none.
  int first_ops_port = 9001;
  int chunkservers = 4;
  absl::Duration heartbeat = absl::Seconds(2);
  absl::Duration dead_after = absl::Seconds(15);
  // Mutual TLS between the processes (certificates under <data>/tls);
  // off: plaintext, as a baseline for the bench.
  bool tls = true;
  // Web UI folder the frontend serves at "/"; empty: none.
  std::string web_dir;
  // Extra flags for each kind of process, split on spaces.
  std::string master_args;
  std::string chunkserver_args;
  std::string frontend_args;
  // Restart a child that exited on its own. Off: it stays down (to watch
  // the master re-replicate its chunks, say).
  bool restart = true;
  // The first pause before a restart; it doubles while the child keeps
  // dying within `max_restart_backoff` of its start, up to that much.
  absl::Duration restart_backoff = absl::Seconds(1);
  absl::Duration max_restart_backoff = absl::Seconds(30);
  // On Stop: how long the frontend may drain its transfers (its own
  // --drain_timeout, 30 s by default, plus a margin) before SIGKILL, and
  // how long the other processes get.
  absl::Duration frontend_stop_grace = absl::Seconds(35);
  absl::Duration stop_grace = absl::Seconds(10);
};

class LocalCluster {
 public:
  explicit LocalCluster(const LocalClusterOptions& options);
  ~LocalCluster();  // stops every child

  // Starts every process; on failure stops those already started.
  absl::Status Start();

  // Supervises the children until SIGINT or SIGTERM (which the caller has
  // blocked) arrives; returns a line naming the signal.
  std::string Supervise();

  // Stops the frontend first (it drains its transfers), then the
  // chunkservers, then the master: SIGTERM, then SIGKILL after the grace.
  void Stop();

 private:
  // Order of stopping: lower first.
  enum class Role { kFrontend = 0, kChunkserver = 1, kMaster = 2 };
  struct Child {
    std::string name;
    Role role;
    std::vector<std::string> argv;  // argv[0] is the binary's path
    pid_t pid = -1;                 // -1 while not running
    absl::Time started;
    absl::Time restart_at = absl::InfiniteFuture();
    absl::Duration backoff;
  };

  absl::Status Add(const std::string& name, Role role,
                   const std::string& binary, std::vector<std::string> args,
                   const std::string& extra_args);
  absl::Status Launch(Child* child);
  // Reaps children that exited, reports them and schedules restarts; starts
  // those whose pause is over.
  void Tend();
  void StopRole(Role role, absl::Duration grace);

  const LocalClusterOptions options_;
  std::vector<Child> children_;
};

}  // namespace sfs

#endif  // SFS_CLI_LOCAL_CLUSTER_H_
