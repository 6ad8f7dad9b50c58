// CommandQueue holds the instructions waiting to ride back to each
// chunkserver on its next heartbeat reply. A command may wait until a time
// (the GC grace period), and a deletion may be conditional: dropped at
// delivery if by then the master references that chunk version after all.
// Soft state: lost on a master restart, rebuilt from the next reports.
// Thread-safe.
#ifndef SFS_MASTER_COMMAND_QUEUE_H_
#define SFS_MASTER_COMMAND_QUEUE_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/sfs.pb.h"

namespace sfs {

class CommandQueue {
 public:
  // Whether the master references chunk `handle` at `version`.
  using ReferenceCheck = std::function<bool(uint64_t handle, uint64_t version)>;

  // Queues `command` for `server_id`, due at `not_before`. With
  // `only_if_unreferenced`, a DELETE_CHUNK is dropped at delivery when the
  // check says the chunk version is referenced.
  void Push(const std::string& server_id,
            const proto::ChunkserverCommand& command, absl::Time not_before,
            bool only_if_unreferenced);

  // Removes and returns the commands for `server_id` due by `now`. With
  // `deletions_allowed` false (safe mode) deletions stay queued.
  std::vector<proto::ChunkserverCommand> TakeDue(
      const std::string& server_id, absl::Time now, bool deletions_allowed,
      const ReferenceCheck& referenced);

  // Whether a DELETE_CHUNK of `handle` is queued for `server_id`.
  bool HasDeletion(const std::string& server_id, uint64_t handle);

 private:
  struct Entry {
    proto::ChunkserverCommand command;
    absl::Time not_before;
    bool only_if_unreferenced;
  };
  absl::Mutex mu_;
  std::map<std::string, std::vector<Entry>> queues_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sfs

#endif  // SFS_MASTER_COMMAND_QUEUE_H_
