// ChunkserverRegistry is the master's soft state about chunkservers: who is
// registered, where they listen, how full they are, and when each was last
// heard from. It is rebuilt from registrations after a master restart and
// never persisted. A server not heard from for `dead_after` is dead: it
// gets no new chunks and its replicas are not handed to readers.
//
// ChunkLocations maps chunk handles to the servers that reported a replica
// of the current version. Also soft state.
//
// Both are thread-safe.
#ifndef SFS_MASTER_CHUNKSERVER_REGISTRY_H_
#define SFS_MASTER_CHUNKSERVER_REGISTRY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "master/placement.h"

namespace sfs {

struct ChunkserverInfo {
  std::string server_id;
  // The certificate name it registered with (empty without TLS): only that
  // identity may register or heartbeat as `server_id` again.
  std::string identity;
  std::string address;
  std::string rack;
  uint64_t used_bytes = 0;
  uint64_t free_bytes = 0;
  absl::Time last_heartbeat;
  bool disk_failed = false;  // reported I/O errors: no new chunks
  bool alive = false;        // filled in by the registry's queries
};

class ChunkserverRegistry {
 public:
  explicit ChunkserverRegistry(absl::Duration dead_after);

  // Adds or refreshes a server (a restarted server registers again).
  // PermissionDenied, changing nothing, when the id is held by another
  // identity.
  absl::Status Register(const ChunkserverInfo& info, absl::Time now);

  // Refreshes liveness and space. NotFound if the server is unknown (e.g.
  // the master restarted): it must register again with a full chunk
  // report. PermissionDenied when `identity` does not hold the id.
  absl::Status Heartbeat(const std::string& server_id,
                         const std::string& identity, uint64_t used_bytes,
                         uint64_t free_bytes, bool disk_failed, absl::Time now);

  std::optional<ChunkserverInfo> Get(const std::string& server_id,
                                     absl::Time now);
  std::vector<ChunkserverInfo> List(absl::Time now);

  // Live servers with a working disk, as placement candidates.
  std::vector<PlacementCandidate> LiveCandidates(absl::Time now);

  // Counts `bytes` as used on each server until its next heartbeat, so a
  // burst of allocations spreads instead of piling onto one server.
  void NoteAllocation(const std::vector<std::string>& server_ids,
                      uint64_t bytes);

 private:
  bool IsAliveLocked(const ChunkserverInfo& info, absl::Time now) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const absl::Duration dead_after_;
  absl::Mutex mu_;
  std::map<std::string, ChunkserverInfo> servers_ ABSL_GUARDED_BY(mu_);
};

class ChunkLocations {
 public:
  void Add(uint64_t handle, const std::string& server_id);
  void Remove(uint64_t handle, const std::string& server_id);
  // Forgets every replica on a server (before its full report replaces them).
  void RemoveServer(const std::string& server_id);

  std::vector<std::string> ServersOf(uint64_t handle);
  std::map<std::string, uint64_t> CountsByServer();

 private:
  absl::Mutex mu_;
  std::map<uint64_t, std::set<std::string>> by_chunk_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::set<uint64_t>> by_server_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sfs

#endif  // SFS_MASTER_CHUNKSERVER_REGISTRY_H_
