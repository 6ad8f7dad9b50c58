// Downloads (API.md "Files", GET/HEAD): conditional requests, a single byte
// range, and a body streamed from chunk reads as they arrive. HEAD answers
// from the file's metadata alone and reads no chunk data.
#ifndef SFS_FRONTEND_SERVER_DOWNLOAD_HANDLER_H_
#define SFS_FRONTEND_SERVER_DOWNLOAD_HANDLER_H_

#include <string>

#include "absl/status/status.h"
#include "sfs-frontend/server/frontend_services.h"

namespace sfs::frontend {

enum class Disposition { kInline, kAttachment };

class DownloadHandler {
 public:
  // `services` must outlive this.
  explicit DownloadHandler(const FrontendServices* services)
      : services_(services) {}

  absl::Status Serve(const HttpCall& call, const std::string& ns,
                     const std::string& path, Disposition disposition);

 private:
  const FrontendServices* const services_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_DOWNLOAD_HANDLER_H_
