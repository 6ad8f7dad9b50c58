#include "sfs-frontend/auth/login_throttle.h"

#include "gtest/gtest.h"

namespace sfs::frontend {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'000'000);

// Options with generous limits except those a test sets.
LoginThrottleOptions Generous() {
  LoginThrottleOptions o;
  o.address_burst = 100;
  o.username_burst = 100;
  o.max_hashes = 100;
  return o;
}

TEST(LoginThrottleTest, AddressBurstThenOneAttemptPerRefill) {
  LoginThrottleOptions o = Generous();
  o.address_burst = 3;
  o.address_refill = absl::Seconds(10);
  LoginThrottle throttle(o);
  absl::Duration retry;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(throttle.Admit("10.0.0.1", "u", kStart, &retry).ok()) << i;
  }
  auto refused = throttle.Admit("10.0.0.1", "u", kStart, &retry);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(retry, absl::Seconds(10));
  // Another address is not affected; time gives one attempt back.
  EXPECT_TRUE(throttle.Admit("10.0.0.2", "u", kStart, &retry).ok());
  EXPECT_FALSE(
      throttle.Admit("10.0.0.1", "u", kStart + absl::Seconds(4), &retry).ok());
  EXPECT_EQ(retry, absl::Seconds(6));
  EXPECT_TRUE(
      throttle.Admit("10.0.0.1", "u", kStart + absl::Seconds(10), &retry).ok());
}

TEST(LoginThrottleTest, OnlyFailuresCountAgainstAUsernameFromAnyAddress) {
  LoginThrottleOptions o = Generous();
  o.username_burst = 2;
  o.username_refill = absl::Seconds(30);
  LoginThrottle throttle(o);
  absl::Duration retry;
  for (int i = 0; i < 5; ++i) {  // successes cost the username nothing
    EXPECT_TRUE(throttle.Admit("a", "alice", kStart, &retry).ok());
  }
  for (const char* address : {"b", "c"}) {
    auto permit = throttle.Admit(address, "alice", kStart, &retry);
    ASSERT_TRUE(permit.ok());
    (*permit)->Failed(kStart);
    (*permit)->Failed(kStart);  // counted once
  }
  auto refused = throttle.Admit("d", "alice", kStart, &retry);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(retry, absl::Seconds(30));
  EXPECT_TRUE(throttle.Admit("d", "bob", kStart, &retry).ok());
  EXPECT_TRUE(
      throttle.Admit("d", "alice", kStart + absl::Seconds(30), &retry).ok());
}

TEST(LoginThrottleTest, BoundsHashesAtOnce) {
  LoginThrottleOptions o = Generous();
  o.max_hashes = 2;
  LoginThrottle throttle(o);
  absl::Duration retry;
  auto first = throttle.Admit("a", "u1", kStart, &retry);
  auto second = throttle.Admit("b", "u2", kStart, &retry);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(throttle.Admit("c", "u3", kStart, &retry).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(retry, absl::Seconds(1));
  first->reset();  // its hash is done
  EXPECT_TRUE(throttle.Admit("c", "u3", kStart, &retry).ok());
}

TEST(LoginThrottleTest, TracksBoundedAddressesKeepingDebts) {
  LoginThrottleOptions o = Generous();
  o.address_burst = 1;
  o.address_refill = absl::Hours(1);
  o.max_tracked = 4;
  LoginThrottle throttle(o);
  absl::Duration retry;
  ASSERT_TRUE(throttle.Admit("indebted", "u", kStart, &retry).ok());
  for (int i = 0; i < 3; ++i) {  // three more addresses, each in debt
    ASSERT_TRUE(throttle
                    .Admit("a" + std::to_string(i), "u",
                           kStart + absl::Seconds(i + 1), &retry)
                    .ok());
  }
  // A fifth address makes the table forget the debt touched longest ago.
  ASSERT_TRUE(
      throttle.Admit("a3", "u", kStart + absl::Seconds(6), &retry).ok());
  EXPECT_TRUE(
      throttle.Admit("indebted", "u", kStart + absl::Seconds(7), &retry).ok());
  EXPECT_FALSE(
      throttle.Admit("a1", "u", kStart + absl::Seconds(8), &retry).ok());
}

}  // namespace
}  // namespace sfs::frontend
