#include "sfs-frontend/files/resumable_uploads.h"

#include <openssl/evp.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "sfs-frontend/server/http_error.h"

namespace sfs::frontend {
namespace {

using nlohmann::json;

const EVP_MD* ChecksumDigest(absl::string_view algorithm) {
  if (algorithm == "sha1") return EVP_sha1();
  if (algorithm == "sha256") return EVP_sha256();
  if (algorithm == "md5") return EVP_md5();
  return nullptr;
}

// The digest of one append's body, as it streams.
class BodyDigest {
 public:
  explicit BodyDigest(const EVP_MD* md)
      : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    EVP_DigestInit_ex(ctx_.get(), md, nullptr);
  }
  void Update(absl::string_view data) {
    EVP_DigestUpdate(ctx_.get(), data.data(), data.size());
  }
  std::string Finish() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest, &length);
    return std::string(reinterpret_cast<char*>(digest), length);
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

absl::Status UnknownUpload(const std::string& id) {
  return absl::NotFoundError(absl::StrCat(
      "upload ", id, " does not exist (finished, terminated or expired)"));
}

}  // namespace

bool SupportedChecksum(absl::string_view algorithm) {
  return ChecksumDigest(algorithm) != nullptr;
}

// What the master keeps for this service with the upload (client data).
struct ResumableUploads::Upload {
  std::string owner;
  std::string ns;
  int64_t incarnation = 0;
  std::optional<uint64_t> length;
  std::optional<uint64_t> max_file_bytes;
  std::string metadata;
  bool partial = false;
  CreateOptions create;  // the file's, but for client_data and resumable
  PendingUpload pending;

  std::string Encode() const {
    json out = {{"v", 1},
                {"owner", owner},
                {"ns", ns},
                {"incarnation", incarnation},
                {"metadata", metadata},
                {"type", create.content_type},
                {"cache_control", create.cache_control},
                {"meta", create.metadata},
                {"keep_versions", create.keep_versions},
                {"if_absent", create.if_absent},
                {"if_generation", create.if_generation}};
    if (partial) out["partial"] = true;
    if (length) out["length"] = *length;
    if (max_file_bytes) out["max_file_bytes"] = *max_file_bytes;
    return out.dump();
  }

  static absl::StatusOr<Upload> Decode(PendingUpload pending) {
    json in = json::parse(pending.client_data, nullptr, false);
    if (!in.is_object() || in.value("v", 0) != 1) {
      return absl::NotFoundError("not a resumable upload of this service");
    }
    try {
      Upload upload;
      upload.owner = in.at("owner").get<std::string>();
      upload.ns = in.at("ns").get<std::string>();
      upload.incarnation = in.at("incarnation").get<int64_t>();
      upload.metadata = in.at("metadata").get<std::string>();
      CreateOptions& create = upload.create;
      create.content_type = in.at("type").get<std::string>();
      create.cache_control = in.at("cache_control").get<std::string>();
      create.metadata = in.at("meta").get<std::map<std::string, std::string>>();
      create.keep_versions = in.at("keep_versions").get<uint32_t>();
      create.if_absent = in.at("if_absent").get<bool>();
      create.if_generation = in.at("if_generation").get<uint64_t>();
      create.namespace_incarnation = upload.incarnation;
      create.resumable = true;
      upload.partial = in.value("partial", false);
      if (in.contains("length")) upload.length = in["length"].get<uint64_t>();
      if (in.contains("max_file_bytes")) {
        upload.max_file_bytes = in["max_file_bytes"].get<uint64_t>();
      }
      upload.pending = std::move(pending);
      return upload;
    } catch (const json::exception&) {
      return absl::NotFoundError("not a resumable upload of this service");
    }
  }

  ResumableState State() const {
    ResumableState state;
    state.id = pending.upload_id;
    state.offset = pending.committed_bytes;
    state.length = length;
    state.metadata = metadata;
    state.expires_at = pending.expires_at;
    return state;
  }
};

