#include "sfs-frontend/supabase/supabase_errors.h"

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "sfs-frontend/server/http_error.h"

namespace sfs::frontend {
namespace {

// Codes set by SupabaseError travel as our HTTP error code with this prefix.
constexpr absl::string_view kPrefix = "supabase:";

struct SupabaseAnswer {
  int status;
  std::string code;
  std::string message;
};

// Supabase's older name for a code, which it still sends as "error".
std::string ErrorName(absl::string_view code) {
  if (code == "NoSuchBucket") return "Bucket not found";
  if (code == "NoSuchKey") return "not_found";
  if (code == "KeyAlreadyExists" || code == "BucketAlreadyExists" ||
      code == "ResourceAlreadyExists") {
    return "Duplicate";
  }
  if (code == "AccessDenied") return "Unauthorized";
  if (code == "EntityTooLarge") return "Payload too large";
  if (code == "InvalidMimeType") return "invalid_mime_type";
  if (code == "InvalidBucketName") return "Invalid Input";
  return std::string(code);
}

SupabaseAnswer Translate(const HttpError& error) {
  absl::string_view code = error.code;
  if (absl::ConsumePrefix(&code, kPrefix)) {
    // Supabase's fixed messages, whatever the core said.
    if (absl::EndsWith(code, "AlreadyExists")) {
      return {error.status, std::string(code), "The resource already exists"};
    }
    return {error.status, std::string(code), error.message};
  }
  switch (error.status) {
    case 400:
      return {400, "InvalidRequest", error.message};
    case 401:  // an anonymous caller denied: Supabase has no 401
    case 403:
      return {403, "AccessDenied", error.message};
    case 404:
      if (error.code == "namespace_not_found") {
        return {404, "NoSuchBucket", "Bucket not found"};
      }
      return {404, "NoSuchKey", "Object not found"};
    case 409:
      if (error.code == "already_exists") {
        return {409, "KeyAlreadyExists", "The resource already exists"};
      }
      return {409, "InvalidRequest", error.message};
    case 413:
      return {413, "EntityTooLarge",
              "The object exceeded the maximum allowed size"};
    case 415:
      return {415, "InvalidMimeType", error.message};
    case 416:
      return {416, "InvalidRange", error.message};
    case 501:
      return {501, "NotImplemented", error.message};
    case 507:
      return {507,
              error.code == "quota_exceeded" ? "QuotaExceeded"
                                             : "InsufficientStorage",
              error.message};
    default:
      return {error.status,
              error.status >= 500 ? "InternalError" : "InvalidRequest",
              error.message};
  }
}

}  // namespace

absl::Status SupabaseError(absl::Status status, int http_status,
                           absl::string_view code) {
  return WithHttpStatus(std::move(status), http_status,
                        absl::StrCat(kPrefix, code));
}

void WriteSupabaseError(const HttpCall& call, const absl::Status& error) {
  const SupabaseAnswer answer = Translate(ToHttpError(error));
  call.res.status = answer.status;
  nlohmann::json body = {{"statusCode", std::to_string(answer.status)},
                         {"code", answer.code},
                         {"error", ErrorName(answer.code)},
                         {"message", answer.message}};
  // Messages may quote user input that is not UTF-8; replace, never throw.
  call.res.set_content(
      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
      "application/json");
}

}  // namespace sfs::frontend
