#include "master/chunkserver_registry.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace sfs {

ChunkserverRegistry::ChunkserverRegistry(absl::Duration dead_after)
    : dead_after_(dead_after) {}

bool ChunkserverRegistry::IsAliveLocked(const ChunkserverInfo& info,
                                        absl::Time now) const {
  return now - info.last_heartbeat < dead_after_;
}

namespace {

absl::Status CheckIdentity(const ChunkserverInfo& known,
                           const std::string& identity) {
  if (known.identity == identity) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "chunkserver id ", known.server_id, " belongs to the certificate \"",
      known.identity, "\", not \"", identity, "\""));
}

}  // namespace

absl::Status ChunkserverRegistry::Register(const ChunkserverInfo& info,
                                           absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto [it, added] = servers_.try_emplace(info.server_id, info);
  if (!added) RETURN_IF_ERROR(CheckIdentity(it->second, info.identity));
  it->second = info;
  it->second.last_heartbeat = now;
  return absl::OkStatus();
}

absl::Status ChunkserverRegistry::Heartbeat(const std::string& server_id,
                                            const std::string& identity,
                                            uint64_t used_bytes,
                                            uint64_t free_bytes,
                                            bool disk_failed, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = servers_.find(server_id);
  if (it == servers_.end()) {
    return absl::NotFoundError(
        absl::StrCat("chunkserver ", server_id, " is not registered"));
  }
  RETURN_IF_ERROR(CheckIdentity(it->second, identity));
  it->second.used_bytes = used_bytes;
  it->second.free_bytes = free_bytes;
  it->second.disk_failed = disk_failed;
  it->second.last_heartbeat = now;
  return absl::OkStatus();
}

std::optional<ChunkserverInfo> ChunkserverRegistry::Get(
    const std::string& server_id, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = servers_.find(server_id);
  if (it == servers_.end()) return std::nullopt;
  ChunkserverInfo info = it->second;
  info.alive = IsAliveLocked(info, now);
  return info;
}

std::vector<ChunkserverInfo> ChunkserverRegistry::List(absl::Time now) {
  absl::MutexLock lock(&mu_);
  std::vector<ChunkserverInfo> out;
  for (const auto& entry : servers_) {
    out.push_back(entry.second);
    out.back().alive = IsAliveLocked(entry.second, now);
  }
  return out;
}

std::vector<PlacementCandidate> ChunkserverRegistry::LiveCandidates(
    absl::Time now) {
  absl::MutexLock lock(&mu_);
  std::vector<PlacementCandidate> out;
  for (const auto& [id, info] : servers_) {
    if (!IsAliveLocked(info, now) || info.disk_failed) continue;
    out.push_back(
        PlacementCandidate{id, info.rack, info.used_bytes, info.free_bytes});
  }
  return out;
}

void ChunkserverRegistry::NoteAllocation(
    const std::vector<std::string>& server_ids, uint64_t bytes) {
  absl::MutexLock lock(&mu_);
  for (const std::string& id : server_ids) {
    auto it = servers_.find(id);
    if (it == servers_.end()) continue;
    it->second.used_bytes += bytes;
    it->second.free_bytes -= std::min(it->second.free_bytes, bytes);
  }
}

void ChunkLocations::Add(uint64_t handle, const std::string& server_id) {
  absl::MutexLock lock(&mu_);
  by_chunk_[handle].insert(server_id);
  by_server_[server_id].insert(handle);
}

void ChunkLocations::Remove(uint64_t handle, const std::string& server_id) {
  absl::MutexLock lock(&mu_);
  auto it = by_chunk_.find(handle);
  if (it != by_chunk_.end()) {
    it->second.erase(server_id);
    if (it->second.empty()) by_chunk_.erase(it);
  }
  auto st = by_server_.find(server_id);
  if (st != by_server_.end()) st->second.erase(handle);
}

void ChunkLocations::RemoveServer(const std::string& server_id) {
  absl::MutexLock lock(&mu_);
  auto st = by_server_.find(server_id);
  if (st == by_server_.end()) return;
  for (uint64_t handle : st->second) {
    auto it = by_chunk_.find(handle);
    if (it == by_chunk_.end()) continue;
    it->second.erase(server_id);
    if (it->second.empty()) by_chunk_.erase(it);
  }
  by_server_.erase(st);
}

std::vector<std::string> ChunkLocations::ServersOf(uint64_t handle) {
  absl::MutexLock lock(&mu_);
  auto it = by_chunk_.find(handle);
  if (it == by_chunk_.end()) return {};
  return std::vector<std::string>(it->second.begin(), it->second.end());
}

std::map<std::string, uint64_t> ChunkLocations::CountsByServer() {
  absl::MutexLock lock(&mu_);
  std::map<std::string, uint64_t> out;
  for (const auto& [id, handles] : by_server_) out[id] = handles.size();
  return out;
}

}  // namespace sfs