absl::StatusOr<ResumableState> ResumableUploads::Create(
    const Identity& caller, const ResumableCreate& request) {
  if (request.metadata.size() > kMaxResumableMetadata) {
    return absl::InvalidArgumentError(absl::StrCat(
        "upload metadata exceeds ", kMaxResumableMetadata, " bytes"));
  }
  ASSIGN_OR_RETURN(AdmittedUpload admitted,
                   files_->AdmitUpload(caller, request.upload));
  Upload upload;
  upload.owner = caller.user;
  upload.ns = admitted.ns().name;
  upload.incarnation = admitted.ns().created_at;
  upload.length = request.upload.declared_size;
  upload.max_file_bytes = admitted.limits().max_file_bytes;
  upload.metadata = request.metadata;
  upload.partial = request.partial;
  ASSIGN_OR_RETURN(upload.create, admitted.Prepare(request.declared_type));
  CreateOptions create = upload.create;
  create.resumable = true;
  create.client_data = upload.Encode();
  auto writer = client_->Create(admitted.full_path(), create);
  if (!writer.ok()) return UploadWriteError(writer.status());
  const std::string id = (*writer)->upload_id();
  if (upload.length == 0 && !upload.partial) {
    // Nothing to wait for: stored at once.
    auto file = (*writer)->Close();
    if (!file.ok()) return UploadWriteError(file.status());
    ResumableState state;
    state.id = id;
    state.length = 0;
    state.metadata = upload.metadata;
    state.complete = true;
    return state;
  }
  (*writer)->Detach();
  ASSIGN_OR_RETURN(upload.pending, client_->GetUpload(id));
  return upload.State();
}

absl::StatusOr<ResumableUploads::Upload> ResumableUploads::Load(
    const Identity& caller, const std::string& id) {
  auto pending = client_->GetUpload(id);
  if (absl::IsNotFound(pending.status())) return UnknownUpload(id);
  if (!pending.ok()) return pending.status();
  auto upload = Upload::Decode(std::move(*pending));
  if (!upload.ok()) return UnknownUpload(id);
  // Another user's upload is as good as unknown to the caller.
  if (caller.user != upload->owner && !caller.is_admin) {
    return UnknownUpload(id);
  }
  ASSIGN_OR_RETURN(
      NamespaceRecord ns,
      files_->Authorize(caller, upload->ns, NamespaceAccess::kCreateFiles));
  if (ns.created_at != upload->incarnation) return UnknownUpload(id);
  return upload;
}

absl::StatusOr<ResumableState> ResumableUploads::Status(const Identity& caller,
                                                        const std::string& id) {
  ASSIGN_OR_RETURN(Upload upload, Load(caller, id));
  return upload.State();
}

absl::StatusOr<ResumableState> ResumableUploads::Append(
    const Identity& caller, const std::string& id, uint64_t offset,
    std::optional<uint64_t> length, const std::optional<BodyChecksum>& checksum,
    const BodySource& body, const std::string& transfer_id) {
  ASSIGN_OR_RETURN(Upload upload, Load(caller, id));
  auto conflict = [&](uint64_t at) {
    return WithHttpStatus(
        absl::FailedPreconditionError(absl::StrCat(
            "Upload-Offset is ", offset, " but the upload is at ", at)),
        409, "offset_mismatch");
  };
  if (offset != upload.pending.committed_bytes) {
    return conflict(upload.pending.committed_bytes);
  }
  CreateOptions create = upload.create;
  if (length && upload.length != length) {
    if (upload.length) {
      return absl::InvalidArgumentError(
          absl::StrCat("the upload's length is ", *upload.length));
    }
    if (*length < offset) {
      return absl::InvalidArgumentError(
          "Upload-Length is below the bytes already received");
    }
    upload.length = length;
    create.client_data = upload.Encode();
  }
  const uint64_t limit = std::min(upload.length.value_or(UINT64_MAX),
                                  upload.max_file_bytes.value_or(UINT64_MAX));
  if (upload.length && upload.max_file_bytes &&
      *upload.length > *upload.max_file_bytes) {
    return PayloadTooLargeError(
        absl::StrCat("file exceeds the namespace limit of ",
                     *upload.max_file_bytes, " bytes"));
  }
  const EVP_MD* md = checksum ? ChecksumDigest(checksum->algorithm) : nullptr;
  // A full chunk is committed as it fills, before the checksum could be
  // checked: checksummed appends stay below one.
  const uint64_t checked_limit =
      md != nullptr ? offset + kMaxChecksummedAppend : UINT64_MAX;
  if (checksum && md == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "checksum algorithm ", checksum->algorithm, " is not supported"));
  }

  PendingUpload resumed;
  auto writer = client_->Resume(id, create, &resumed);
  if (absl::IsNotFound(writer.status())) return UnknownUpload(id);
  if (!writer.ok()) return UploadWriteError(writer.status());
  // Another append committed between our look and the take-over.
  if (resumed.committed_bytes != offset) {
    return conflict(resumed.committed_bytes);
  }
  ProgressReporter progress(progress_, transfer_id, "upload",
                            upload.length.value_or(0), offset);
  std::optional<BodyDigest> digest;
  if (md != nullptr) digest.emplace(md);
  uint64_t end = offset;
  absl::Status error;
  const bool whole = body([&](absl::string_view data) -> absl::Status {
    if (end + data.size() > checked_limit) {
      return error = absl::InvalidArgumentError(
                 absl::StrCat("a checksummed append is at most ",
                              kMaxChecksummedAppend, " bytes"));
    }
    if (end + data.size() > limit) {
      return error = PayloadTooLargeError(
                 upload.length && end + data.size() > *upload.length
                     ? absl::StrCat("body goes past Upload-Length ",
                                    *upload.length)
                     : absl::StrCat("file exceeds the namespace limit of ",
                                    *upload.max_file_bytes, " bytes"));
    }
    if (digest) digest->Update(data);
    if (absl::Status s = (*writer)->Append(data); !s.ok()) {
      return error = UploadWriteError(s);
    }
    end += data.size();
    progress.Update(end);
    return absl::OkStatus();
  });
  // Refused or unverifiable bytes are dropped with the writer (detached,
  // not committed): the offset stays after the last chunk committed, which
  // for an append below 64 MiB is where it was.
  RETURN_IF_ERROR(error);
  if (digest) {
    if (!whole) {
      return absl::InvalidArgumentError(
          "the body ended early; a checksummed append is kept whole or not "
          "at all");
    }
    if (digest->Finish() != checksum->digest) {
      return WithHttpStatus(
          absl::InvalidArgumentError("Upload-Checksum does not match"), 460,
          "checksum_mismatch");
    }
  }
  // What arrived is kept, even from a body that ended early.
  auto committed = (*writer)->Checkpoint();
  if (!committed.ok()) return UploadWriteError(committed.status());
  upload.pending.committed_bytes = *committed;
  ResumableState state = upload.State();
  if (upload.length && *committed == *upload.length && !upload.partial) {
    auto file = (*writer)->Close();
    if (!file.ok()) return UploadWriteError(file.status());
    progress.Finish(*committed);
    state.complete = true;
    return state;
  }
  progress.Suspend(*committed);
  state.expires_at = resumed.expires_at;
  return state;
}

