#include "sfs-frontend/files/upload_stream.h"

#include <openssl/evp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "sfs-frontend/server/http_error.h"

namespace sfs::frontend {

// Streaming MD5 for Content-MD5, which common/ has no use for elsewhere.
class UploadStream::Md5 {
 public:
  Md5() : ctx_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr);
  }
  ~Md5() { EVP_MD_CTX_free(ctx_); }
  void Update(absl::string_view data) {
    EVP_DigestUpdate(ctx_, data.data(), data.size());
  }
  std::string FinishBase64() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx_, digest, &length);
    return absl::Base64Escape(
        absl::string_view(reinterpret_cast<const char*>(digest), length));
  }

 private:
  EVP_MD_CTX* ctx_;
};

absl::Status UploadWriteError(absl::Status status) {
  switch (status.code()) {
    case absl::StatusCode::kResourceExhausted:
      // The master's quota refusal; anything else (no space on the
      // chunkservers) stays 507 insufficient_storage.
      if (absl::StartsWith(status.message(), kQuotaExceededPrefix)) {
        return QuotaExceededError(status.message());
      }
      return status;
    // The master ended the upload (its namespace was deleted, or it sat idle
    // past the upload timeout) or refused its completion.
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
      return WithHttpStatus(std::move(status), 409, "conflict");
    default:
      return status;
  }
}

UploadStream::UploadStream(std::unique_ptr<FileWriter> writer,
                           UploadLimits limits, ProgressReporter* progress,
                           std::unique_ptr<SingleUseClaim> claim,
                           ExpectedDigests expected)
    : writer_(std::move(writer)),
      limits_(limits),
      progress_(progress),
      claim_(std::move(claim)),
      expected_(std::move(expected)),
      md5_(expected_.content_md5.empty() ? nullptr : std::make_unique<Md5>()) {}

UploadStream::~UploadStream() {
  if (!closed_) Abort("upload not finished");
}

absl::Status UploadStream::Append(absl::string_view data) {
  uint64_t after = bytes_ + data.size();
  if (limits_.max_file_bytes && after > *limits_.max_file_bytes) {
    return Fail(PayloadTooLargeError(
        absl::StrCat("file exceeds the namespace limit of ",
                     *limits_.max_file_bytes, " bytes")));
  }
  if (limits_.quota_left && after > *limits_.quota_left) {
    return Fail(QuotaExceededError("namespace quota exceeded"));
  }
  if (md5_ != nullptr) md5_->Update(data);
  absl::Status status = writer_->Append(data);
  if (!status.ok()) return Fail(UploadWriteError(status));
  bytes_ = after;
  if (progress_ != nullptr) progress_->Update(bytes_);
  return absl::OkStatus();
}

absl::StatusOr<FileInfo> UploadStream::Finish() {
  if (md5_ != nullptr && md5_->FinishBase64() != expected_.content_md5) {
    return Fail(absl::InvalidArgumentError("Content-MD5 does not match"));
  }
  auto info = writer_->Close(absl::AsciiStrToLower(expected_.sha256_hex));
  if (!info.ok()) {
    if (IsDigestMismatch(info.status())) {
      return Fail(
          absl::InvalidArgumentError("X-Content-SHA256 does not match"));
    }
    return Fail(UploadWriteError(info.status()));
  }
  closed_ = true;
  if (claim_ != nullptr) claim_->Keep();
  if (progress_ != nullptr) progress_->Finish(info->size);
  return info;
}

void UploadStream::Abort(const std::string& why) {
  if (closed_) return;
  closed_ = true;
  writer_->Abort();
  if (progress_ != nullptr) progress_->Finish(bytes_, why);
}

absl::Status UploadStream::Fail(absl::Status status) {
  Abort(std::string(status.message()));
  return status;
}

}  // namespace sfs::frontend
