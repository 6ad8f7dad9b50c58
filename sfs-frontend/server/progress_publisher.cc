#include "sfs-frontend/server/progress_publisher.h"

#include <utility>

namespace sfs::frontend {

ProgressPublisher::ProgressPublisher(Catalog* catalog)
    : catalog_(catalog), thread_([this] { Run(); }) {}

ProgressPublisher::~ProgressPublisher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void ProgressPublisher::Publish(const std::string& id, std::string json_event,
                                bool done) {
  absl::MutexLock lock(&mu_);
  auto [it, added] = queued_.try_emplace(id);
  if (added) order_.push_back(id);
  std::deque<Queued>& events = it->second;
  if (events.size() < kMaxQueuedPerTransfer || done) {
    events.push_back({std::move(json_event), done});
  } else if (!events.back().done) {
    events.back() = {std::move(json_event), false};
  }
}

bool ProgressPublisher::WaitUntilPublished(const std::string& id,
                                           absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto published = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return queued_.count(id) == 0 && in_flight_ != id;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&published), timeout);
}

void ProgressPublisher::Run() {
  absl::MutexLock lock(&mu_);
  while (true) {
    auto work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !order_.empty() || stopping_;
    };
    mu_.Await(absl::Condition(&work));
    if (order_.empty()) return;  // stopping, with nothing left to publish
    std::string id = std::move(order_.front());
    order_.pop_front();
    auto it = queued_.find(id);
    std::deque<Queued> events = std::move(it->second);
    queued_.erase(it);
    in_flight_ = id;
    mu_.Unlock();
    for (const Queued& event : events) {
      catalog_->PublishProgress(event.json).IgnoreError();
    }
    mu_.Lock();
    in_flight_.reset();
  }
}

}  // namespace sfs::frontend
