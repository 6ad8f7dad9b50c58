// The Catalog: the frontend's durable records that every frontend replica
// must agree on — namespace records, users, API tokens, the keys signed URLs
// are signed with and the single-use grants already used — plus the fan-out
// of upload-progress events between replicas.
//
// Two implementations pass one conformance suite (catalog_conformance_test):
//   EmbeddedCatalog  RocksDB in a local directory; one frontend process.
//   PostgresCatalog  PostgreSQL via libpq; any number of frontend replicas.
//
// Records are stored exactly as given: the catalog validates them (names,
// required fields, strings that are UTF-8 without NUL, except signing key
// secrets, which are raw bytes) but fills in nothing, so the caller sets
// created_at.
//
// Errors: NotFound, AlreadyExists and InvalidArgument as documented per
// method; Unavailable when the backing store cannot be reached (the caller
// may retry); Internal for anything that indicates a bug or corruption.
//
// Thread-safety: every method may be called concurrently from any thread.

#ifndef SFS_FRONTEND_CATALOG_CATALOG_H_
#define SFS_FRONTEND_CATALOG_CATALOG_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sfs::frontend {

enum class Visibility : int { kPrivate = 0, kPublic = 1 };

// Per-namespace limits. An absent optional means "no limit / not set"; zero
// is a real value (quota_bytes = 0 admits no data, keep_versions = 0 keeps no
// old versions).
struct NamespacePolicies {
  std::optional<int64_t> max_file_bytes;
  // MIME types uploads may have, "image/*" wildcards allowed; empty: any.
  std::vector<std::string> allowed_mime_types;
  std::optional<int64_t> quota_bytes;
  std::optional<int32_t> retention_days;
  std::optional<int32_t> keep_versions;

  bool operator==(const NamespacePolicies& other) const;
};

// owner_id of namespaces that belong to no user, such as "default": only
// admins may change them. Never a catalog username, which has no ':'.
inline constexpr char kSystemOwner[] = "sfs:system";

struct NamespaceRecord {
  std::string name;      // see ValidateNamespaceName in names.h
  std::string owner_id;  // user id of the owner; not necessarily a catalog
                         // user, since JWTs may come from another issuer
  Visibility visibility = Visibility::kPrivate;
  bool hidden = false;
  int64_t created_at = 0;  // unix microseconds
  NamespacePolicies policies;

  bool operator==(const NamespaceRecord& other) const;
};

struct UserRecord {
  std::string username;       // see ValidateUsername in names.h
  std::string password_hash;  // auth/password.h; never the password
  bool is_admin = false;
  int64_t created_at = 0;  // unix microseconds

  bool operator==(const UserRecord& other) const;
};

struct ApiTokenRecord {
  std::string id;                   // chosen by the caller; shown in listings
  std::string username;             // must name a catalog user
  std::vector<std::string> scopes;  // auth/scopes.h grammar, not checked here
  std::string secret_hash;  // lowercase hex SHA-256 of the secret, which the
                            // catalog never sees (auth/api_token_secret.h)
  int64_t expires_at = 0;   // unix microseconds; 0 = never
  int64_t created_at = 0;   // unix microseconds

  bool operator==(const ApiTokenRecord& other) const;
};

// Bounds of SigningKeyRecord::secret, in bytes: at least HMAC-SHA256's
// output size (shorter keys weaken it), at most HMAC-SHA512's block size
// (longer keys are hashed first and gain nothing).
inline constexpr size_t kMinSigningKeySecretBytes = 32;
inline constexpr size_t kMaxSigningKeySecretBytes = 128;

// A key signed URLs are signed with (files/url_signer.h). Every replica signs
// and verifies with the catalog's keys; adding a new key and later deleting
// the old one rotates them.
struct SigningKeyRecord {
  std::string id;          // see ValidateSigningKeyId in names.h
  std::string secret;      // raw key bytes, any values; length within
                           // kMin/kMaxSigningKeySecretBytes
  int64_t created_at = 0;  // unix microseconds, not negative

  bool operator==(const SigningKeyRecord& other) const;
};

// A security event in the audit log (Catalog::AppendAudit): who did what
// to what, from where, and how it ended. Free text, each field at most
// kMaxAuditFieldBytes bytes (longer ones are InvalidArgument).
struct AuditEvent {
  int64_t at = 0;       // unix microseconds
  std::string actor;    // a username, "anonymous", "sfs:system", "cli"
  std::string action;   // "login", "namespace.delete", "user.add", ...
  std::string target;   // what it acted on: a user, namespace, file
  std::string outcome;  // "ok", or the refusal's error code
  std::string address;  // the client's address; empty from the CLI

  bool operator==(const AuditEvent& other) const;
};
inline constexpr size_t kMaxAuditFieldBytes = 1024;

// How many expired single-use grants one ClaimSingleUse forgets at most, so
// that a claim costs bounded work while the store still sheds dead grants
// faster than claims add them.
inline constexpr int kExpiredSingleUseForgottenPerClaim = 16;

// PostgreSQL's NOTIFY payload limit; both implementations enforce it so that
// code tested against one works against the other.
inline constexpr size_t kMaxProgressEventBytes = 7999;

// Receives progress events. Called on a thread owned by the catalog (or the
// publisher's thread); it must return quickly and must not subscribe or
// destroy a subscription, since delivery holds the subscriber list lock.
using ProgressCallback = std::function<void(const std::string& json_event)>;

// Keeps a Subscribe callback registered. Destroying it unsubscribes; once the
// destructor returns the callback is not running and will not be called.
// Must be destroyed before the Catalog that made it.
class ProgressSubscription {
 public:
  virtual ~ProgressSubscription() = default;
};

