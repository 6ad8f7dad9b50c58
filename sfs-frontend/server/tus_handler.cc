#include "sfs-frontend/server/tus_handler.h"

#include <httplib.h>

#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "sfs-frontend/files/resumable_uploads.h"
#include "sfs-frontend/server/http_error.h"
#include "sfs-frontend/server/http_headers.h"

namespace sfs::frontend {
namespace {

constexpr char kVersion[] = "1.0.0";
constexpr char kOffsetStream[] = "application/offset+octet-stream";

// Upload-Metadata: "key base64value,key2 base64value2" (a value may be
// absent).
absl::StatusOr<std::map<std::string, std::string>> ParseMetadata(
    absl::string_view header) {
  std::map<std::string, std::string> out;
  for (absl::string_view pair :
       absl::StrSplit(header, ',', absl::SkipEmpty())) {
    pair = absl::StripAsciiWhitespace(pair);
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits(' ', 1));
    std::string value;
    if (kv.first.empty() || !absl::Base64Unescape(kv.second, &value)) {
      return absl::InvalidArgumentError(
          "Upload-Metadata is key base64value pairs, comma-separated");
    }
    out[std::string(kv.first)] = std::move(value);
  }
  return out;
}

absl::StatusOr<uint64_t> NumberHeader(const httplib::Request& req,
                                      const char* name) {
  uint64_t value = 0;
  if (!absl::SimpleAtoi(req.get_header_value(name), &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " must be a non-negative number"));
  }
  return value;
}

// Upload-Checksum: "<algorithm> <base64 digest>".
absl::StatusOr<std::optional<BodyChecksum>> RequestedChecksum(
    const httplib::Request& req) {
  if (!req.has_header("Upload-Checksum")) return std::nullopt;
  std::pair<std::string, std::string> parts = absl::StrSplit(
      req.get_header_value("Upload-Checksum"), absl::MaxSplits(' ', 1));
  BodyChecksum checksum;
  checksum.algorithm = parts.first;
  if (!SupportedChecksum(checksum.algorithm) ||
      !absl::Base64Unescape(parts.second, &checksum.digest)) {
    return absl::InvalidArgumentError(
        "Upload-Checksum is \"sha1|sha256|md5 <base64 digest>\"");
  }
  return checksum;
}

void WriteState(httplib::Response& res, const ResumableState& state) {
  res.set_header("Upload-Offset", absl::StrCat(state.offset));
  if (!state.complete) {
    res.set_header("Upload-Expires", FormatHttpDate(state.expires_at));
  }
}

// Any request but OPTIONS must name our version.
absl::Status CheckVersion(const HttpCall& call) {
  if (call.req.get_header_value("Tus-Resumable") == kVersion) {
    return absl::OkStatus();
  }
  call.res.set_header("Tus-Version", kVersion);
  return WithHttpStatus(absl::FailedPreconditionError(
                            absl::StrCat("Tus-Resumable must be ", kVersion)),
                        412, "unsupported_version");
}

}  // namespace

void TusHandler::Register(Router& router) {
  router.Add(
      {"OPTIONS", "POST"}, dialect_.base, dialect_.route_name + "_uploads",
      [this](const HttpCall& call) {
        call.res.set_header("Tus-Resumable", kVersion);
        if (call.req.method == "OPTIONS") return Options(call);
        return Create(call);
      },
      dialect_.errors);
  router.Add(
      {"GET", "PATCH", "DELETE"}, absl::StrCat(dialect_.base, "/([0-9a-f]+)"),
      dialect_.route_name + "_upload",
      [this](const HttpCall& call) {
        call.res.set_header("Tus-Resumable", kVersion);
        const std::string id = call.match[1];
        if (call.req.method == "PATCH") return Patch(call, id);
        if (call.req.method == "DELETE") return Delete(call, id);
        return Head(call, id);
      },
      dialect_.errors);
}

absl::Status TusHandler::Options(const HttpCall& call) {
  httplib::Response& res = call.res;
  res.set_header("Tus-Version", kVersion);
  res.set_header("Tus-Extension",
                 "creation,creation-defer-length,creation-with-upload,"
                 "termination,expiration,checksum,concatenation");
  res.set_header("Tus-Checksum-Algorithm", "sha1,sha256,md5");
  res.status = 204;
  return absl::OkStatus();
}

