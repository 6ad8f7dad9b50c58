#include "common/channel_pool.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/rpc_settings.h"

namespace sfs {
namespace {

constexpr absl::string_view kPlaintextScheme = "plaintext:";

}  // namespace

std::string PlaintextAddress(absl::string_view address) {
  return absl::StrCat(kPlaintextScheme, address);
}

std::shared_ptr<grpc::Channel> ChannelPool::Get(const std::string& address) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<grpc::Channel>& channel = channels_[address];
  if (channel == nullptr) {
    absl::string_view target = address;
    const bool plaintext = absl::ConsumePrefix(&target, kPlaintextScheme);
    channel =
        NewChannel(std::string(target),
                   plaintext ? *ClusterCredentials::Insecure() : *credentials_,
                   ClusterRole::kChunkserver);
  }
  return channel;
}

}  // namespace sfs
