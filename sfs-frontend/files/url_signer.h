// Signed URLs: a grant to read one file, or upload to one path, carried in a
// token that works with no other credential until it expires. Every HTTP
// dialect signs and checks grants here (the supabase routes today, the
// /storage share links next), so there is one mechanism to get right.
//
// A token is "<key id>.<payload>.<signature>": the payload is the grant as
// canonical base64url JSON, the signature the HMAC-SHA256 of
// "sfs-signed-url-v1." + "<key id>.<payload>" under that key, also
// base64url. The keys live in the catalog, so every replica checks what any
// replica signed, and an operator rotates them by adding a key and deleting
// the old one: tokens signed with a deleted key stop working within
// UrlSignerOptions::key_refresh on every replica.
//
// Thread-safety: every method may be called concurrently. The catalog must
// outlive the signer.
#ifndef SFS_FRONTEND_FILES_URL_SIGNER_H_
#define SFS_FRONTEND_FILES_URL_SIGNER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sfs-frontend/catalog/catalog.h"

namespace sfs::frontend {

// What a signed URL lets its bearer do.
struct SignedGrant {
  // kWatch: watch one transfer's progress; `path` is its key (the owner's
  // TransferKey in server/frontend_services.h), `ns` is empty.
  enum class Action { kRead, kUpload, kWatch };
  Action action = Action::kRead;
  std::string ns;
  // The namespace's incarnation (its created_at) when the grant was made:
  // a namespace deleted and created again under the name is not the one
  // the grant was for.
  int64_t incarnation = 0;
  std::string path;  // inside the namespace
  // kRead: the version it is pinned to; 0 follows the current file.
  uint64_t version = 0;
  int64_t expires_at = 0;  // unix seconds; the grant is dead from then on
  // kUpload: may replace a file at the path.
  bool overwrite = false;
  // kUpload: a limit of its own, below the namespace's.
  std::optional<uint64_t> max_bytes;
  // kUpload: non-empty for a grant good for one upload; the id it is
  // claimed under in the catalog.
  std::string single_use_id;

  bool operator==(const SignedGrant& other) const;
};

struct UrlSignerOptions {
  // How long a replica trusts the key list it read; a deleted key stops
  // working everywhere within this time. A token naming a key not in the
  // list makes the signer read it again at most once per second.
  absl::Duration key_refresh = absl::Seconds(10);
};

class UrlSigner {
 public:
  explicit UrlSigner(Catalog* catalog, UrlSignerOptions options = {})
      : catalog_(catalog), options_(options) {}

  // A token for `grant`, signed with the newest key (the first signature
  // ever creates one).
  absl::StatusOr<std::string> Sign(const SignedGrant& grant);

  // Adds a new key and deletes every other: every token signed so far stops
  // working (at once here, within key_refresh on other replicas). Returns
  // the new key's id.
  absl::StatusOr<std::string> Rotate();

  // The grant `token` carries, if its signature checks under a current key
  // and it has not expired at `now`. PermissionDenied otherwise, saying why
  // (malformed, unknown key, bad signature, expired).
  absl::StatusOr<SignedGrant> Verify(absl::string_view token, absl::Time now);

 private:
  // The current keys, newest first; read again when older than
  // key_refresh, or when `want` is not among them (at most once a second).
  absl::StatusOr<std::vector<SigningKeyRecord>> Keys(absl::string_view want);
  // Adds a new key, newer than `newest` (0 if there is none).
  absl::StatusOr<SigningKeyRecord> AddKey(int64_t newest);

  Catalog* const catalog_;
  const UrlSignerOptions options_;
  absl::Mutex mu_;
  std::vector<SigningKeyRecord> keys_ ABSL_GUARDED_BY(mu_);
  absl::Time read_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

// A single-use grant's claim in the catalog, held while its upload runs:
// destroyed before Keep, it gives the claim back, so a failed upload leaves
// its link usable.
class SingleUseClaim {
 public:
  // Claims `grant` (which must have a single_use_id). AlreadyExists with
  // HTTP status 409 if it was used before.
  static absl::StatusOr<std::unique_ptr<SingleUseClaim>> Claim(
      Catalog* catalog, const SignedGrant& grant);
  ~SingleUseClaim();

  SingleUseClaim(const SingleUseClaim&) = delete;
  SingleUseClaim& operator=(const SingleUseClaim&) = delete;

  // The upload succeeded: the grant stays used.
  void Keep() { kept_ = true; }

 private:
  SingleUseClaim(Catalog* catalog, std::string id)
      : catalog_(catalog), id_(std::move(id)) {}

  Catalog* const catalog_;
  const std::string id_;
  bool kept_ = false;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_FILES_URL_SIGNER_H_
