// One upload from the HTTP body into the cluster, as bytes arrive.
//
// Wraps a FileWriter with what the HTTP contract adds: the namespace's size
// limits (413 for max_file_bytes, 507 for the quota), the client's optional
// checksums (Content-MD5, X-Content-SHA256), verified before the file is made
// visible, and progress reports counting the bytes received (as the original
// service did: a client's bar follows its upload; `done` comes only once the
// file is stored).
//
// Until Finish succeeds nothing is visible; any error, or destroying the
// stream unfinished, abandons the upload and leaves any earlier version at
// the path intact. Not thread-safe: one request thread drives it.
#ifndef SFS_FRONTEND_FILES_UPLOAD_STREAM_H_
#define SFS_FRONTEND_FILES_UPLOAD_STREAM_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client-lib/client.h"
#include "sfs-frontend/files/url_signer.h"
#include "sfs-frontend/server/progress_hub.h"

namespace sfs::frontend {

struct UploadLimits {
  std::optional<uint64_t> max_file_bytes;
  // Bytes the namespace may still grow by.
  std::optional<uint64_t> quota_left;
};

// Checksums the client sent; empty means not sent.
struct ExpectedDigests {
  std::string content_md5;  // base64 of the MD5 (RFC 1864)
  std::string sha256_hex;   // X-Content-SHA256
};

// A cluster write error as the HTTP contract answers it: the master's quota
// refusal (kQuotaExceededPrefix, common/grpc_status.h) 507 quota_exceeded; an
// upload the master ended, or whose completion condition failed (the path was
// written, or the namespace deleted, by someone else meanwhile), 409.
absl::Status UploadWriteError(absl::Status status);

class UploadStream {
 public:
  // `progress` may be null; it must outlive the stream. `claim`, if set,
  // is the single-use link the upload came through: kept if the upload
  // succeeds, given back otherwise (files/url_signer.h). `expected` are the
  // digests the client declared; each is computed only when declared (the
  // SHA-256 by the writer, which computes it for the file anyway).
  UploadStream(std::unique_ptr<FileWriter> writer, UploadLimits limits,
               ProgressReporter* progress,
               std::unique_ptr<SingleUseClaim> claim = nullptr,
               ExpectedDigests expected = {});
  ~UploadStream();

  // The limit errors carry their HTTP status (http_error.h).
  absl::Status Append(absl::string_view data);

  // InvalidArgument (nothing stored) if a declared digest does not match;
  // otherwise makes the file visible and returns it.
  absl::StatusOr<FileInfo> Finish();

  // Gives up; nothing becomes visible. Safe after Finish or twice.
  void Abort(const std::string& why);

  uint64_t bytes() const { return bytes_; }

 private:
  class Md5;
  absl::Status Fail(absl::Status status);

  std::unique_ptr<FileWriter> writer_;
  const UploadLimits limits_;
  ProgressReporter* const progress_;
  std::unique_ptr<SingleUseClaim> claim_;
  const ExpectedDigests expected_;
  std::unique_ptr<Md5> md5_;  // only when Content-MD5 was declared
  uint64_t bytes_ = 0;
  bool closed_ = false;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_FILES_UPLOAD_STREAM_H_
