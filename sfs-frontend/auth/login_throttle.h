// What clients can make /api/login cost. Every attempt hashes a password
// with argon2id over 64 MiB (auth/password.h), so an unthrottled flood
// exhausts a replica's memory and CPU. LoginThrottle bounds it three ways:
//
//  - per client address, a token bucket of `address_burst` attempts that
//    refills one every `address_refill`;
//  - per username, the same for *failed* attempts (`username_burst`,
//    `username_refill`), so guessing one account's password is slow from
//    any number of addresses;
//  - at most `max_hashes` attempts hash at once in the process; one beyond
//    that is refused at once rather than queued.
//
// A refusal says when to retry. Tracked addresses and usernames are bounded
// (`max_tracked` of each; beyond, entries that hold no debt are forgotten
// first, then the least recently touched).
//
// Thread-safety: every method may be called concurrently; a Permit belongs
// to one thread.
#ifndef SFS_FRONTEND_AUTH_LOGIN_THROTTLE_H_
#define SFS_FRONTEND_AUTH_LOGIN_THROTTLE_H_

#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace sfs::frontend {

struct LoginThrottleOptions {
  int address_burst = 10;
  absl::Duration address_refill = absl::Seconds(6);
  int username_burst = 5;
  absl::Duration username_refill = absl::Seconds(30);
  int max_hashes = 4;
  size_t max_tracked = 10000;
};

class LoginThrottle {
 public:
  // One admitted attempt. Holds one of the hash slots until destroyed.
  class Permit {
   public:
    ~Permit();
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;

    // The password was wrong or the user unknown: counts against the
    // username. At most once.
    void Failed(absl::Time now);

   private:
    friend class LoginThrottle;
    Permit(LoginThrottle* throttle, std::string username)
        : throttle_(throttle), username_(std::move(username)) {}

    LoginThrottle* const throttle_;
    const std::string username_;
    bool failed_ = false;
  };

  explicit LoginThrottle(LoginThrottleOptions options = {});

  // Admits an attempt by `address` to log in as `username` at `now`, or
  // refuses it with ResourceExhausted and sets *retry_after.
  absl::StatusOr<std::unique_ptr<Permit>> Admit(const std::string& address,
                                                const std::string& username,
                                                absl::Time now,
                                                absl::Duration* retry_after);

 private:
  // A token bucket: `tokens` as of `updated`.
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
  };
  using Buckets = std::map<std::string, Bucket>;

  // The bucket of `key`, refilled up to `now`, created full if new (after
  // making room within max_tracked).
  Bucket& Refilled(Buckets& buckets, const std::string& key, int burst,
                   absl::Duration refill, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReleaseHash();

  const LoginThrottleOptions options_;
  absl::Mutex mu_;
  int hashing_ ABSL_GUARDED_BY(mu_) = 0;
  Buckets addresses_ ABSL_GUARDED_BY(mu_);
  Buckets usernames_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_AUTH_LOGIN_THROTTLE_H_
