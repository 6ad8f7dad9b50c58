#include "sfs-frontend/server/upload_handler.h"

#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "sfs-frontend/files/upload_stream.h"
#include "sfs-frontend/server/http_error.h"
#include "sfs-frontend/server/multipart_reader.h"

namespace sfs::frontend {
namespace {

using OpenStream = std::function<absl::StatusOr<std::unique_ptr<UploadStream>>(
    const std::string& declared_type)>;

// Streams the file part of a multipart body into a stream it opens with
// `open` once that part's headers are known. Fields before it are kept for
// `fields`; parts after it are skipped.
absl::Status ReceiveMultipart(
    const httplib::ContentReader& body, const std::string& content_type,
    const OpenStream& open,
    const std::function<absl::Status(const UploadHandler::FormFields&)>&
        fields_read,
    std::unique_ptr<UploadStream>& stream, Metrics::ActiveTransfer& transfer) {
  absl::Status error;
  UploadHandler::FormFields fields;
  std::string* field = nullptr;
  bool in_file = false;
  auto on_part = [&](const MultipartReader::PartHeader& part) {
    field = nullptr;
    in_file = false;
    if (stream != nullptr) return true;
    if (part.name != "file" && part.filename.empty()) {
      if (fields.size() == UploadHandler::kMaxFormFields) {
        error = absl::InvalidArgumentError(
            absl::StrCat("more than ", UploadHandler::kMaxFormFields,
                         " form fields before the file"));
        return false;
      }
      field = &fields[part.name];
      field->clear();
      return true;
    }
    in_file = true;
    if (fields_read) error = fields_read(fields);
    if (!error.ok()) return false;
    auto opened = open(part.content_type);
    if (!opened.ok()) error = opened.status();
    if (opened.ok()) stream = std::move(*opened);
    return error.ok();
  };
  auto on_data = [&](const char* data, size_t n) {
    if (field != nullptr) {
      if (field->size() + n > UploadHandler::kMaxFormFieldBytes) {
        error = absl::InvalidArgumentError(
            absl::StrCat("a form field exceeds ",
                         UploadHandler::kMaxFormFieldBytes, " bytes"));
        return false;
      }
      field->append(data, n);
      return true;
    }
    if (!in_file) return true;
    transfer.Add(n);
    error = stream->Append(absl::string_view(data, n));
    return error.ok();
  };
  ASSIGN_OR_RETURN(MultipartReader reader,
                   MultipartReader::Create(content_type, on_part, on_data));
  const bool complete =
      body([&](const char* data, size_t n) { return reader.Feed(data, n); });
  RETURN_IF_ERROR(error);
  if (!complete) {
    absl::Status parsed = reader.Finish();
    return parsed.ok() ? absl::InvalidArgumentError("request body ended early")
                       : parsed;
  }
  RETURN_IF_ERROR(reader.Finish());
  if (stream == nullptr) {
    return absl::InvalidArgumentError(
        "multipart body has no file part (named \"file\" or with a "
        "filename)");
  }
  return absl::OkStatus();
}

absl::Status ReceiveRaw(const httplib::ContentReader& body,
                        UploadStream& stream,
                        Metrics::ActiveTransfer& transfer) {
  absl::Status error;
  bool complete = body([&](const char* data, size_t n) {
    transfer.Add(n);
    error = stream.Append(absl::string_view(data, n));
    return error.ok();
  });
  RETURN_IF_ERROR(error);
  if (!complete) return absl::InvalidArgumentError("request body ended early");
  return absl::OkStatus();
}

}  // namespace

std::optional<uint64_t> UploadHandler::DeclaredSize(
    const httplib::Request& req) {
  uint64_t size = 0;
  if (absl::SimpleAtoi(req.get_header_value("X-File-Size"), &size)) {
    return size;
  }
  // A multipart body is larger than the file in it.
  if (MultipartType(req).empty() &&
      absl::SimpleAtoi(req.get_header_value("Content-Length"), &size)) {
    return size;
  }
  return std::nullopt;
}

absl::Status UploadHandler::Upload(const HttpCall& call, const std::string& ns,
                                   const std::string& path) {
  const httplib::Request& req = call.req;
  UploadRequest request;
  request.ns = ns;
  request.path = path;
  const std::string overwrite = req.get_param_value("overwrite");
  request.overwrite = overwrite == "true" || overwrite == "1";
  request.declared_size = DeclaredSize(req);
  // Stored with the file, as S3 stores them: Cache-Control, X-Meta-<key>.
  request.cache_control = req.get_header_value("Cache-Control");
  for (const auto& [name, value] : req.headers) {
    absl::string_view key = name;
    if (absl::ConsumePrefix(&key, "X-Meta-") ||
        absl::ConsumePrefix(&key, "x-meta-")) {
      request.metadata[absl::AsciiStrToLower(key)] = value;
    }
  }
  std::optional<AdmittedUpload> admitted;
  if (req.has_param("signature")) {
    // A signed URL is the credential, and decides overwrite and limits.
    ASSIGN_OR_RETURN(SignedGrant grant,
                     RedeemSignature(*services_, call, ns, path,
                                     SignedGrant::Action::kUpload));
    ASSIGN_OR_RETURN(admitted,
                     services_->files->AdmitGrantedUpload(grant, request));
  } else {
    ASSIGN_OR_RETURN(Identity caller, Authenticate(*services_, call));
    ASSIGN_OR_RETURN(admitted, services_->files->AdmitUpload(caller, request));
  }
  ASSIGN_OR_RETURN(FileInfo info,
                   Receive(call, *admitted, request.declared_size));
  nlohmann::json out = {{"status", "uploaded"},
                        {"name", path},
                        {"namespace", ns},
                        {"size", info.size},
                        {"etag", info.sha256}};
  WriteJson(call, 201, out.dump());
  return absl::OkStatus();
}

absl::StatusOr<FileInfo> UploadHandler::Receive(
    const HttpCall& call, AdmittedUpload& admitted,
    std::optional<uint64_t> declared_size,
    const std::function<absl::Status(const FormFields&)>& fields) {
  const httplib::Request& req = call.req;
  ASSIGN_OR_RETURN(std::string transfer_id,
                   TransferKey(admitted.uploader(), call));
  ProgressReporter progress(services_->progress, transfer_id, "upload",
                            declared_size.value_or(0));
  Metrics::ActiveTransfer active(services_->metrics,
                                 TransferDirection::kUpload);
  const ExpectedDigests expected{req.get_header_value("Content-MD5"),
                                 req.get_header_value("X-Content-SHA256")};
  auto open = [&](const std::string& declared_type) {
    return admitted.Open(declared_type, &progress, expected);
  };
  std::unique_ptr<UploadStream> stream;
  if (const std::string multipart = MultipartType(req); !multipart.empty()) {
    RETURN_IF_ERROR(
        ReceiveMultipart(*call.body, multipart, open, fields, stream, active));
  } else {
    ASSIGN_OR_RETURN(stream, open(req.get_header_value("Content-Type")));
    RETURN_IF_ERROR(ReceiveRaw(*call.body, *stream, active));
  }
  return stream->Finish();
}

}  // namespace sfs::frontend