class Catalog {
 public:
  virtual ~Catalog() = default;

  // AlreadyExists if a namespace with that name exists; InvalidArgument for
  // a bad name, empty owner_id or negative policy values.
  virtual absl::Status CreateNamespace(const NamespaceRecord& record) = 0;
  // NotFound if there is no such namespace.
  virtual absl::StatusOr<NamespaceRecord> GetNamespace(
      const std::string& name) = 0;
  // Replaces every field of the namespace named record.name except
  // created_at, which keeps its stored value. NotFound if it does not exist.
  virtual absl::Status UpdateNamespace(const NamespaceRecord& record) = 0;
  // NotFound if there is no such namespace.
  virtual absl::Status DeleteNamespace(const std::string& name) = 0;
  // The namespaces owned by `owner_id` (every namespace if it is empty),
  // sorted by name in byte order.
  virtual absl::StatusOr<std::vector<NamespaceRecord>> ListNamespaces(
      const std::string& owner_id) = 0;

  // AlreadyExists if the username is taken; InvalidArgument for a bad
  // username or an empty password_hash.
  virtual absl::Status AddUser(const UserRecord& user) = 0;
  // NotFound if there is no such user.
  virtual absl::StatusOr<UserRecord> GetUser(const std::string& username) = 0;
  // Deletes the user and all their API tokens. NotFound if absent.
  virtual absl::Status DeleteUser(const std::string& username) = 0;
  // All users sorted by username.
  virtual absl::StatusOr<std::vector<UserRecord>> ListUsers() = 0;

  // AlreadyExists if the id or the secret_hash is already in use; NotFound
  // if token.username is not a catalog user; InvalidArgument for an empty id
  // or a secret_hash that is not 64 lowercase hex digits.
  virtual absl::Status CreateApiToken(const ApiTokenRecord& token) = 0;
  // The token whose secret hashes to `secret_hash`, expired or not: checking
  // expires_at is the caller's policy. NotFound if none.
  virtual absl::StatusOr<ApiTokenRecord> FindApiTokenBySecretHash(
      const std::string& secret_hash) = 0;
  // The user's tokens sorted by id (empty for an unknown user).
  virtual absl::StatusOr<std::vector<ApiTokenRecord>> ListApiTokens(
      const std::string& username) = 0;
  // NotFound if there is no token with that id.
  virtual absl::Status DeleteApiToken(const std::string& id) = 0;

  // AlreadyExists if the id is taken; InvalidArgument for a bad id, a
  // secret of the wrong length or a negative created_at.
  virtual absl::Status AddSigningKey(const SigningKeyRecord& key) = 0;
  // Every signing key, newest first: sorted by created_at, then id, both
  // descending.
  virtual absl::StatusOr<std::vector<SigningKeyRecord>> ListSigningKeys() = 0;
  // NotFound if there is no key with that id.
  virtual absl::Status DeleteSigningKey(const std::string& id) = 0;

  // Records that single-use grant `id` (see ValidateSingleUseId in names.h)
  // has been used, so that a signed upload URL works once across all
  // replicas. The record is needed until `expires_at` (unix microseconds),
  // when the grant dies anyway: a record with expires_at <= `now` is expired
  // and no longer counts. AlreadyExists if `id` is recorded and not expired
  // (the second use); exactly one of any number of concurrent claims of one
  // id succeeds. InvalidArgument for a bad id or a negative expires_at.
  //
  // Each call with valid arguments, claiming or not, first forgets up to
  // kExpiredSingleUseForgottenPerClaim expired records, earliest expires_at
  // (then id) first, so the store does not grow with dead grants. `now` is a
  // parameter so that tests control time.
  virtual absl::Status ClaimSingleUse(const std::string& id, int64_t expires_at,
                                      int64_t now) = 0;
  // Forgets the record of `id`, so the grant may be used again (an upload
  // that failed after claiming). NotFound if `id` is not recorded: never
  // claimed, released already, or forgotten after it expired.
  virtual absl::Status ReleaseSingleUse(const std::string& id) = 0;
  // True iff `id` is recorded and its record has not expired at `now`
  // (a revoked session: SessionValidator). InvalidArgument for a bad id.
  virtual absl::StatusOr<bool> SingleUseClaimed(const std::string& id,
                                                int64_t now) = 0;

  // Appends `event` to the audit log, shared by every replica on the same
  // store. InvalidArgument for a field over kMaxAuditFieldBytes or a
  // negative time.
  virtual absl::Status AppendAudit(const AuditEvent& event) = 0;
  // Events with `since` <= at < `before`, newest first (equal times: last
  // appended first), at most `limit`.
  virtual absl::StatusOr<std::vector<AuditEvent>> ListAudit(int64_t since,
                                                            int64_t before,
                                                            size_t limit) = 0;
  // Forgets every event with at < `before` (retention); how many.
  virtual absl::StatusOr<int64_t> ForgetAuditBefore(int64_t before) = 0;

  // Delivers `json_event` to every subscriber of every catalog instance on
  // the same store (all replicas for PostgreSQL), including this one, at most
  // once each and in publication order per publisher. Delivery is best
  // effort: an event published while a replica's listener is reconnecting is
  // lost for that replica. InvalidArgument if the event is larger than
  // kMaxProgressEventBytes or is not UTF-8 text without NUL.
  virtual absl::Status PublishProgress(const std::string& json_event) = 0;
  virtual std::unique_ptr<ProgressSubscription> Subscribe(
      ProgressCallback callback) = 0;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_CATALOG_CATALOG_H_
