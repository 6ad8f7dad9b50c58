#include "sfs-frontend/server/http_error.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace sfs::frontend {
namespace {

// Payload key under which WithHttpStatus stores "<status> <code>".
constexpr char kHttpPayload[] = "sfs.frontend/http";

HttpError FromCanonicalCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
      return {400, "invalid_argument", ""};
    case absl::StatusCode::kUnauthenticated:
      return {401, "unauthenticated", ""};
    case absl::StatusCode::kPermissionDenied:
      return {403, "forbidden", ""};
    case absl::StatusCode::kNotFound:
      return {404, "not_found", ""};
    case absl::StatusCode::kAlreadyExists:
      return {409, "already_exists", ""};
    case absl::StatusCode::kFailedPrecondition:
      return {412, "precondition_failed", ""};
    case absl::StatusCode::kOutOfRange:
      return {416, "range_not_satisfiable", ""};
    case absl::StatusCode::kResourceExhausted:
      return {507, "insufficient_storage", ""};
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return {503, "unavailable", ""};
    case absl::StatusCode::kUnimplemented:
      return {501, "not_implemented", ""};
    default:
      return {500, "internal", ""};
  }
}

}  // namespace

absl::Status WithHttpStatus(absl::Status status, int http_status,
                            absl::string_view code) {
  status.SetPayload(kHttpPayload,
                    absl::Cord(absl::StrCat(http_status, " ", code)));
  return status;
}

absl::Status PayloadTooLargeError(absl::string_view message) {
  return WithHttpStatus(absl::InvalidArgumentError(message), 413,
                        "payload_too_large");
}

absl::Status UnsupportedMediaTypeError(absl::string_view message) {
  return WithHttpStatus(absl::InvalidArgumentError(message), 415,
                        "unsupported_media_type");
}

absl::Status QuotaExceededError(absl::string_view message) {
  return WithHttpStatus(absl::ResourceExhaustedError(message), 507,
                        "quota_exceeded");
}

HttpError ToHttpError(const absl::Status& status) {
  HttpError error = FromCanonicalCode(status.code());
  error.message = std::string(status.message());
  if (auto payload = status.GetPayload(kHttpPayload)) {
    std::pair<std::string, std::string> parts =
        absl::StrSplit(std::string(*payload), absl::MaxSplits(' ', 1));
    int http_status = 0;
    if (absl::SimpleAtoi(parts.first, &http_status)) {
      error.status = http_status;
      error.code = parts.second;
    }
  }
  return error;
}

void WriteError(httplib::Response& res, const HttpError& error) {
  res.status = error.status;
  nlohmann::json body = {{"error", error.message}, {"code", error.code}};
  // Messages may quote user input that is not UTF-8; replace, never throw.
  res.set_content(
      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
      "application/json");
}

void WriteStatusError(httplib::Response& res, const absl::Status& status) {
  WriteError(res, ToHttpError(status));
}

}  // namespace sfs::frontend
