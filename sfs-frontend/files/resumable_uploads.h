// Resumable uploads (TUS 1.0 at /storage/uploads, server/tus_handler.h): an
// upload sent in pieces over as many requests and connections as it takes,
// which any frontend replica continues.
//
// Nothing about one lives in a frontend. The master keeps the pending
// upload (client-lib's resumable FileWriter): its committed offset, its
// running SHA-256, and what this service needs to finish it (owner,
// namespace and its incarnation, path, length, client metadata, the file's
// create options), as the upload's client data. Each append takes the
// upload over (an older writer still running is fenced off), streams its
// body into the cluster and commits what arrived as a chunk of its own, so
// the offset any replica reports is what the replicas acknowledged and the
// master recorded. Sealing a chunk per append is deliberate: continuing a
// sealed chunk would break the immutability copies rely on, and an unsealed
// tail is not durable. The last byte completes the file atomically, like
// any upload; until then nothing is visible.
//
// The namespace's policies apply as for any upload: admission (rights,
// overwrite, size and quota against the declared length, MIME type) at
// creation, the size limit and the quota on every byte after.
//
// Errors carry HTTP statuses (server/http_error.h): 409 for an offset that
// is not the upload's, 413 beyond its length or the namespace's limit, 460
// for a checksum mismatch; NotFound for an upload that is unknown,
// finished, abandoned or expired, or not the caller's.
//
// Thread-safety: every method may be called concurrently.
#ifndef SFS_FRONTEND_FILES_RESUMABLE_UPLOADS_H_
#define SFS_FRONTEND_FILES_RESUMABLE_UPLOADS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client-lib/client.h"
#include "sfs-frontend/auth/identity.h"
#include "sfs-frontend/files/file_service.h"
#include "sfs-frontend/server/progress_hub.h"

namespace sfs::frontend {

struct ResumableCreate {
  // What and where, as for any upload; its declared_size is the length,
  // unset while the client defers it.
  UploadRequest upload;
  std::string declared_type;
  // The client's own description (TUS Upload-Metadata), returned as given;
  // at most kMaxResumableMetadata bytes.
  std::string metadata;
  // A part of a file to be assembled by Concatenate: its last byte stores
  // nothing. Admitted (rights, quota) as an upload to `upload`'s path.
  bool partial = false;
};

inline constexpr size_t kMaxResumableMetadata = 4096;
// An append with a checksum is kept whole or not at all, so it must fit in
// one chunk of the cluster (64 MiB), whose commit cannot be taken back.
inline constexpr uint64_t kMaxChecksummedAppend = 32ull << 20;

struct ResumableState {
  std::string id;
  uint64_t offset = 0;
  std::optional<uint64_t> length;  // unset: deferred
  std::string metadata;
  absl::Time expires_at;
  // The last byte arrived: the file is stored and the upload is gone.
  bool complete = false;
};

// A checksum the client sent with an append: the algorithm ("sha1",
// "sha256" or "md5") and the raw digest.
struct BodyChecksum {
  std::string algorithm;
  std::string digest;
};

// True for the algorithms BodyChecksum may name.
bool SupportedChecksum(absl::string_view algorithm);

// One append's body: calls `sink` with each piece as it arrives, stopping
// at the sink's first error. Returns false if the body ended early (the
// connection was lost) or the sink failed.
using BodySource = std::function<bool(
    const std::function<absl::Status(absl::string_view)>& sink)>;

class ResumableUploads {
 public:
  // `files`, `client` and `progress` (may be null) must outlive this.
  ResumableUploads(FileService* files, Client* client, ProgressHub* progress)
      : files_(files), client_(client), progress_(progress) {}

  // Admits an upload as FileService::AdmitUpload does and creates it; one
  // of length 0 is stored at once.
  absl::StatusOr<ResumableState> Create(const Identity& caller,
                                        const ResumableCreate& request);

  absl::StatusOr<ResumableState> Status(const Identity& caller,
                                        const std::string& id);

  // Appends `body` at `offset`, which must be the upload's offset (409).
  // `length` declares a deferred length (once; 400 if it differs from one
  // declared). With a checksum the append (at most kMaxChecksummedAppend,
  // 400 beyond) is all or nothing; without, what
  // arrived before a lost connection is kept. The last byte completes the
  // file. Progress is reported under `transfer_id` (may be empty) across
  // appends: done comes with the last byte.
  absl::StatusOr<ResumableState> Append(
      const Identity& caller, const std::string& id, uint64_t offset,
      std::optional<uint64_t> length,
      const std::optional<BodyChecksum>& checksum, const BodySource& body,
      const std::string& transfer_id = "");

  // Abandons the upload; nothing becomes visible.
  absl::Status Terminate(const Identity& caller, const std::string& id);

  // Stores the file `request` describes as the partial uploads `parts`, in
  // order, put together (TUS concatenation): each must be the caller's,
  // complete, and in the same namespace (400 otherwise). The bytes are
  // copied into the new file, so the parts are dropped only once it is
  // stored; a failure leaves them for another try. At most kMaxParts.
  static constexpr size_t kMaxParts = 64;
  absl::StatusOr<ResumableState> Concatenate(
      const Identity& caller, ResumableCreate request,
      const std::vector<std::string>& parts);

 private:
  struct Upload;
  // The upload `id` once `caller` may write it: its creator (or an admin),
  // with create rights in its namespace, which still exists.
  absl::StatusOr<Upload> Load(const Identity& caller, const std::string& id);

  FileService* const files_;
  Client* const client_;
  ProgressHub* const progress_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_FILES_RESUMABLE_UPLOADS_H_
