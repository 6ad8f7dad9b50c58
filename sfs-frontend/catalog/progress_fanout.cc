#include "sfs-frontend/catalog/progress_fanout.h"

#include <utility>

namespace sfs::frontend {

class ProgressFanout::Subscription : public ProgressSubscription {
 public:
  Subscription(ProgressFanout* fanout, uint64_t id)
      : fanout_(fanout), id_(id) {}
  ~Subscription() override { fanout_->Unsubscribe(id_); }

 private:
  ProgressFanout* const fanout_;
  const uint64_t id_;
};

std::unique_ptr<ProgressSubscription> ProgressFanout::Subscribe(
    ProgressCallback callback) {
  absl::MutexLock lock(&mu_);
  uint64_t id = next_id_++;
  callbacks_.emplace(id, std::move(callback));
  return std::make_unique<Subscription>(this, id);
}

void ProgressFanout::Deliver(const std::string& json_event) {
  absl::MutexLock lock(&mu_);
  for (auto& [id, callback] : callbacks_) callback(json_event);
}

void ProgressFanout::Unsubscribe(uint64_t id) {
  absl::MutexLock lock(&mu_);
  callbacks_.erase(id);
}

}  // namespace sfs::frontend
