// The Supabase Storage dialect under /storage/v1, so that an unmodified
// @supabase/storage-js client works against SFS (docs/supabase.md lists
// what maps onto what). A bucket is a namespace: "public" is its
// visibility, file_size_limit its max_file_bytes, allowed_mime_types its
// allow-list. Handlers parse Supabase's requests, call the file service
// (files/file_service.h), which owns every policy, and render Supabase's
// answers; errors take Supabase's shape (supabase_errors.h).
//
// Callers present `Authorization: Bearer <JWT>` (or, without it, the same
// credential in `apikey`), verified with the frontend's JWT keys: role
// "authenticated" acts as user `sub`, "anon" as nobody, "service_role" as
// an administrator (auth/jwt.h). SFS API tokens work too.
//
// Resumable uploads: TUS at /storage/v1/upload/resumable
// (SupabaseTusDialect, served by server/tus_handler.h). Reserved, answered
// 501 for now: /storage/v1/render/image (transforms).
#ifndef SFS_FRONTEND_SUPABASE_SUPABASE_HANDLERS_H_
#define SFS_FRONTEND_SUPABASE_SUPABASE_HANDLERS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sfs-frontend/server/download_handler.h"
#include "sfs-frontend/server/frontend_services.h"
#include "sfs-frontend/server/router.h"
#include "sfs-frontend/server/tus_handler.h"
#include "sfs-frontend/server/upload_handler.h"

namespace sfs::frontend {

// The caller of a supabase route, as described above.
absl::StatusOr<Identity> SupabaseCaller(const FrontendServices& services,
                                        const HttpCall& call);

// TUS as Supabase speaks it, at /storage/v1/upload/resumable: metadata
// bucketName, objectName, contentType and cacheControl (seconds), the
// x-upsert header, Supabase's callers and errors.
TusDialect SupabaseTusDialect();

class SupabaseHandlers {
 public:
  // `services` must outlive this.
  explicit SupabaseHandlers(const FrontendServices* services)
      : services_(services), uploads_(services), downloads_(services) {}

  // Adds the /storage/v1 routes; before any route that matches /storage/*.
  void Register(Router& router);

  // How long a signed upload URL lives (storage-js documents two hours).
  static constexpr absl::Duration kUploadUrlLifetime = absl::Hours(2);

 private:
  absl::StatusOr<Identity> Caller(const HttpCall& call) const {
    return SupabaseCaller(*services_, call);
  }

  // Buckets.
  absl::Status ListBuckets(const HttpCall& call);
  absl::Status GetBucket(const HttpCall& call, const std::string& bucket);
  absl::Status CreateBucket(const HttpCall& call);
  absl::Status UpdateBucket(const HttpCall& call, const std::string& bucket);
  absl::Status EmptyBucket(const HttpCall& call, const std::string& bucket);
  absl::Status DeleteBucket(const HttpCall& call, const std::string& bucket);

  // Objects.
  absl::Status Upload(const HttpCall& call, const std::string& bucket,
                      const std::string& path);
  absl::Status Download(const HttpCall& call, const std::string& bucket,
                        const std::string& path, bool anonymous);
  absl::Status Info(const HttpCall& call, const std::string& bucket,
                    const std::string& path, bool anonymous);
  absl::Status Remove(const HttpCall& call, const std::string& bucket,
                      const std::string& path);
  absl::Status RemoveMany(const HttpCall& call, const std::string& bucket);
  absl::Status List(const HttpCall& call, const std::string& bucket);
  absl::Status CopyOrMove(const HttpCall& call, bool copy);

  // Signed URLs.
  absl::Status SignDownload(const HttpCall& call, const std::string& bucket,
                            const std::string& path);
  absl::Status SignDownloads(const HttpCall& call, const std::string& bucket);
  absl::Status SignedDownload(const HttpCall& call, const std::string& bucket,
                              const std::string& path);
  absl::Status SignUpload(const HttpCall& call, const std::string& bucket,
                          const std::string& path);
  absl::Status SignedUpload(const HttpCall& call, const std::string& bucket,
                            const std::string& path);

  // Streams the body into `admitted` with Supabase's attributes (headers of
  // a raw body, fields ahead of a multipart file).
  absl::StatusOr<FileInfo> Receive(const HttpCall& call,
                                   AdmittedUpload& admitted);

  const FrontendServices* const services_;
  UploadHandler uploads_;
  DownloadHandler downloads_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SUPABASE_SUPABASE_HANDLERS_H_
