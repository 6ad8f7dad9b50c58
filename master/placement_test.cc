#include "master/placement.h"

#include <set>

#include "gtest/gtest.h"

namespace sfs {
namespace {

constexpr uint64_t kGiB = 1ull << 30;

TEST(PlacementTest, PicksDistinctLeastUsedServers) {
  std::vector<PlacementCandidate> c = {{"a", "", 5 * kGiB, kGiB},
                                       {"b", "", 1 * kGiB, kGiB},
                                       {"c", "", 3 * kGiB, kGiB},
                                       {"d", "", 2 * kGiB, kGiB}};
  auto chosen = ChooseReplicas(c, PlacementPolicy{});
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(*chosen, (std::vector<std::string>{"b", "d", "c"}));
}

TEST(PlacementTest, SpreadsAcrossRacksBeforeReusingOne) {
  std::vector<PlacementCandidate> c = {{"a1", "r1", 0, kGiB},
                                       {"a2", "r1", 1, kGiB},
                                       {"b1", "r2", 5, kGiB},
                                       {"c1", "r3", 9, kGiB}};
  auto chosen = ChooseReplicas(c, PlacementPolicy{});
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(*chosen, (std::vector<std::string>{"a1", "b1", "c1"}));
}

TEST(PlacementTest, ReusesRackWhenRacksRunOut) {
  std::vector<PlacementCandidate> c = {
      {"a1", "r1", 0, kGiB}, {"a2", "r1", 1, kGiB}, {"b1", "r2", 5, kGiB}};
  auto chosen = ChooseReplicas(c, PlacementPolicy{});
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(*chosen, (std::vector<std::string>{"a1", "b1", "a2"}));
}

TEST(PlacementTest, SkipsFullServersAndFailsBelowMinimum) {
  std::vector<PlacementCandidate> c = {
      {"a", "", 0, 1024}, {"b", "", 0, kGiB}, {"c", "", 0, kGiB}};
  auto chosen = ChooseReplicas(c, PlacementPolicy{});
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(std::set<std::string>(chosen->begin(), chosen->end()),
            (std::set<std::string>{"b", "c"}));

  c[1].free_bytes = 0;
  EXPECT_EQ(ChooseReplicas(c, PlacementPolicy{}).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ChooseReplicas({}, PlacementPolicy{}).status().code(),
            absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace sfs
