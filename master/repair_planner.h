// PlanRepairs decides, from a snapshot of where every chunk's replicas are,
// which chunks to clone where and which surplus replicas to trim. It holds no
// state and does no I/O, so the policy is tested on its own; the Master feeds
// it snapshots and carries the plan out through heartbeat commands.
//
// Policy:
//  - A chunk with fewer than `replication` present replicas is repaired, the
//    fewest-replicas chunks first (one replica left before two).
//  - Source: a live replica; target: the least-used live server that lacks
//    the chunk, on a rack the chunk is not on yet when there is one.
//  - No server takes part (as source or target) in more than
//    `max_clones_per_server` clones at once, so client traffic keeps flowing.
//  - A chunk with more live replicas than `replication` loses the surplus
//    from its most-used servers, but only while every replica is live (a
//    half-known picture never causes a deletion).
#ifndef SFS_MASTER_REPAIR_PLANNER_H_
#define SFS_MASTER_REPAIR_PLANNER_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "master/placement.h"

namespace sfs {

struct ChunkReplicas {
  uint64_t handle = 0;
  // Replicas on servers alive now (can serve as a clone source).
  std::vector<std::string> live;
  // Replicas that still count: live ones plus those on servers that died too
  // recently to give up on (a quick restart should cause no clone storm).
  size_t present = 0;
};

struct CloneTask {
  uint64_t handle = 0;
  std::string source_id;
  std::string target_id;
};

struct TrimTask {
  uint64_t handle = 0;
  std::string server_id;
};

struct RepairPlan {
  std::vector<CloneTask> clones;
  std::vector<TrimTask> trims;
  size_t under_replicated = 0;  // chunks below `replication`, planned or not
};

struct RepairLimits {
  size_t replication = 3;
  size_t max_clones_per_server = 2;
};

// `servers`: live servers that may take new chunks. `busy`: clones already
// in flight per server. `in_flight`: chunks already being cloned.
RepairPlan PlanRepairs(std::vector<ChunkReplicas> chunks,
                       const std::vector<PlacementCandidate>& servers,
                       std::map<std::string, size_t> busy,
                       const std::set<uint64_t>& in_flight,
                       const RepairLimits& limits);

}  // namespace sfs

#endif  // SFS_MASTER_REPAIR_PLANNER_H_
