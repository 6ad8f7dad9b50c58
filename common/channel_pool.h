// One gRPC channel per chunkserver address, shared by every stream a
// process opens to that chunkserver (client-lib's readers and writers, a
// chunkserver's pipeline hops and clones), with the settings of
// common/rpc_settings.h. Thread-safe.
#ifndef SFS_COMMON_CHANNEL_POOL_H_
#define SFS_COMMON_CHANNEL_POOL_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/cluster_tls.h"

namespace sfs {

class ChannelPool {
 public:
  // Channels authenticate with `credentials` and require the chunkserver
  // role of the servers they reach.
  explicit ChannelPool(std::shared_ptr<const ClusterCredentials> credentials)
      : credentials_(std::move(credentials)) {}

  std::shared_ptr<grpc::Channel> Get(const std::string& address);

 private:
  const std::shared_ptr<const ClusterCredentials> credentials_;
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace sfs

#endif  // SFS_COMMON_CHANNEL_POOL_H_
