// One gRPC channel per chunkserver address, shared by every stream a
// process opens to that chunkserver (client-lib's readers and writers, a
// chunkserver's pipeline hops and clones), with the settings of
// common/rpc_settings.h. Thread-safe.
//
// A chunkserver that serves chunk bytes without TLS (--encrypt_data=false
// on a TLS cluster) advertises its address as "plaintext:HOST:PORT"
// (PlaintextAddress). The address travels as it is through the master's
// locations, block tokens and write chains, so whoever reaches it, peer or
// client, learns from the address alone to do so without TLS.
#ifndef SFS_COMMON_CHANNEL_POOL_H_
#define SFS_COMMON_CHANNEL_POOL_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/cluster_tls.h"

namespace sfs {

// The address under which a chunkserver listening at `address` serves
// chunk bytes without TLS.
std::string PlaintextAddress(absl::string_view address);

class ChannelPool {
 public:
  // Channels authenticate with `credentials` and require the chunkserver
  // role of the servers they reach; channels to a plaintext address use
  // neither.
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
