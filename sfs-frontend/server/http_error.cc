#include "sfs-frontend/server/http_error.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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

// httplib keeps its table private.
const char* ReasonPhrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 429:
      return "Too Many Requests";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 507:
      return "Insufficient Storage";
    default:
      return "Error";
  }
}

namespace {

// HTML text for `text`, which may be any bytes (invalid UTF-8 is passed
// through; the page declares UTF-8 and browsers substitute U+FFFD).
std::string EscapeHtml(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
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

absl::Status TooManyRequestsError(absl::string_view message) {
  return WithHttpStatus(absl::ResourceExhaustedError(message), 429,
                        "too_many_requests");
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

std::string ErrorJson(const HttpError& error) {
  nlohmann::json body = {{"error", error.message}, {"code", error.code}};
  // Messages may quote user input that is not UTF-8; replace, never throw.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void WriteError(httplib::Response& res, const HttpError& error) {
  res.status = error.status;
  res.set_content(ErrorJson(error), "application/json");
}

void WriteHtmlError(httplib::Response& res, const HttpError& error) {
  res.status = error.status;
  const std::string title =
      absl::StrCat(error.status, " ", ReasonPhrase(error.status));
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; style-src 'unsafe-inline'");
  res.set_content(
      absl::StrCat("<!doctype html>\n<html lang=\"en\"><head><meta "
                   "charset=\"utf-8\"><title>",
                   EscapeHtml(title),
                   "</title><style>body{font:16px system-ui,sans-serif;"
                   "margin:4em auto;max-width:40em;color:#222}"
                   "code{color:#666}</style></head><body><h1>",
                   EscapeHtml(title), "</h1><p>", EscapeHtml(error.message),
                   "</p><p><code>", EscapeHtml(error.code),
                   "</code></p><p><a href=\"/\">SFS home</a></p></body>"
                   "</html>\n"),
      "text/html; charset=utf-8");
}

bool PrefersHtml(absl::string_view accept) {
  // Browsers put text/html first in navigations ("text/html,application/
  // xhtml+xml,..."); anything that lists JSON or nothing specific gets JSON.
  return absl::StartsWith(accept, "text/html");
}

void WriteStatusError(httplib::Response& res, const absl::Status& status) {
  WriteError(res, ToHttpError(status));
}

}  // namespace sfs::frontend
