#include "master/command_queue.h"

namespace sfs {

void CommandQueue::Push(const std::string& server_id,
                        const proto::ChunkserverCommand& command,
                        absl::Time not_before, bool only_if_unreferenced) {
  absl::MutexLock lock(&mu_);
  queues_[server_id].push_back(
      Entry{command, not_before, only_if_unreferenced});
}

std::vector<proto::ChunkserverCommand> CommandQueue::TakeDue(
    const std::string& server_id, absl::Time now, bool deletions_allowed,
    const ReferenceCheck& referenced) {
  std::vector<Entry> due;
  {
    absl::MutexLock lock(&mu_);
    auto it = queues_.find(server_id);
    if (it == queues_.end()) return {};
    std::vector<Entry> keep;
    for (Entry& entry : it->second) {
      bool deletion =
          entry.command.kind() == proto::ChunkserverCommand::DELETE_CHUNK;
      if (entry.not_before > now || (deletion && !deletions_allowed)) {
        keep.push_back(std::move(entry));
      } else {
        due.push_back(std::move(entry));
      }
    }
    it->second = std::move(keep);
  }
  std::vector<proto::ChunkserverCommand> out;
  for (Entry& entry : due) {
    if (entry.only_if_unreferenced &&
        referenced(entry.command.handle(), entry.command.version())) {
      continue;  // the chunk is live after all: never delete what we reference
    }
    out.push_back(std::move(entry.command));
  }
  return out;
}

bool CommandQueue::HasDeletion(const std::string& server_id, uint64_t handle) {
  absl::MutexLock lock(&mu_);
  auto it = queues_.find(server_id);
  if (it == queues_.end()) return false;
  for (const Entry& entry : it->second) {
    if (entry.command.kind() == proto::ChunkserverCommand::DELETE_CHUNK &&
        entry.command.handle() == handle) {
      return true;
    }
  }
  return false;
}

}  // namespace sfs
