#include "sfs-frontend/catalog/testing/progress_inbox.h"

#include <algorithm>

namespace sfs::frontend {

ProgressCallback ProgressInbox::Callback() {
  return [this](const std::string& event) {
    absl::MutexLock lock(&mu_);
    events_.push_back(event);
  };
}

bool ProgressInbox::WaitFor(const std::string& event, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto arrived = [&] {
    mu_.AssertHeld();
    return std::find(events_.begin(), events_.end(), event) != events_.end();
  };
  return mu_.AwaitWithTimeout(absl::Condition(&arrived), timeout);
}

std::vector<std::string> ProgressInbox::events() {
  absl::MutexLock lock(&mu_);
  return events_;
}

}  // namespace sfs::frontend
