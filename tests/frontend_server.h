// A real sfs-frontend process for cross-process tests: started on a free
// loopback port against a TestCluster's master, with the catalog and JWT
// secret the test chooses, and killed by the test.
#ifndef SFS_TESTS_FRONTEND_SERVER_H_
#define SFS_TESTS_FRONTEND_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/test_cluster.h"

namespace httplib {
class Client;
}

namespace sfs {

struct FrontendServerOptions {
  std::string master_address;
  std::string tls_dir;          // cluster certificate; empty: plaintext
  std::string catalog;          // folder or postgres URL / conninfo
  std::string jwt_secret_file;  // empty: no HS256 verification
  std::vector<std::string> extra_flags;
  std::string log_path;
};

class FrontendServer {
 public:
  explicit FrontendServer(FrontendServerOptions options);
  ~FrontendServer();  // SIGKILL

  // Starts the process and waits until /healthz answers.
  absl::Status Start();
  // Sends `signal` and reaps the process; returns its wait status.
  int Stop(int signal);
  // Reaps the process once it exits by itself; returns its wait status.
  int WaitForExit();

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // A new client for this frontend (generous timeouts for big transfers).
  std::unique_ptr<httplib::Client> NewClient() const;
  // VmHWM of the running process in KiB, from /proc/<pid>/status.
  long PeakRssKib() const;

 private:
  const FrontendServerOptions options_;
  int port_;
  pid_t pid_ = -1;
};

// Options for a frontend named `name` over `cluster`: its log and its
// embedded catalog (unless `catalog` names another) in the cluster's folder,
// and HS256 with kTestJwtSecret (frontend_http.h), whose file it writes.
FrontendServerOptions TestFrontendOptions(
    const TestCluster& cluster, const std::string& name = "frontend",
    const std::string& catalog = "", std::vector<std::string> extra_flags = {});

// Two sfs-frontend replicas sharing a fresh PostgreSQL catalog in front of
// one cluster: what the cross-replica suites run against. Members are
// declared so that the frontends stop before the cluster.
struct ReplicaPair {
  static absl::StatusOr<std::unique_ptr<ReplicaPair>> Start(
      const TestClusterOptions& options = {});

  std::unique_ptr<TestCluster> cluster;
  std::unique_ptr<FrontendServer> a;
  std::unique_ptr<FrontendServer> b;
};

// Creates namespace `name` owned by alice through `server`; the HTTP status.
int CreateTestNamespace(const FrontendServer& server, const std::string& name);

}  // namespace sfs

#endif  // SFS_TESTS_FRONTEND_SERVER_H_
