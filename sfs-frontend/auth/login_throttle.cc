#include "sfs-frontend/auth/login_throttle.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"

namespace sfs::frontend {

LoginThrottle::LoginThrottle(LoginThrottleOptions options)
    : options_(options) {}

LoginThrottle::Permit::~Permit() { throttle_->ReleaseHash(); }

void LoginThrottle::Permit::Failed(absl::Time now) {
  if (failed_) return;
  failed_ = true;
  const LoginThrottleOptions& o = throttle_->options_;
  absl::MutexLock lock(&throttle_->mu_);
  Bucket& bucket =
      throttle_->Refilled(throttle_->usernames_, username_, o.username_burst,
                          o.username_refill, now);
  bucket.tokens = std::max(0.0, bucket.tokens - 1);
}

void LoginThrottle::ReleaseHash() {
  absl::MutexLock lock(&mu_);
  --hashing_;
}

LoginThrottle::Bucket& LoginThrottle::Refilled(Buckets& buckets,
                                               const std::string& key,
                                               int burst, absl::Duration refill,
                                               absl::Time now) {
  auto it = buckets.find(key);
  if (it == buckets.end()) {
    if (buckets.size() >= options_.max_tracked) {
      // Forget a bucket that would be full by now (it holds no debt), or
      // else the one touched longest ago.
      auto victim = buckets.begin();
      for (auto b = buckets.begin(); b != buckets.end(); ++b) {
        if (b->second.tokens +
                absl::FDivDuration(now - b->second.updated, refill) >=
            burst) {
          victim = b;
          break;
        }
        if (b->second.updated < victim->second.updated) victim = b;
      }
      buckets.erase(victim);
    }
    it = buckets.emplace(key, Bucket{static_cast<double>(burst), now}).first;
  }
  Bucket& bucket = it->second;
  if (now > bucket.updated) {
    bucket.tokens = std::min<double>(
        burst,
        bucket.tokens + absl::FDivDuration(now - bucket.updated, refill));
    bucket.updated = now;
  }
  return bucket;
}

absl::StatusOr<std::unique_ptr<LoginThrottle::Permit>> LoginThrottle::Admit(
    const std::string& address, const std::string& username, absl::Time now,
    absl::Duration* retry_after) {
  absl::MutexLock lock(&mu_);
  if (hashing_ >= options_.max_hashes) {
    *retry_after = absl::Seconds(1);
    return absl::ResourceExhaustedError(
        "too many logins at once on this server; retry shortly");
  }
  Bucket& user = Refilled(usernames_, username, options_.username_burst,
                          options_.username_refill, now);
  if (user.tokens < 1) {
    *retry_after = (1 - user.tokens) * options_.username_refill;
    return absl::ResourceExhaustedError(
        "too many failed logins for this user; retry later");
  }
  Bucket& from = Refilled(addresses_, address, options_.address_burst,
                          options_.address_refill, now);
  if (from.tokens < 1) {
    *retry_after = (1 - from.tokens) * options_.address_refill;
    return absl::ResourceExhaustedError(
        "too many logins from this address; retry later");
  }
  from.tokens -= 1;
  ++hashing_;
  return std::unique_ptr<Permit>(new Permit(this, username));
}

}  // namespace sfs::frontend
