// Block tokens: the master's signed permission to read or write one chunk,
// checked by the chunkservers before they serve a byte (as HDFS block
// access tokens are). A cluster certificate says who a caller is; a token
// says which chunk it may touch, how, until when and, for writes, on which
// replicas. Without one, a frontend's certificate would open every chunk
// of every file by guessing handles.
//
// The master signs with one key (BlockTokenSigner), kept in its data
// directory so tokens survive its restarts, and hands the key to each
// chunkserver when it registers, over the authenticated cluster plane.
// Chunkservers keep the few newest keys they were given
// (BlockTokenVerifier), so tokens signed before a key changed stay valid
// until they expire.
#ifndef SFS_COMMON_BLOCK_TOKEN_H_
#define SFS_COMMON_BLOCK_TOKEN_H_

#include <deque>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "proto/sfs.pb.h"

namespace sfs {

// Signs tokens with one key. Immutable, thread-safe.
class BlockTokenSigner {
 public:
  // The key kept in `path`, made (random, mode 0600) when the file does not
  // exist yet. Tokens live `lifetime`.
  static absl::StatusOr<BlockTokenSigner> OpenKeyFile(const std::string& path,
                                                      absl::Duration lifetime);

  BlockTokenSigner(proto::BlockKey key, absl::Duration lifetime)
      : key_(std::move(key)), lifetime_(lifetime) {}

  // A token for `handle` in `mode` that expires `lifetime` after `now`;
  // `chain` (WRITE) lists the replicas the write may reach.
  proto::BlockToken Sign(uint64_t handle, proto::BlockToken::Mode mode,
                         const std::vector<std::string>& chain,
                         absl::Time now) const;

  const proto::BlockKey& key() const { return key_; }

 private:
  proto::BlockKey key_;
  absl::Duration lifetime_;
};

// Checks tokens against the keys a master handed out. Thread-safe.
class BlockTokenVerifier {
 public:
  // The newest keys kept; older ones are forgotten.
  static constexpr size_t kMaxKeys = 4;

  // Trusts `key` from now on (a key already known changes nothing).
  void AddKey(const proto::BlockKey& key);

  // OK when `token` carries a valid MAC under a known key, names `handle`
  // and `mode`, and has not expired at `now`; for WRITE, every address in
  // `replicas` (this server, then the rest of the chain) must be in the
  // token's chain. PermissionDenied saying which check failed.
  absl::Status Verify(const proto::BlockToken& token, uint64_t handle,
                      proto::BlockToken::Mode mode,
                      absl::Span<const std::string> replicas,
                      absl::Time now) const;

 private:
  mutable absl::Mutex mu_;
  std::deque<proto::BlockKey> keys_ ABSL_GUARDED_BY(mu_);  // newest first
};

// The MAC a token carries: HMAC-SHA256 under `secret` of every other field.
std::string BlockTokenMac(const proto::BlockToken& token,
                          const std::string& secret);

}  // namespace sfs

#endif  // SFS_COMMON_BLOCK_TOKEN_H_
