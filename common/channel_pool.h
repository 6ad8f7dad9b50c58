// Internal to client-lib. One gRPC channel per chunkserver address, shared by
// every reader and writer of a Client, with keepalives so a dead peer is
// noticed on an idle stream instead of hanging it. Thread-safe.
#ifndef SFS_CLIENT_LIB_CHANNEL_POOL_H_
#define SFS_CLIENT_LIB_CHANNEL_POOL_H_

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

  // Channel arguments every SFS client channel uses.
  static grpc::ChannelArguments Arguments();

 private:
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace sfs

#endif  // SFS_CLIENT_LIB_CHANNEL_POOL_H_
