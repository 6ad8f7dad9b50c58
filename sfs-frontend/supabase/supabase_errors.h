// Errors of the supabase storage dialect (supabase_handlers.h) in Supabase
// Storage's shape, which @supabase/storage-js reads:
//
//   {"statusCode": "404", "code": "NoSuchKey", "error": "not_found",
//    "message": "Object not found"}
//
// ("error" is Supabase's older name for the code.) Supabase's own server
// sends most of these with HTTP status 400 and the real one only in
// "statusCode"; we send the real status in both, so that proxies, caches
// and monitoring read it from the status line. storage-js reads either.
//
// The core's errors (files/file_service.h, server/http_error.h) map onto
// Supabase's codes: 400 InvalidRequest (InvalidJWT for a credential that
// does not check out), 403 AccessDenied, 404 NoSuchBucket or NoSuchKey, 409
// KeyAlreadyExists (BucketAlreadyExists, ResourceNotEmpty where a handler
// says so), 413 EntityTooLarge, 415 InvalidMimeType, 416 InvalidRange, 5xx
// InternalError, 501 NotImplemented. Supabase has no quotas: a full
// namespace stays 507, code QuotaExceeded (InsufficientStorage when the
// cluster itself is out of room).
#ifndef SFS_FRONTEND_SUPABASE_SUPABASE_ERRORS_H_
#define SFS_FRONTEND_SUPABASE_SUPABASE_ERRORS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "sfs-frontend/server/router.h"

namespace sfs::frontend {

// `status` answered with exactly this Supabase status, code and its message.
absl::Status SupabaseError(absl::Status status, int http_status,
                           absl::string_view code);

// The route error writer (server/router.h) of the supabase routes.
void WriteSupabaseError(const HttpCall& call, const absl::Status& error);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SUPABASE_SUPABASE_ERRORS_H_
