#include "master/placement.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"

namespace sfs {

absl::StatusOr<std::vector<std::string>> ChooseReplicas(
    std::vector<PlacementCandidate> candidates, const PlacementPolicy& policy) {
  candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                  [&](const PlacementCandidate& c) {
                                    return c.free_bytes < policy.reserve_bytes;
                                  }),
                   candidates.end());
  std::sort(candidates.begin(), candidates.end(),
            [](const PlacementCandidate& a, const PlacementCandidate& b) {
              if (a.used_bytes != b.used_bytes)
                return a.used_bytes < b.used_bytes;
              return a.server_id < b.server_id;
            });

  std::vector<std::string> chosen;
  std::set<std::string> racks_used;
  std::vector<bool> taken(candidates.size(), false);
  while (chosen.size() < policy.replication) {
    // First choice: the least-used server on a fresh rack; else least-used.
    int pick = -1;
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (taken[i]) continue;
      if (pick < 0) pick = static_cast<int>(i);
      if (candidates[i].rack.empty() || !racks_used.count(candidates[i].rack)) {
        pick = static_cast<int>(i);
        break;
      }
    }
    if (pick < 0) break;
    taken[pick] = true;
    racks_used.insert(candidates[pick].rack);
    chosen.push_back(candidates[pick].server_id);
  }
  if (chosen.size() < policy.min_replicas) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "cannot place a chunk: ", chosen.size(),
        " chunkservers with free space, need at least ", policy.min_replicas));
  }
  return chosen;
}

}  // namespace sfs
