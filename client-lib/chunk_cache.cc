#include "client-lib/chunk_cache.h"

#include <utility>

namespace sfs {

ChunkCache::ChunkCache(size_t capacity_bytes, size_t max_chunk_bytes)
    : capacity_bytes_(capacity_bytes), max_chunk_bytes_(max_chunk_bytes) {}

std::shared_ptr<const std::string> ChunkCache::Find(
    const ChunkIdentity& chunk) {
  absl::MutexLock lock(&mu_);
  auto it = index_.find(chunk);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->bytes;
}

void ChunkCache::Insert(const ChunkIdentity& chunk,
                        std::shared_ptr<const std::string> bytes) {
  if (!Admits(bytes->size()) || bytes->size() != chunk.length) return;
  absl::MutexLock lock(&mu_);
  if (index_.contains(chunk)) return;  // another reader was first
  bytes_ += bytes->size();
  lru_.push_front(Entry{chunk, std::move(bytes)});
  index_[chunk] = lru_.begin();
  while (bytes_ > capacity_bytes_) {
    const Entry& oldest = lru_.back();
    bytes_ -= oldest.bytes->size();
    index_.erase(oldest.chunk);
    lru_.pop_back();
  }
}

size_t ChunkCache::bytes() const {
  absl::MutexLock lock(&mu_);
  return bytes_;
}

}  // namespace sfs
