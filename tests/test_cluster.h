// TestCluster starts a real SFS cluster for cross-process tests: the built
// sfs-master and sfs-chunkserver binaries as child processes on free
// loopback ports, with their data in a fresh temp directory. Tests kill and
// restart the processes to inject real failures.
#ifndef SFS_TESTS_TEST_CLUSTER_H_
#define SFS_TESTS_TEST_CLUSTER_H_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client-lib/client.h"
#include "common/cluster_tls.h"
#include "gtest/gtest.h"
#include "proto/sfs.pb.h"

namespace sfs {

struct TestClusterOptions {
  int chunkservers = 4;
  absl::Duration heartbeat = absl::Milliseconds(200);
  absl::Duration dead_after = absl::Seconds(3);
  // Master: wait this long after a death before re-replicating, and this
  // long before deleting garbage replicas.
  absl::Duration replication_delay = absl::Seconds(1);
  absl::Duration gc_grace = absl::Seconds(1);
  // Master: abandon a pending upload idle this long.
  absl::Duration upload_idle_timeout = absl::Hours(1);
  // Chunkservers: scrub period and per-server capacity (0: the disk).
  absl::Duration scrub_interval = absl::Hours(24);
  std::vector<uint64_t> capacity_bytes;  // by index; missing means 0
  // Chunkservers: cancel a write whose upstream sends nothing this long.
  absl::Duration write_idle_timeout = absl::Minutes(2);
  // Every process logs JSON lines (--log_format=json) instead of text.
  bool json_logs = false;
  // The master and chunkservers log every RPC they answer (--log_rpcs).
  bool log_rpcs = false;
  // Every process (and NewClient, RunCli) authenticates with mutual TLS,
  // with certificates from a CA made in dir()/tls; off: plaintext.
  bool tls = true;
  // With TLS, chunkservers serve chunk bytes over it; off: in plaintext,
  // block tokens their only credential (--encrypt_data).
  bool encrypt_data = true;
};

// What a finished command did.
struct CommandResult {
  int exit_code = -1;
  std::string out;        // its stdout
  std::string err;        // its stderr
  long peak_rss_kib = 0;  // the child's peak resident set size
};

class TestCluster {
 public:
  explicit TestCluster(const TestClusterOptions& options = {});
  ~TestCluster();  // kills every process and removes the data

  // Starts the master and every chunkserver and waits until all registered.
  absl::Status Start();

  void KillMaster(int signal);
  absl::Status StartMaster();
  void KillChunkserver(int index, int signal);  // index in [0, chunkservers)
  // Sends a signal without waiting for an exit (SIGSTOP / SIGCONT).
  void SignalChunkserver(int index, int signal);
  absl::Status StartChunkserver(int index);
  // Waits until the master sees exactly `alive` live chunkservers.
  absl::Status WaitForAliveChunkservers(int alive, absl::Duration timeout);

  std::string master_address() const;
  std::string chunkserver_address(int index) const;
  // The operations HTTP ports (/healthz, /readyz, /metrics).
  std::string master_ops_address() const;
  std::string chunkserver_ops_address(int index) const;
  // What a process has written to stderr so far.
  std::string MasterLog() const;
  std::string ChunkserverLog(int index) const;
  std::string chunkserver_dir(int index) const;
  // The certificate directory of `name` ("master", "rp1".."rpN",
  // "frontend", "admin"; see cluster_test for the others made); empty
  // without TLS.
  std::string tls_dir(const std::string& name) const;
  const std::string& dir() const { return dir_; }
  // A raw gRPC channel to `address`, a server holding `peer`'s role,
  // presenting the certificate tls_dir(`identity`) (plaintext without TLS).
  std::shared_ptr<grpc::Channel> NewChannel(
      const std::string& address, ClusterRole peer,
      const std::string& identity = "admin") const;
  // A block token for `handle` signed with the master's key (read from its
  // data directory), as the master would sign it, expiring at `expires`.
  proto::BlockToken SignBlockToken(uint64_t handle,
                                   proto::BlockToken::Mode mode,
                                   const std::vector<std::string>& chain = {},
                                   absl::Time expires = absl::Now() +
                                                        absl::Hours(1)) const;
  // A client with test time-outs: readers fail over after 2 s of silence;
  // writers give a silent chain `write_stall_timeout`. It holds the admin
  // certificate and keeps `chunk_cache_bytes` of small chunks.
  std::unique_ptr<Client> NewClient(
      absl::Duration write_stall_timeout = absl::Seconds(30),
      size_t chunk_cache_bytes = 0);

  // Runs the sfs CLI against this cluster.
  CommandResult RunCli(const std::vector<std::string>& args);

 private:
  uint64_t CapacityOf(int index) const;
  std::string LogFormatFlag() const;
  std::string LogRpcsFlag() const;
  pid_t Spawn(const std::string& binary, const std::vector<std::string>& args,
              const std::string& log);

  const TestClusterOptions options_;
  std::string dir_;
  int master_port_;
  int master_ops_port_;
  std::vector<int> chunkserver_ports_;
  std::vector<int> chunkserver_ops_ports_;
  pid_t master_pid_ = -1;
  std::vector<pid_t> chunkserver_pids_;
};

// A fixture owning one TestCluster and a client of it.
class ClusterTestBase : public ::testing::Test {
 protected:
  void StartCluster(const TestClusterOptions& options = {});
  void TearDown() override;

  std::unique_ptr<TestCluster> cluster_;
  std::unique_ptr<Client> client_;
};

// Calls unary `method` ("/package.Service/Method") on `channel` with a
// serialized `request`, within 5 s; the serialized answer in *response.
grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel,
                          const std::string& method, const std::string& request,
                          std::string* response);

// Streams the current version of `path` through a FileReader; returns the
// SHA-256 of what was read and, in *bytes, how much.
absl::StatusOr<std::string> ReadFileSha(Client* client, const std::string& path,
                                        uint64_t* bytes = nullptr);

// In a forked child: replaces the process with `argv` (argv[0] a path), or
// exits 127 when that fails.
[[noreturn]] void ExecOrExit(const std::vector<std::string>& argv);

// Runs `argv` (argv[0] a path) to completion, capturing output and peak RSS.
CommandResult RunCommand(const std::vector<std::string>& argv);

// The directory holding the built binaries.
std::string BinDir();

// A loopback TCP port nobody listens on right now, never handed out before
// by this process.
int FreeLoopbackPort();
// The first of `count` consecutive loopback ports nobody listens on now,
// none of them handed out before by this process.
int FreeLoopbackPorts(int count);

// Writes `size` pseudo-random bytes (seeded) to `path`; returns their SHA-256.
std::string WriteRandomFile(const std::string& path, uint64_t size,
                            uint64_t seed);
// SHA-256 hex of a local file.
std::string Sha256OfFile(const std::string& path);

}  // namespace sfs

#endif  // SFS_TESTS_TEST_CLUSTER_H_
