// Whole small chunks kept in memory, so repeated reads of a small file skip
// the chunkserver round trip.
//
// A chunk is cached under its identity: handle, version, length and CRC32C.
// The bytes of a sealed chunk version never change (a new write to a path
// makes new chunks, a resumed one a new version), so an entry can never be
// stale; it is only ever found by a reader holding a fresh Stat of the file,
// which names the chunks the file has now. What is cached was checked twice:
// block by block by the replica that sent it, and whole against the CRC32C
// the master recorded at commit.
//
// Memory: at most `capacity_bytes` of chunk bytes (plus a small entry each),
// least recently used first out. An entry a reader still holds lives on
// until the reader lets go of it.
//
// Thread-safe.
#ifndef SFS_CLIENT_LIB_CHUNK_CACHE_H_
#define SFS_CLIENT_LIB_CHUNK_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace sfs {

struct ChunkIdentity {
  uint64_t handle = 0;
  uint64_t version = 0;
  uint64_t length = 0;
  uint32_t crc32c = 0;

  friend bool operator==(const ChunkIdentity& a, const ChunkIdentity& b) {
    return a.handle == b.handle && a.version == b.version &&
           a.length == b.length && a.crc32c == b.crc32c;
  }
  template <typename H>
  friend H AbslHashValue(H h, const ChunkIdentity& c) {
    return H::combine(std::move(h), c.handle, c.version, c.length, c.crc32c);
  }
};

class ChunkCache {
 public:
  // Keeps chunks of at most `max_chunk_bytes` each, `capacity_bytes` in all.
  ChunkCache(size_t capacity_bytes, size_t max_chunk_bytes);
  ChunkCache(const ChunkCache&) = delete;
  ChunkCache& operator=(const ChunkCache&) = delete;

  // Whether a chunk of `length` bytes is kept at all.
  bool Admits(uint64_t length) const {
    return length > 0 && length <= max_chunk_bytes_ &&
           length <= capacity_bytes_;
  }

  // The chunk's bytes, or null when not cached.
  std::shared_ptr<const std::string> Find(const ChunkIdentity& chunk);

  // Keeps `bytes`, which must be the whole chunk, already checked against
  // its CRC32C (Admits(chunk.length) must hold).
  void Insert(const ChunkIdentity& chunk,
              std::shared_ptr<const std::string> bytes);

  size_t bytes() const;

 private:
  struct Entry {
    ChunkIdentity chunk;
    std::shared_ptr<const std::string> bytes;
  };
  using Lru = std::list<Entry>;  // most recently used first

  const size_t capacity_bytes_;
  const size_t max_chunk_bytes_;
  mutable absl::Mutex mu_;
  Lru lru_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<ChunkIdentity, Lru::iterator> index_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sfs

#endif  // SFS_CLIENT_LIB_CHUNK_CACHE_H_
