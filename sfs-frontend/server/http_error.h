// The error half of the HTTP contract (API.md "Conventions"): every failure
// leaves the frontend as a status code plus {"error": msg, "code": snake}.
//
// Code below the HTTP edge speaks absl::Status. Most canonical codes map to
// one HTTP status (NotFound → 404, Unavailable → 503, ...). Where HTTP needs
// a finer distinction than the canonical code carries (413 vs 415 vs 507 are
// all "resource" problems), the producer attaches the HTTP status with
// WithHttpStatus and the mapping honours it.
#ifndef SFS_FRONTEND_SERVER_HTTP_ERROR_H_
#define SFS_FRONTEND_SERVER_HTTP_ERROR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace httplib {
struct Response;
}

namespace sfs::frontend {

struct HttpError {
  int status = 500;
  std::string code;  // snake_case, stable for clients to branch on
  std::string message;
};

// `status` with the HTTP status and error code to answer it with.
absl::Status WithHttpStatus(absl::Status status, int http_status,
                            absl::string_view code);

// Shorthands for the statuses with no canonical absl code of their own.
absl::Status PayloadTooLargeError(absl::string_view message);       // 413
absl::Status UnsupportedMediaTypeError(absl::string_view message);  // 415
absl::Status QuotaExceededError(absl::string_view message);         // 507
absl::Status TooManyRequestsError(absl::string_view message);       // 429

// The HTTP answer for a non-OK `status`.
HttpError ToHttpError(const absl::Status& status);

// `error` as our JSON error body.
std::string ErrorJson(const HttpError& error);
// The RFC 9110 reason phrase of `status`, for the statuses errors use.
const char* ReasonPhrase(int status);

// Writes `error` as the JSON body of `res`.
void WriteError(httplib::Response& res, const HttpError& error);
// ToHttpError, then WriteError.
void WriteStatusError(httplib::Response& res, const absl::Status& status);

// Writes `error` as a small self-contained HTML page (status line as title,
// the message as text): what a browser shows when a link or a typed URL
// fails, instead of raw JSON. Everything user-supplied is HTML-escaped.
void WriteHtmlError(httplib::Response& res, const HttpError& error);

// True when `accept` (an Accept header) asks for an HTML document first, as
// browser navigations do; fetch() and curl send "*/*" and get JSON.
bool PrefersHtml(absl::string_view accept);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_HTTP_ERROR_H_
