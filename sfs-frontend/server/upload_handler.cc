#include "sfs-frontend/server/upload_handler.h"

#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "sfs-frontend/server/http_error.h"
#include "sfs-frontend/server/media_type.h"
#include "sfs-frontend/server/upload_stream.h"

namespace sfs::frontend {
namespace {

// The type to record: what the client declared, unless it declared nothing
// useful, in which case the file name decides.
std::string ChooseMediaType(const std::string& declared,
                            const std::string& path) {
  if (declared.empty() || declared == "application/octet-stream" ||
      declared == "application/x-www-form-urlencoded") {
    return MediaTypeForPath(path);
  }
  return declared;
}

std::optional<uint64_t> DeclaredSize(const httplib::Request& req) {
  uint64_t size = 0;
  if (absl::SimpleAtoi(req.get_header_value("X-File-Size"), &size)) {
    return size;
  }
  // A multipart body is larger than the file in it.
  if (!req.is_multipart_form_data() &&
      absl::SimpleAtoi(req.get_header_value("Content-Length"), &size)) {
    return size;
  }
  return std::nullopt;
}

// The limits of `ns`, checked up front against the declared size so a
// client learns of a too-large file before sending it. The quota left is a
// snapshot for early refusal; the master enforces the quota exactly, through
// the reservations of every upload in flight (CreateOptions::quota_bytes).
absl::StatusOr<UploadLimits> LimitsFor(Client* client,
                                       const NamespaceRecord& ns,
                                       std::optional<uint64_t> declared) {
  UploadLimits limits;
  if (ns.policies.max_file_bytes) {
    limits.max_file_bytes = *ns.policies.max_file_bytes;
  }
  if (ns.policies.quota_bytes) {
    ASSIGN_OR_RETURN(StorageUsage usage, CountNamespace(client, ns.name));
    // Old versions take space as much as current files do.
    const uint64_t used =
        usage.bytes + usage.old_version_bytes + usage.reserved_bytes;
    uint64_t quota = *ns.policies.quota_bytes;
    limits.quota_left = quota > used ? quota - used : 0;
  }
  if (declared && limits.max_file_bytes && *declared > *limits.max_file_bytes) {
    return PayloadTooLargeError(
        absl::StrCat("file exceeds the namespace limit of ",
                     *limits.max_file_bytes, " bytes"));
  }
  if (declared && limits.quota_left && *declared > *limits.quota_left) {
    return QuotaExceededError("namespace quota exceeded");
  }
  return limits;
}

// Streams the `file` part of a multipart body into a stream it opens with
// `open` once that part's headers are known; other parts are skipped.
absl::Status ReceiveMultipart(
    const httplib::ContentReader& body,
    const std::function<absl::StatusOr<std::unique_ptr<UploadStream>>(
        const std::string& declared_type)>& open,
    std::unique_ptr<UploadStream>& stream, Metrics* metrics) {
  absl::Status error;
  bool in_file = false;
  bool complete = body(
      [&](const httplib::MultipartFormData& part) {
        in_file = part.name == "file" && stream == nullptr;
        if (!in_file) return true;
        auto opened = open(part.content_type);
        if (!opened.ok()) error = opened.status();
        if (opened.ok()) stream = std::move(*opened);
        return error.ok();
      },
      [&](const char* data, size_t n) {
        if (!in_file) return true;
        metrics->AddBytesIn(n);
        error = stream->Append(absl::string_view(data, n));
        return error.ok();
      });
  RETURN_IF_ERROR(error);
  if (!complete) {
    return absl::InvalidArgumentError(
        "request body ended early or is not "
        "well-formed multipart");
  }
  if (stream == nullptr) {
    return absl::InvalidArgumentError("multipart body has no part \"file\"");
  }
  return absl::OkStatus();
}

// `create` made to succeed only where no visible file is: none at all, or
// exactly the expired one a Stat finds (replaced as if absent).
// AlreadyExists if a visible file is there.
absl::StatusOr<CreateOptions> WithoutOverwrite(const FrontendServices& services,
                                               const NamespaceRecord& ns,
                                               const std::string& full_path,
                                               CreateOptions create) {
  auto existing = services.client->Stat(full_path);
  if (absl::IsNotFound(existing.status())) {
    create.if_absent = true;
    return create;
  }
  if (!existing.ok()) return existing.status();
  if (CheckNotExpired(services, ns, *existing).ok()) {
    return absl::AlreadyExistsError(
        absl::StrCat(full_path.substr(ns.name.size() + 2),
                     " exists; add ?overwrite=true to replace it"));
  }
  create.if_generation = existing->generation;
  return create;
}

absl::Status ReceiveRaw(const httplib::ContentReader& body,
                        UploadStream& stream, Metrics* metrics) {
  absl::Status error;
  bool complete = body([&](const char* data, size_t n) {
    metrics->AddBytesIn(n);
    error = stream.Append(absl::string_view(data, n));
    return error.ok();
  });
  RETURN_IF_ERROR(error);
  if (!complete) return absl::InvalidArgumentError("request body ended early");
  return absl::OkStatus();
}

}  // namespace

absl::Status UploadHandler::Upload(const HttpCall& call, const std::string& ns,
                                   const std::string& path) {
  const httplib::Request& req = call.req;
  ASSIGN_OR_RETURN(std::string full_path, ClusterPath(ns, path));
  ASSIGN_OR_RETURN(
      NamespaceRecord record,
      AuthorizeNamespace(*services_, call, ns, NamespaceAccess::kCreateFiles));
  std::optional<uint64_t> declared = DeclaredSize(req);
  CreateOptions create;
  create.keep_versions = record.policies.keep_versions.value_or(0);
  create.namespace_incarnation = record.created_at;
  create.quota_bytes = record.policies.quota_bytes;
  create.reserve_bytes = declared.value_or(0);
  std::string overwrite = req.get_param_value("overwrite");
  if (overwrite != "true" && overwrite != "1") {
    // Refused at once if a file is there; otherwise the master checks again
    // when the upload completes, so of two racing creates one wins.
    ASSIGN_OR_RETURN(create, WithoutOverwrite(*services_, record, full_path,
                                              std::move(create)));
  }
  ASSIGN_OR_RETURN(UploadLimits limits,
                   LimitsFor(services_->client, record, declared));

  std::string transfer_id = req.get_header_value("X-Transfer-Id");
  if (transfer_id.empty()) transfer_id = req.get_param_value("id");
  ProgressReporter progress(services_->progress, transfer_id, "upload",
                            declared.value_or(0));
  Metrics::ActiveTransfer active(services_->metrics,
                                 TransferDirection::kUpload);
  auto open = [&](const std::string& declared_type)
      -> absl::StatusOr<std::unique_ptr<UploadStream>> {
    std::string type = ChooseMediaType(declared_type, path);
    if (!MediaTypeAllowed(type, record.policies.allowed_mime_types)) {
      return UnsupportedMediaTypeError(
          absl::StrCat(type, " is not allowed in namespace ", ns));
    }
    create.content_type = type;
    auto writer = services_->client->Create(full_path, create);
    if (!writer.ok()) return UploadWriteError(writer.status());
    return std::make_unique<UploadStream>(std::move(*writer), limits,
                                          &progress);
  };
  std::unique_ptr<UploadStream> stream;
  if (req.is_multipart_form_data()) {
    RETURN_IF_ERROR(
        ReceiveMultipart(*call.body, open, stream, services_->metrics));
  } else {
    ASSIGN_OR_RETURN(stream, open(req.get_header_value("Content-Type")));
    RETURN_IF_ERROR(ReceiveRaw(*call.body, *stream, services_->metrics));
  }
  ASSIGN_OR_RETURN(FileInfo info,
                   stream->Finish({req.get_header_value("Content-MD5"),
                                   req.get_header_value("X-Content-SHA256")}));
  nlohmann::json out = {{"status", "uploaded"},
                        {"name", path},
                        {"namespace", ns},
                        {"size", info.size},
                        {"etag", info.sha256}};
  WriteJson(call, 201, out.dump());
  return absl::OkStatus();
}

}  // namespace sfs::frontend
