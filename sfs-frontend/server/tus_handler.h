// TUS 1.0 (tus.io) at /storage/uploads: resumable uploads that any replica
// continues (files/resumable_uploads.h owns them). Extensions: creation,
// creation-defer-length, creation-with-upload, termination, expiration,
// checksum (sha1, sha256, md5) and concatenation (Upload-Concat: partial
// uploads carry the namespace and filename like any other; the final one
// names them and stores them put together).
//
//   OPTIONS /storage/uploads        discovery (Tus-Version, Tus-Extension)
//   POST    /storage/uploads        create: Upload-Length or
//                                   Upload-Defer-Length: 1, Upload-Metadata
//                                   with namespace, filename (the path in
//                                   it), filetype, overwrite ("true"); a
//                                   body of application/offset+octet-stream
//                                   is the first append
//   HEAD    /storage/uploads/{id}   Upload-Offset, Upload-Length, ...
//   PATCH   /storage/uploads/{id}   append at Upload-Offset
//   DELETE  /storage/uploads/{id}   terminate
//
// Served the same way at /storage/v1/upload/resumable in Supabase's form
// (TusDialect). Every answer carries Tus-Resumable: 1.0.0; a request naming
// another version is 412. Appends report progress under X-Transfer-Id (as
// uploads do, /sse/progress) across requests, done with the last byte. The
// caller authenticates as for any route; an upload is its creator's.
#ifndef SFS_FRONTEND_SERVER_TUS_HANDLER_H_
#define SFS_FRONTEND_SERVER_TUS_HANDLER_H_

#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "sfs-frontend/server/frontend_services.h"
#include "sfs-frontend/server/router.h"

namespace sfs::frontend {

// How one HTTP dialect speaks TUS: where, with which Upload-Metadata keys,
// how callers authenticate and errors look. The defaults are /storage's.
struct TusDialect {
  std::string base = "/storage/uploads";
  std::string route_name = "tus";  // routes "<name>_uploads", "<name>_upload"
  std::string namespace_key = "namespace";
  std::string path_key = "filename";
  std::string type_key = "filetype";
  // A key whose value, in seconds, is stored as "max-age=<value>"; empty:
  // none.
  std::string cache_seconds_key;
  // A header saying "true" when the upload may replace a file; empty: the
  // metadata key "overwrite" says so.
  std::string upsert_header;
  absl::StatusOr<Identity> (*caller)(const FrontendServices&,
                                     const HttpCall&) = Authenticate;
  ErrorWriter errors = WriteJsonError;
};

class TusHandler {
 public:
  // `services` must outlive this.
  explicit TusHandler(const FrontendServices* services,
                      TusDialect dialect = TusDialect())
      : services_(services), dialect_(std::move(dialect)) {}

  void Register(Router& router);

 private:
  absl::Status Options(const HttpCall& call);
  absl::Status Create(const HttpCall& call);
  absl::Status Head(const HttpCall& call, const std::string& id);
  absl::Status Patch(const HttpCall& call, const std::string& id);
  absl::Status Delete(const HttpCall& call, const std::string& id);

  // Appends the body of `call` at `offset` and answers with the state.
  absl::Status Append(const HttpCall& call, const Identity& caller,
                      const std::string& id, uint64_t offset,
                      std::optional<uint64_t> length);

  const FrontendServices* const services_;
  const TusDialect dialect_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_TUS_HANDLER_H_
