// Checksums used across SFS: CRC32C guards every 64 KiB block on disk and
// every segment on the wire; SHA-256 identifies a file's content (the ETag).
#ifndef SFS_COMMON_CHECKSUM_H_
#define SFS_COMMON_CHECKSUM_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace rocksdb {
class FileChecksumGenerator;
}

namespace sfs {

// Streaming CRC32C (Castagnoli), the unmasked standard value. Every byte
// SFS stores or moves passes through it several times, so it uses the CPU's
// CRC32 instruction (SSE4.2) when there is one. Debian packages no CRC32C
// library, and RocksDB's (the fallback on other CPUs) is built portable
// there: 0.8 GB/s on our machines, against several GB/s for the instruction.
// Not thread-safe; cheap to create.
class Crc32c {
 public:
  Crc32c();
  ~Crc32c();
  Crc32c(const Crc32c&) = delete;
  Crc32c& operator=(const Crc32c&) = delete;

  void Update(absl::string_view data);
  // The CRC of everything passed to Update so far. Call once.
  uint32_t Finish();

 private:
  uint32_t crc_ = 0;  // running value of the hardware path
  std::unique_ptr<rocksdb::FileChecksumGenerator> portable_;  // or this
};

namespace internal {
// The portable path alone, so tests check both paths agree.
uint32_t PortableCrc32c(absl::string_view data);
}  // namespace internal

// CRC32C of `data` in one call.
uint32_t ComputeCrc32c(absl::string_view data);

// Streaming SHA-256 (OpenSSL) whose state can be saved mid-stream and
// restored in another process, so a resumed upload goes on hashing where
// its first writer stopped. Not thread-safe.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(absl::string_view data);
  // Lowercase hex of the digest of everything passed to Update. Call once.
  std::string FinishHex();

  // The state after everything passed to Update so far, in a fixed layout
  // (little-endian words) that any machine restores.
  std::string SaveState() const;
  // Continues from a SaveState; false (state unchanged) if `state` is not
  // one.
  bool RestoreState(absl::string_view state);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sfs

#endif  // SFS_COMMON_CHECKSUM_H_
