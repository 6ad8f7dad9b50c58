// Uploads (API.md "Files", POST/PUT): a raw body or the file part of a
// multipart/form-data body (the part named "file", else the first part with
// a filename) flows into the cluster as it arrives, through an UploadStream,
// so memory per upload is the client library's write window whatever the
// file size.
#ifndef SFS_FRONTEND_SERVER_UPLOAD_HANDLER_H_
#define SFS_FRONTEND_SERVER_UPLOAD_HANDLER_H_

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "sfs-frontend/files/file_service.h"
#include "sfs-frontend/server/frontend_services.h"

namespace httplib {
struct Request;
}

namespace sfs::frontend {

class UploadHandler {
 public:
  // `services` must outlive this.
  explicit UploadHandler(const FrontendServices* services)
      : services_(services) {}

  // The /storage routes: stores the body of `call` as `path` in namespace
  // `ns` for the caller; answers 201.
  absl::Status Upload(const HttpCall& call, const std::string& ns,
                      const std::string& path);

  // The small fields of a multipart body ahead of its file part.
  using FormFields = std::map<std::string, std::string>;
  static constexpr size_t kMaxFormFields = 16;
  static constexpr size_t kMaxFormFieldBytes = 4096;

  // Streams the body of `call` into `admitted` and completes the upload;
  // the caller renders the answer. `fields`, if set, sees a multipart
  // body's fields before the upload opens (InvalidArgument beyond
  // kMaxFormFields fields or kMaxFormFieldBytes bytes in one).
  absl::StatusOr<FileInfo> Receive(
      const HttpCall& call, AdmittedUpload& admitted,
      std::optional<uint64_t> declared_size,
      const std::function<absl::Status(const FormFields&)>& fields = nullptr);

  // The size a client announced: X-File-Size, else the Content-Length of a
  // raw body.
  static std::optional<uint64_t> DeclaredSize(const httplib::Request& req);

 private:
  const FrontendServices* const services_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_UPLOAD_HANDLER_H_
