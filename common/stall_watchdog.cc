#include "common/stall_watchdog.h"

#include <algorithm>

namespace sfs {

StallWatchdog::StallWatchdog(absl::Duration limit)
    : limit_(limit), thread_([this] { Run(); }) {}

StallWatchdog::~StallWatchdog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

bool StallWatchdog::Watch(grpc::ClientContext* context,
                          absl::FunctionRef<bool()> operation, bool* stalled) {
  return WatchCall(Call{context, nullptr}, operation, stalled);
}

bool StallWatchdog::Watch(grpc::ServerContext* context,
                          absl::FunctionRef<bool()> operation, bool* stalled) {
  return WatchCall(Call{nullptr, context}, operation, stalled);
}

bool StallWatchdog::WatchCall(Call call, absl::FunctionRef<bool()> operation,
                              bool* stalled) {
  uint64_t token = Arm(call);
  bool done = operation();
  if (Disarm(token)) *stalled = true;
  return done;
}

uint64_t StallWatchdog::Arm(Call call) {
  absl::MutexLock lock(&mu_);
  uint64_t token = next_token_++;
  watches_[token] = Armed{call, absl::Now() + limit_, false};
  return token;
}

bool StallWatchdog::Disarm(uint64_t token) {
  absl::MutexLock lock(&mu_);
  auto it = watches_.find(token);
  bool fired = it != watches_.end() && it->second.fired;
  if (it != watches_.end()) watches_.erase(it);
  return fired;
}

void StallWatchdog::Run() {
  absl::MutexLock lock(&mu_);
  auto stopping = [this]()
                      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
  // Check a few times per limit: a stall is caught within ~1.25 limits.
  absl::Duration tick = std::max(absl::Milliseconds(50), limit_ / 4);
  while (!mu_.AwaitWithTimeout(absl::Condition(&stopping), tick)) {
    absl::Time now = absl::Now();
    for (auto& [token, watch] : watches_) {
      if (!watch.fired && watch.deadline <= now) {
        watch.fired = true;
        if (watch.call.client != nullptr) watch.call.client->TryCancel();
        if (watch.call.server != nullptr) watch.call.server->TryCancel();
      }
    }
  }
}

}  // namespace sfs
