// LocalCluster runs a whole SFS cluster on this machine as child processes:
// one master, N chunkservers labelled rp1..rpN, and the HTTP frontend when
// it is built. It is what `sfs up` and `make up` run; tests start their own
// processes the same way.
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
  std::string
      bin_dir;  // where sfs-master etc. live; default: beside this binary
  int master_port = 9000;
  int first_chunkserver_port = 9101;
  int http_port = 8080;
  int chunkservers = 4;
  absl::Duration heartbeat = absl::Seconds(2);
  absl::Duration dead_after = absl::Seconds(15);
  // Web UI folder the frontend serves at "/"; empty: none.
  std::string web_dir;
  // Extra flags for each kind of process, split on spaces.
  std::string master_args;
  std::string chunkserver_args;
  std::string frontend_args;
};

class LocalCluster {
 public:
  explicit LocalCluster(const LocalClusterOptions& options);
  ~LocalCluster();  // stops every child

  // Starts every process; on failure stops those already started.
  absl::Status Start();

  // Blocks until SIGINT/SIGTERM or until a child exits on its own; returns a
  // line saying which.
  std::string Wait();

  // SIGTERM to every child, SIGKILL to those still alive after a grace period.
  void Stop();

 private:
  absl::Status Spawn(const std::string& name, const std::string& binary,
                     std::vector<std::string> args,
                     const std::string& extra_args);

  struct Child {
    std::string name;
    pid_t pid;
  };
  const LocalClusterOptions options_;
  std::vector<Child> children_;
};

}  // namespace sfs

#endif  // SFS_CLI_LOCAL_CLUSTER_H_
