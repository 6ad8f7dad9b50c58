#include "master/repair_planner.h"

#include <algorithm>

namespace sfs {
namespace {

// The live replica least busy with other clones, or "" if all are at the limit.
std::string ChooseSource(const ChunkReplicas& chunk,
                         const std::map<std::string, size_t>& busy,
                         size_t limit) {
  std::string best;
  size_t best_load = limit;
  for (const std::string& id : chunk.live) {
    auto it = busy.find(id);
    size_t load = it == busy.end() ? 0 : it->second;
    if (load < best_load) {
      best = id;
      best_load = load;
    }
  }
  return best;
}

std::string ChooseTarget(const ChunkReplicas& chunk,
                         const std::vector<PlacementCandidate>& servers,
                         const std::map<std::string, size_t>& busy,
                         size_t limit) {
  std::set<std::string> holders(chunk.live.begin(), chunk.live.end());
  std::set<std::string> racks;
  for (const PlacementCandidate& s : servers) {
    if (holders.count(s.server_id) && !s.rack.empty()) racks.insert(s.rack);
  }
  std::vector<PlacementCandidate> fresh_rack, any_rack;
  for (const PlacementCandidate& s : servers) {
    auto it = busy.find(s.server_id);
    if (holders.count(s.server_id) || (it != busy.end() && it->second >= limit))
      continue;
    any_rack.push_back(s);
    if (s.rack.empty() || !racks.count(s.rack)) fresh_rack.push_back(s);
  }
  PlacementPolicy one{/*replication=*/1, /*min_replicas=*/1};
  for (const auto* pool : {&fresh_rack, &any_rack}) {
    auto chosen = ChooseReplicas(*pool, one);
    if (chosen.ok()) return chosen->front();
  }
  return "";
}

}  // namespace

RepairPlan PlanRepairs(std::vector<ChunkReplicas> chunks,
                       const std::vector<PlacementCandidate>& servers,
                       std::map<std::string, size_t> busy,
                       const std::set<uint64_t>& in_flight,
                       const RepairLimits& limits) {
  RepairPlan plan;
  std::map<std::string, uint64_t> used;
  for (const PlacementCandidate& s : servers) used[s.server_id] = s.used_bytes;

  std::stable_sort(chunks.begin(), chunks.end(),
                   [](const ChunkReplicas& a, const ChunkReplicas& b) {
                     return a.present < b.present;
                   });
  for (ChunkReplicas& chunk : chunks) {
    if (chunk.present < limits.replication) {
      ++plan.under_replicated;
      if (chunk.live.empty() || in_flight.count(chunk.handle)) continue;
      std::string source =
          ChooseSource(chunk, busy, limits.max_clones_per_server);
      if (source.empty()) continue;
      std::string target =
          ChooseTarget(chunk, servers, busy, limits.max_clones_per_server);
      if (target.empty()) continue;
      ++busy[source];
      ++busy[target];
      plan.clones.push_back(CloneTask{chunk.handle, source, target});
    } else if (chunk.live.size() > limits.replication &&
               chunk.present == chunk.live.size()) {
      std::sort(chunk.live.begin(), chunk.live.end(),
                [&](const std::string& a, const std::string& b) {
                  return used[a] > used[b];
                });
      for (size_t i = 0; i < chunk.live.size() - limits.replication; ++i) {
        plan.trims.push_back(TrimTask{chunk.handle, chunk.live[i]});
      }
    }
  }
  return plan;
}

}  // namespace sfs
