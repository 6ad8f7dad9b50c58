// Replica placement: which chunkservers get a new chunk.
#ifndef SFS_MASTER_PLACEMENT_H_
#define SFS_MASTER_PLACEMENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sfs {

struct PlacementCandidate {
  std::string server_id;
  std::string rack;  // empty when unlabelled
  uint64_t used_bytes = 0;
  uint64_t free_bytes = 0;
};

struct PlacementPolicy {
  // Replicas wanted per chunk.
  size_t replication = 3;
  // Fewer live candidates than this and placement fails.
  size_t min_replicas = 2;
  // A server with less free space than this cannot take a chunk.
  uint64_t reserve_bytes = 64ull * 1024 * 1024;
};

// Picks up to policy.replication distinct servers, least-used first, each
// new pick on a rack not yet used while such a rack has a candidate.
// Returns the ids in chain order (the first is the primary).
// ResourceExhausted when fewer than policy.min_replicas servers have room.
absl::StatusOr<std::vector<std::string>> ChooseReplicas(
    std::vector<PlacementCandidate> candidates, const PlacementPolicy& policy);

}  // namespace sfs

#endif  // SFS_MASTER_PLACEMENT_H_
