#include "common/channel_pool.h"

#include "common/rpc_settings.h"

namespace sfs {

std::shared_ptr<grpc::Channel> ChannelPool::Get(const std::string& address) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<grpc::Channel>& channel = channels_[address];
  if (channel == nullptr) {
    channel = NewChannel(address, *credentials_, ClusterRole::kChunkserver);
  }
  return channel;
}

}  // namespace sfs
