// The file service: every operation the HTTP dialects offer on namespaces
// and files, with the policy that governs it, in plain C++. A dialect (the
// /storage routes today) authenticates the caller, parses, calls one method
// with the caller's Identity, and renders the answer; it decides nothing.
//
// What the service owns:
//   - authorization of every call (auth/authorizer.h);
//   - namespace records in the catalog, and their files in the cluster under
//     "/<namespace>/": a namespace's incarnation (its creation time) ties its
//     uploads to it, so one deleted and created again starts empty;
//   - uploads: overwrite refusal (checked again by the master when the
//     upload completes, so of two racing creates one wins), size limit, MIME
//     allow-list, quota (reserved in the master, so parallel uploads never
//     overshoot it), kept versions;
//   - readers: retention (an expired file is gone at once), versions.
//
// Errors are absl::Status; those without a canonical code of their own carry
// their HTTP status (http_error.h: 413, 415, 507, 409 conflicts).
//
// Thread-safety: every method may be called concurrently. The client and
// catalog must outlive the service.
#ifndef SFS_FRONTEND_FILES_FILE_SERVICE_H_
#define SFS_FRONTEND_FILES_FILE_SERVICE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client-lib/client.h"
#include "sfs-frontend/auth/identity.h"
#include "sfs-frontend/catalog/catalog.h"
#include "sfs-frontend/files/lifecycle.h"
#include "sfs-frontend/files/upload_stream.h"
#include "sfs-frontend/files/url_signer.h"

namespace sfs::frontend {

// What a call does to a namespace; auth/authorizer.h says who may.
enum class NamespaceAccess {
  kReadFiles,
  kCreateFiles,
  kDeleteFiles,
  kUpdateNamespace,
  kDeleteNamespace,
};

// A namespace and what it stores (the master's counters).
struct NamespaceView {
  NamespaceRecord record;
  StorageUsage usage;
};

// One version of a file a caller may read, with its namespace.
struct FileView {
  NamespaceRecord ns;
  FileInfo file;
};

struct ListRequest {
  std::string prefix;  // inside the namespace, e.g. "2024/" or "2024/ca"
  std::string cursor;  // the next_cursor of the previous page
  uint32_t limit = 1000;
  // Fold everything below the next "/" after the prefix into one folder
  // entry.
  bool folders = false;
};

// One page of a listing, in path order: files, and with `folders` folder
// entries (paths relative to the namespace, ending in "/").
struct Listing {
  struct Entry {
    std::optional<FileInfo> file;  // unset for a folder
    std::string folder;
  };
  NamespaceRecord ns;
  std::vector<Entry> entries;
  std::string next_cursor;  // empty on the last page
};

// Every version of one file, newest (the current one) first.
struct VersionList {
  NamespaceRecord ns;
  std::vector<FileInfo> versions;
};

// A file named by namespace and path, for copies and moves.
struct FileLocation {
  std::string ns;
  std::string path;  // inside the namespace
};

struct UploadRequest {
  std::string ns;
  std::string path;  // inside the namespace
  // Replace a file already at the path (else AlreadyExists).
  bool overwrite = false;
  // The size the client announced, if any: checked against the limits up
  // front and reserved against the quota.
  std::optional<uint64_t> declared_size;
  // Stored with the file and served back (Cache-Control, X-Meta-* headers):
  // printable ASCII; at most kMaxMetadataEntries metadata entries with keys
  // of lowercase letters, digits and '-' (up to 64), values up to 1 KiB,
  // 2 KiB in all; a Cache-Control value of up to 256 characters.
  std::string cache_control;
  std::map<std::string, std::string> metadata;
};

inline constexpr size_t kMaxMetadataEntries = 16;

// An upload admitted by every check that needs no content: Open it once the
// content type is known (for multipart, at the file part's headers).
class AdmittedUpload {
 public:
  // The stream the body goes into, reporting to `progress` (may be null;
  // must outlive the stream); UnsupportedMediaType if the namespace does
  // not allow `declared_type` (empty or generic: the file name decides).
  // Call at most once.
  absl::StatusOr<std::unique_ptr<UploadStream>> Open(
      const std::string& declared_type, ProgressReporter* progress,
      ExpectedDigests expected = {});

  // The options the file is created with once `declared_type` passes the
  // namespace's allow-list (Open's check), for callers that create the
  // cluster upload themselves (resumable uploads).
  absl::StatusOr<CreateOptions> Prepare(const std::string& declared_type);

  const std::string& full_path() const { return full_path_; }
  const UploadLimits& limits() const { return limits_; }

  // Replaces the Cache-Control and metadata the file is stored with, within
  // UploadRequest's bounds (InvalidArgument otherwise): for dialects that
  // send them as form fields ahead of the file. Call before Open.
  absl::Status SetAttributes(std::string cache_control,
                             std::map<std::string, std::string> metadata);