absl::Status ResumableUploads::Terminate(const Identity& caller,
                                         const std::string& id) {
  RETURN_IF_ERROR(Load(caller, id).status());
  absl::Status abandoned = client_->AbandonUpload(id);
  return absl::IsNotFound(abandoned) ? UnknownUpload(id) : abandoned;
}

absl::StatusOr<ResumableState> ResumableUploads::Concatenate(
    const Identity& caller, ResumableCreate request,
    const std::vector<std::string>& parts) {
  if (parts.empty() || parts.size() > kMaxParts) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a file is put together from 1 to ", kMaxParts, " partial uploads"));
  }
  uint64_t total = 0;
  for (const std::string& id : parts) {
    ASSIGN_OR_RETURN(Upload part, Load(caller, id));
    if (!part.partial || part.ns != request.upload.ns) {
      return absl::InvalidArgumentError(absl::StrCat(
          "upload ", id, " is not a partial upload into ", request.upload.ns));
    }
    if (!part.length || part.pending.committed_bytes != *part.length) {
      return absl::InvalidArgumentError(
          absl::StrCat("partial upload ", id, " is not complete"));
    }
    total += *part.length;
  }
  request.upload.declared_size = total;
  ASSIGN_OR_RETURN(AdmittedUpload admitted,
                   files_->AdmitUpload(caller, request.upload));
  ASSIGN_OR_RETURN(CreateOptions create,
                   admitted.Prepare(request.declared_type));
  auto writer = client_->Create(admitted.full_path(), create);
  if (!writer.ok()) return UploadWriteError(writer.status());
  // Bounded memory: one buffer, whatever the parts' sizes.
  std::string buffer(1 << 20, '\0');
  for (const std::string& id : parts) {
    auto reader = client_->OpenUpload(id);
    if (absl::IsNotFound(reader.status())) return UnknownUpload(id);
    if (!reader.ok()) return reader.status();
    while (true) {
      ASSIGN_OR_RETURN(size_t n, (*reader)->Read(buffer.data(), buffer.size()));
      if (n == 0) break;
      if (absl::Status s =
              (*writer)->Append(absl::string_view(buffer.data(), n));
          !s.ok()) {
        return UploadWriteError(s);
      }
    }
  }
  if ((*writer)->appended_bytes() != total) {
    return absl::DataLossError(absl::StrCat(
        "the parts held ", (*writer)->appended_bytes(), " bytes, not ", total));
  }
  const std::string id = (*writer)->upload_id();
  auto file = (*writer)->Close();
  if (!file.ok()) return UploadWriteError(file.status());
  for (const std::string& id : parts) {
    // Best effort: a part left behind expires like any idle upload.
    client_->AbandonUpload(id).IgnoreError();
  }
  ResumableState state;
  state.id = id;
  state.offset = total;
  state.length = total;
  state.metadata = request.metadata;
  state.complete = true;
  return state;
}

}  // namespace sfs::frontend
