// Uploads (API.md "Files", POST/PUT): a raw body or the `file` part of a
// multipart/form-data body flows into the cluster as it arrives, through an
// UploadStream, so memory per upload is the client library's write window
// whatever the file size.
#ifndef SFS_FRONTEND_SERVER_UPLOAD_HANDLER_H_
#define SFS_FRONTEND_SERVER_UPLOAD_HANDLER_H_

#include <string>

#include "absl/status/status.h"
#include "sfs-frontend/server/frontend_services.h"

namespace sfs::frontend {

class UploadHandler {
 public:
  // `services` must outlive this.
  explicit UploadHandler(const FrontendServices* services)
      : services_(services) {}

  // Stores the body of `call` as `path` in namespace `ns`; answers 201.
  absl::Status Upload(const HttpCall& call, const std::string& ns,
                      const std::string& path);

 private:
  const FrontendServices* const services_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_UPLOAD_HANDLER_H_