  const NamespaceRecord& ns() const { return ns_; }
  // The user the upload was admitted for; empty for an upload through a
  // signed link, which acts for nobody.
  const std::string& uploader() const { return uploader_; }

 private:
  friend class FileService;
  AdmittedUpload(Client* client, NamespaceRecord ns, std::string full_path,
                 std::string path, CreateOptions create, UploadLimits limits);

  Client* client_;
  NamespaceRecord ns_;
  std::string full_path_;
  std::string path_;
  CreateOptions create_;
  UploadLimits limits_;
  std::string uploader_;
  // Set for a single-use upload link; kept once the upload succeeds.
  std::unique_ptr<SingleUseClaim> claim_;
};

class FileService {
 public:
  FileService(Client* client, Catalog* catalog, Retention retention)
      : client_(client),
        catalog_(catalog),
        retention_(retention),
        signer_(catalog) {}

  const Retention& retention() const { return retention_; }

  // --- Namespaces ---------------------------------------------------------

  // The record of namespace `name` once `caller` may do `access` to it:
  // Unauthenticated, PermissionDenied, NotFound or InvalidArgument (a
  // malformed name) otherwise.
  absl::StatusOr<NamespaceRecord> Authorize(const Identity& caller,
                                            const std::string& name,
                                            NamespaceAccess access);

  // The namespaces `caller` may see (none for anonymous callers): their
  // own, every one for admins, the ones a scope names for scoped callers.
  // Sorted by name.
  absl::StatusOr<std::vector<NamespaceView>> ListNamespaces(
      const Identity& caller);

  // Namespace `name` with its usage, if `caller` may see it listed
  // (namespace_not_found otherwise, whether or not it exists).
  absl::StatusOr<NamespaceView> DescribeNamespace(const Identity& caller,
                                                  const std::string& name);

  // Creates a namespace owned by `caller`, once they may: `describe` fills
  // in its name, visibility, hidden flag and policies (and may refuse; its
  // error is returned).
  absl::StatusOr<NamespaceView> CreateNamespace(
      const Identity& caller,
      const std::function<absl::Status(NamespaceRecord&)>& describe);

  // Applies `change` to namespace `name` and stores it, once `caller` may.
  // `change` may refuse (its error is returned); it must not rename.
  absl::StatusOr<NamespaceView> UpdateNamespace(
      const Identity& caller, const std::string& name,
      const std::function<absl::Status(NamespaceRecord&)>& change);

  // Deletes every file of namespace `name` (and its uploads in flight) in
  // one master operation, then its record; returns how many files went. A
  // failure leaves the record, so the call can be repeated.
  absl::StatusOr<uint64_t> DeleteNamespace(const Identity& caller,
                                           const std::string& name);

  // Deletes every file of namespace `name` (with old versions), keeping the
  // namespace, once `caller` may delete files there; returns how many went.
  // Uploads that complete meanwhile stay.
  absl::StatusOr<uint64_t> EmptyNamespace(const Identity& caller,
                                          const std::string& name);

  // --- Files --------------------------------------------------------------

  // The file at `path` in `ns` as `caller` may read it: `version` 0 for the
  // current one. NotFound for a missing or expired file.
  absl::StatusOr<FileView> Stat(const Identity& caller, const std::string& ns,
                                const std::string& path, uint64_t version = 0);

  // Reads [offset, offset + length) of a file Stat returned.
  absl::StatusOr<std::unique_ptr<FileReader>> Open(const FileView& view,
                                                   uint64_t offset,
                                                   uint64_t length);

  absl::StatusOr<Listing> List(const Identity& caller, const std::string& ns,
                               const ListRequest& request);

  absl::StatusOr<VersionList> ListVersions(const Identity& caller,
                                           const std::string& ns,
                                           const std::string& path);

  // Deletes the file at `path` with its old versions.
  absl::Status Delete(const Identity& caller, const std::string& ns,
                      const std::string& path);

  // Copies the file at `from` (its `version`, 0: the current one) to `to`:
  // the caller must be allowed to read `from` and to create files in `to`,
  // whose policies apply as to an upload (size 413, MIME allow-list 415,
  // quota 507, kept versions; without `overwrite` a file there is
  // AlreadyExists, checked again atomically). The copy shares the source's
  // chunks: it costs a metadata write whatever the size.
  absl::StatusOr<FileView> Copy(const Identity& caller,
                                const FileLocation& from,
                                const FileLocation& to, uint64_t version,
                                bool overwrite);

  // Renames `from`, with its old versions, to `to` atomically, within a
  // namespace or across namespaces of one owner (PermissionDenied
  // otherwise). The caller must be allowed to delete in `from` and create
  // in `to`, whose policies apply as for Copy.
  absl::StatusOr<FileView> Move(const Identity& caller,
                                const FileLocation& from,
                                const FileLocation& to, bool overwrite);

