// One gRPC channel per peer address, shared by every stream a process opens
// to that peer (client-lib's readers and writers, a chunkserver's pipeline
// hops and clones), with the settings of common/rpc_settings.h. Thread-safe.
#ifndef SFS_COMMON_CHANNEL_POOL_H_
#define SFS_COMMON_CHANNEL_POOL_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace sfs {

class ChannelPool {
 public:
  std::shared_ptr<grpc::Channel> Get(const std::string& address);

 private:
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace sfs

#endif  // SFS_COMMON_CHANNEL_POOL_H_