absl::Status TusHandler::Create(const HttpCall& call) {
  const httplib::Request& req = call.req;
  RETURN_IF_ERROR(CheckVersion(call));
  ASSIGN_OR_RETURN(Identity caller, dialect_.caller(*services_, call));
  ResumableCreate request;
  std::vector<std::string> parts;
  const std::string concat = req.get_header_value("Upload-Concat");
  if (concat == "partial") {
    request.partial = true;
  } else if (absl::StartsWith(concat, "final;")) {
    // Upload URLs, absolute or not, separated by spaces.
    for (absl::string_view url : absl::StrSplit(
             absl::string_view(concat).substr(6), ' ', absl::SkipEmpty())) {
      const size_t at = url.find(dialect_.base + "/");
      if (at == absl::string_view::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("Upload-Concat names ", url, ", not an upload here"));
      }
      parts.emplace_back(url.substr(at + dialect_.base.size() + 1));
    }
  } else if (!concat.empty()) {
    return absl::InvalidArgumentError(
        "Upload-Concat is \"partial\" or \"final;<upload URLs>\"");
  }
  if (!parts.empty()) {
    // The length is the parts'; the request has no body.
  } else if (req.has_header("Upload-Length")) {
    ASSIGN_OR_RETURN(request.upload.declared_size,
                     NumberHeader(req, "Upload-Length"));
  } else if (req.get_header_value("Upload-Defer-Length") != "1") {
    return absl::InvalidArgumentError(
        "send Upload-Length, or Upload-Defer-Length: 1");
  }
  request.metadata = req.get_header_value("Upload-Metadata");
  ASSIGN_OR_RETURN(auto metadata, ParseMetadata(request.metadata));
  request.upload.ns = metadata[dialect_.namespace_key];
  request.upload.path = metadata[dialect_.path_key];
  if (request.upload.ns.empty() || request.upload.path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Upload-Metadata must carry ", dialect_.namespace_key,
                     " and ", dialect_.path_key));
  }
  request.upload.overwrite =
      dialect_.upsert_header.empty()
          ? metadata["overwrite"] == "true"
          : req.get_header_value(dialect_.upsert_header) == "true";
  request.declared_type = metadata[dialect_.type_key];
  if (!dialect_.cache_seconds_key.empty() &&
      metadata.count(dialect_.cache_seconds_key) > 0) {
    uint64_t seconds = 0;
    if (!absl::SimpleAtoi(metadata[dialect_.cache_seconds_key], &seconds)) {
      return absl::InvalidArgumentError(
          absl::StrCat(dialect_.cache_seconds_key, " must be seconds"));
    }
    request.upload.cache_control = absl::StrCat("max-age=", seconds);
  }
  ASSIGN_OR_RETURN(ResumableState state,
                   parts.empty() ? services_->resumable->Create(caller, request)
                                 : services_->resumable->Concatenate(
                                       caller, request, parts));
  call.res.set_header("Location", absl::StrCat(dialect_.base, "/", state.id));
  // creation-with-upload: the body is the first append.
  if (req.get_header_value("Content-Type") == kOffsetStream &&
      !state.complete) {
    RETURN_IF_ERROR(Append(call, caller, state.id, 0, std::nullopt));
  } else {
    WriteState(call.res, state);
  }
  call.res.status = 201;
  return absl::OkStatus();
}

absl::Status TusHandler::Head(const HttpCall& call, const std::string& id) {
  RETURN_IF_ERROR(CheckVersion(call));
  ASSIGN_OR_RETURN(Identity caller, dialect_.caller(*services_, call));
  ASSIGN_OR_RETURN(ResumableState state,
                   services_->resumable->Status(caller, id));
  httplib::Response& res = call.res;
  WriteState(res, state);
  if (state.length) {
    res.set_header("Upload-Length", absl::StrCat(*state.length));
  } else {
    res.set_header("Upload-Defer-Length", "1");
  }
  if (!state.metadata.empty()) {
    res.set_header("Upload-Metadata", state.metadata);
  }
  res.set_header("Cache-Control", "no-store");
  res.status = 200;
  return absl::OkStatus();
}

absl::Status TusHandler::Patch(const HttpCall& call, const std::string& id) {
  const httplib::Request& req = call.req;
  RETURN_IF_ERROR(CheckVersion(call));
  ASSIGN_OR_RETURN(Identity caller, dialect_.caller(*services_, call));
  if (req.get_header_value("Content-Type") != kOffsetStream) {
    return UnsupportedMediaTypeError(
        absl::StrCat("PATCH bodies are ", kOffsetStream));
  }
  ASSIGN_OR_RETURN(uint64_t offset, NumberHeader(req, "Upload-Offset"));
  std::optional<uint64_t> length;
  if (req.has_header("Upload-Length")) {
    ASSIGN_OR_RETURN(length, NumberHeader(req, "Upload-Length"));
  }
  RETURN_IF_ERROR(Append(call, caller, id, offset, length));
  call.res.status = 204;
  return absl::OkStatus();
}

absl::Status TusHandler::Append(const HttpCall& call, const Identity& caller,
                                const std::string& id, uint64_t offset,
                                std::optional<uint64_t> length) {
  ASSIGN_OR_RETURN(std::optional<BodyChecksum> checksum,
                   RequestedChecksum(call.req));
  ASSIGN_OR_RETURN(const std::string transfer_id,
                   TransferKey(caller.user, call));
  Metrics::ActiveTransfer active(services_->metrics,
                                 TransferDirection::kUpload);
  BodySource body =
      [&](const std::function<absl::Status(absl::string_view)>& sink) {
        return (*call.body)([&](const char* data, size_t n) {
          active.Add(n);
          return sink(absl::string_view(data, n)).ok();
        });
      };
  ASSIGN_OR_RETURN(ResumableState state,
                   services_->resumable->Append(caller, id, offset, length,
                                                checksum, body, transfer_id));
  WriteState(call.res, state);
  return absl::OkStatus();
}

absl::Status TusHandler::Delete(const HttpCall& call, const std::string& id) {
  RETURN_IF_ERROR(CheckVersion(call));
  ASSIGN_OR_RETURN(Identity caller, dialect_.caller(*services_, call));
  RETURN_IF_ERROR(services_->resumable->Terminate(caller, id));
  call.res.status = 204;
  return absl::OkStatus();
}

}  // namespace sfs::frontend