  // Deletes each of `paths` in `ns` (at most kMaxBatchPaths): the outcome
  // of each, in order (NotFound for one that was not there). The call
  // itself fails only if the caller may not delete in `ns`.
  static constexpr size_t kMaxBatchPaths = 1000;
  absl::StatusOr<std::vector<absl::Status>> DeleteMany(
      const Identity& caller, const std::string& ns,
      const std::vector<std::string>& paths);

  // Checks everything an upload can be refused for before its body is
  // read: the caller's rights, the path, an existing file (unless
  // overwrite), the declared size against the size limit and the quota.
  absl::StatusOr<AdmittedUpload> AdmitUpload(const Identity& caller,
                                             const UploadRequest& request);

  // --- Signed URLs (files/url_signer.h) -----------------------------------

  static constexpr absl::Duration kMaxSignedUrlLifetime = absl::Hours(24 * 7);

  // A token for `grant`, valid for `lifetime` (1 s to kMaxSignedUrlLifetime),
  // once `caller` may do what it grants now: read the file (which must
  // exist; a grant for version 0 follows the current file) or upload to
  // its path (AlreadyExists if a file is there and the grant may not
  // overwrite it). `single_use` makes an upload grant good for one
  // successful upload. The caller's rights are checked here only: a link works
  // for whoever holds it, until it expires.
  struct SignedToken {
    std::string token;
    int64_t expires_at = 0;  // unix seconds, as the grant says
  };
  absl::StatusOr<SignedToken> Sign(const Identity& caller, SignedGrant grant,
                                   absl::Duration lifetime, bool single_use);

  // A read link's token for `view`'s version, valid for `lifetime`, with no
  // check of anyone's rights: only for a view its caller was just allowed
  // to read, to send the same bytes elsewhere (ContentOrigin).
  absl::StatusOr<SignedToken> SignViewed(const FileView& view,
                                         absl::Duration lifetime);

  // A token that lets whoever holds it watch the progress of the transfer
  // under `transfer_key` (server/frontend_services.h) for `lifetime` (1 s
  // to kMaxSignedUrlLifetime). Whoever can publish under the key may ask
  // for one: the key already names its owner.
  absl::StatusOr<SignedToken> SignTransferWatch(const std::string& transfer_key,
                                                absl::Duration lifetime);
  // The transfer key a watch token was signed for; PermissionDenied if it
  // was forged, expired, signed with a rotated key or is no watch token.
  absl::StatusOr<std::string> RedeemTransferWatch(absl::string_view token);

  // Replaces the signing keys, so every signed URL made so far stops
  // working; admins only. Returns the new key's id.
  absl::StatusOr<std::string> RotateSigningKeys(const Identity& caller);

  // The grant `token` carries: PermissionDenied if it was forged or
  // altered, has expired, or its key was retired.
  absl::StatusOr<SignedGrant> Redeem(absl::string_view token);

  // Stat for a read grant: the file it names, NotFound if it is gone (or
  // its namespace was deleted since, whatever now has the name).
  absl::StatusOr<FileView> StatGranted(const SignedGrant& grant);

  // AdmitUpload for an upload grant: the path and overwrite come from the
  // grant, the namespace's policies apply and the grant's own size limit
  // too; a single-use grant used before is 409.
  absl::StatusOr<AdmittedUpload> AdmitGrantedUpload(const SignedGrant& grant,
                                                    UploadRequest request);

 private:
  // The record of the namespace a grant was made for; NotFound if it was
  // deleted since.
  absl::StatusOr<NamespaceRecord> GrantedNamespace(const SignedGrant& grant);
  // Stat after authorization.
  absl::StatusOr<FileView> StatIn(NamespaceRecord ns,
                                  const std::string& full_path,
                                  uint64_t version);
  // AdmitUpload after authorization.
  absl::StatusOr<AdmittedUpload> Admit(NamespaceRecord ns,
                                       std::string full_path,
                                       const UploadRequest& request);
  // NotFound if `current`, the current file of a path in `ns`, has
  // expired (and with it every old version).
  absl::Status CheckNotExpired(const NamespaceRecord& ns,
                               const FileInfo& current);
  absl::StatusOr<StorageUsage> Usage(const std::string& ns);
  // Fills in `create`'s conditions for a write to `full_path` (`path` in
  // `ns`) that may not replace a visible file: AlreadyExists if one is
  // there; else completion requires the path still free, or still holding
  // the expired file seen now.
  absl::Status RefuseOverwrite(const NamespaceRecord& ns,
                               const std::string& full_path,
                               const std::string& path, CreateOptions& create);
  // The namespace's size and type policies for a file already stored.
  static absl::Status CheckStoredFileFits(const NamespaceRecord& ns,
                                          const FileInfo& file);

  Client* const client_;
  Catalog* const catalog_;
  const Retention retention_;
  UrlSigner signer_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_FILES_FILE_SERVICE_H_
