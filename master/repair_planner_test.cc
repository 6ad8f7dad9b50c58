#include "master/repair_planner.h"

#include "gtest/gtest.h"

namespace sfs {
namespace {

constexpr uint64_t kGiB = 1ull << 30;

std::vector<PlacementCandidate> Servers() {
  return {{"a", "r1", 1, kGiB},
          {"b", "r2", 2, kGiB},
          {"c", "r3", 3, kGiB},
          {"d", "r4", 4, kGiB}};
}

TEST(RepairPlannerTest, ClonesMissingReplicaOntoFreshRack) {
  RepairPlan plan =
      PlanRepairs({{7, {"b", "c"}, 2}}, Servers(), {}, {}, RepairLimits{});
  ASSERT_EQ(plan.clones.size(), 1u);
  EXPECT_EQ(plan.clones[0].handle, 7u);
  EXPECT_EQ(plan.clones[0].target_id, "a");
  EXPECT_TRUE(plan.clones[0].source_id == "b" ||
              plan.clones[0].source_id == "c");
  EXPECT_EQ(plan.under_replicated, 1u);
}

TEST(RepairPlannerTest, MostUrgentFirstWithinPerServerLimits) {
  // Only server d can take clones and only one at a time: the chunk with a
  // single replica left wins.
  std::vector<PlacementCandidate> servers = Servers();
  RepairLimits limits{3, 1};
  RepairPlan plan = PlanRepairs({{1, {"a", "b"}, 2}, {2, {"c"}, 1}}, servers,
                                {{"a", 1}, {"b", 1}}, {}, limits);
  ASSERT_EQ(plan.clones.size(), 1u);
  EXPECT_EQ(plan.clones[0].handle, 2u);
  EXPECT_EQ(plan.clones[0].source_id, "c");
  EXPECT_EQ(plan.clones[0].target_id, "d");
  EXPECT_EQ(plan.under_replicated, 2u);
}

TEST(RepairPlannerTest, RecentlyDeadReplicasStillCountAndInFlightIsSkipped) {
  RepairPlan waiting =
      PlanRepairs({{1, {"a", "b"}, 3}}, Servers(), {}, {}, RepairLimits{});
  EXPECT_TRUE(waiting.clones.empty());
  EXPECT_EQ(waiting.under_replicated, 0u);
  RepairPlan busy =
      PlanRepairs({{1, {"a", "b"}, 2}}, Servers(), {}, {1}, RepairLimits{});
  EXPECT_TRUE(busy.clones.empty());
  EXPECT_EQ(busy.under_replicated, 1u);
}

TEST(RepairPlannerTest, NothingToCloneFromOrTo) {
  EXPECT_TRUE(PlanRepairs({{1, {}, 0}}, Servers(), {}, {}, RepairLimits{})
                  .clones.empty());
  EXPECT_TRUE(PlanRepairs({{1, {"a", "b", "c", "d"}, 2}}, Servers(), {}, {},
                          RepairLimits{5, 2})
                  .clones.empty());
}

TEST(RepairPlannerTest, TrimsSurplusFromMostUsedServers) {
  RepairPlan plan = PlanRepairs({{1, {"a", "b", "c", "d"}, 4}}, Servers(), {},
                                {}, RepairLimits{});
  ASSERT_EQ(plan.trims.size(), 1u);
  EXPECT_EQ(plan.trims[0].server_id, "d");
  // A surplus is not trimmed while some replica's server is in doubt.
  EXPECT_TRUE(PlanRepairs({{1, {"a", "b", "c", "d"}, 5}}, Servers(), {}, {},
                          RepairLimits{})
                  .trims.empty());
}

}  // namespace
}  // namespace sfs
