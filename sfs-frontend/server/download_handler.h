// Downloads (API.md "Files", GET/HEAD): conditional requests, a single byte
// range, and a body streamed from chunk reads as they arrive. HEAD answers
// from the file's metadata alone and reads no chunk data.
#ifndef SFS_FRONTEND_SERVER_DOWNLOAD_HANDLER_H_
#define SFS_FRONTEND_SERVER_DOWNLOAD_HANDLER_H_

#include <string>

#include "absl/status/status.h"
#include "sfs-frontend/files/file_service.h"
#include "sfs-frontend/server/frontend_services.h"

namespace sfs::frontend {

enum class Disposition { kInline, kAttachment };

// How to send a file.
struct SendOptions {
  Disposition disposition = Disposition::kInline;
  // The name an attachment is saved under; empty: the file's own name.
  std::string attachment_name;
  // The view names a version: its bytes never change (cacheable for good
  // when public).
  bool pinned_version = false;
  std::string transfer_id;  // progress is reported under it; may be empty
  // Replaces the Cache-Control the file's own policy would send.
  std::string cache_control;
};

class DownloadHandler {
 public:
  // `services` must outlive this.
  explicit DownloadHandler(const FrontendServices* services)
      : services_(services) {}

  // The /storage routes: the caller, the `version` and transfer id of the
  // query, then Send. With a `signature` parameter (a signed URL, made by
  // POST /storage/sign) the URL is the credential instead: 403 if it does
  // not check out or names another file.
  absl::Status Serve(const HttpCall& call, const std::string& ns,
                     const std::string& path, Disposition disposition);

  // Answers `call` with the file a signed URL's read grant names (already
  // checked): a pinned version is cacheable for the link's lifetime.
  absl::Status SendGranted(const HttpCall& call, const SignedGrant& grant,
                           SendOptions options);

  // Answers `call` with the file of `view`, which the caller may read.
  absl::Status Send(const HttpCall& call, const FileView& view,
                    SendOptions options);

 private:
  const FrontendServices* const services_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_DOWNLOAD_HANDLER_H_
