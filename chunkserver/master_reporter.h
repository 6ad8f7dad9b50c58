// MasterReporter keeps the master informed about one chunkserver: a full
// chunk report at registration (and periodically, to repair any drift), an
// incremental report on every heartbeat (new, removed and corrupt replicas,
// space, disk health), and it carries out the commands heartbeat replies
// bring back (delete a replica, clone one, register again).
//
// Heartbeats go out every `interval`; when the master is unreachable the
// reporter keeps trying and sends a full report once it answers again.
#ifndef SFS_CHUNKSERVER_MASTER_REPORTER_H_
#define SFS_CHUNKSERVER_MASTER_REPORTER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "chunkserver/chunk_cloner.h"
#include "chunkserver/chunk_store.h"
#include "common/block_token.h"
#include "common/cluster_tls.h"
#include "proto/sfs.grpc.pb.h"

namespace sfs {

struct ReporterOptions {
  std::string master_address;
  // Presented to the master, whose certificate must hold the master role.
  std::shared_ptr<const ClusterCredentials> credentials =
      ClusterCredentials::Insecure();
  // Given the master's block token key at each registration; must outlive
  // the reporter.
  BlockTokenVerifier* tokens = nullptr;
  std::string server_id;
  std::string advertised_address;  // where clients and peers reach us
  std::string rack;
  absl::Duration interval = absl::Seconds(2);
  absl::Duration full_report_every = absl::Minutes(10);
};

class MasterReporter {
 public:
  // `store` and `cloner` (which runs REPLICATE_CHUNK commands) must outlive
  // the reporter.
  MasterReporter(const ReporterOptions& options, ChunkStore* store,
                 ChunkCloner* cloner);
  ~MasterReporter();  // stops the thread

  void Start();

 private:
  void Run();
  // One exchange with the master; false if it could not be reached.
  bool RegisterFully();
  bool SendHeartbeat();
  void Execute(
      const google::protobuf::RepeatedPtrField<proto::ChunkserverCommand>&
          commands);

  const ReporterOptions options_;
  ChunkStore* const store_;
  ChunkCloner* const cloner_;
  std::unique_ptr<proto::Master::Stub> stub_;
  bool registered_ = false;
  absl::Time last_full_report_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace sfs

#endif  // SFS_CHUNKSERVER_MASTER_REPORTER_H_
