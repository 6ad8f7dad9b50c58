#include "sfs-frontend/files/file_service.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/path.h"
#include "common/status_macros.h"
#include "sfs-frontend/auth/authorizer.h"
#include "sfs-frontend/auth/crypto.h"
#include "sfs-frontend/catalog/names.h"
#include "sfs-frontend/files/media_type.h"
#include "sfs-frontend/server/http_error.h"

namespace sfs::frontend {
namespace {

// InvalidArgument unless a signed link may live `lifetime`.
absl::Status CheckLinkLifetime(absl::Duration lifetime) {
  if (lifetime < absl::Seconds(1) ||
      lifetime > FileService::kMaxSignedUrlLifetime) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a signed URL lives 1 second to ",
        absl::ToInt64Seconds(FileService::kMaxSignedUrlLifetime), " seconds"));
  }
  return absl::OkStatus();
}

// "/<ns>/<path>" after checking both halves (InvalidArgument on traversal,
// bad UTF-8, overlong names, ...).
absl::StatusOr<std::string> ClusterPath(const std::string& ns,
                                        const std::string& path) {
  RETURN_IF_ERROR(ValidateNamespaceName(ns));
  std::string full = absl::StrCat("/", ns, "/", path);
  RETURN_IF_ERROR(ValidateFilePath(full));
  return full;
}

// The path of `file` inside namespace `ns`.
std::string RelativePath(const NamespaceRecord& ns, const FileInfo& file) {
  return file.path.substr(ns.name.size() + 2);
}

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

// Printable ASCII, so a value can never end or split a response header.
bool IsHeaderSafe(absl::string_view value) {
  return std::all_of(value.begin(), value.end(),
                     [](char c) { return c >= 0x20 && c <= 0x7e; });
}

absl::Status ValidateAttributes(
    const std::string& cache_control,
    const std::map<std::string, std::string>& metadata) {
  constexpr size_t kMaxCacheControl = 256;
  constexpr size_t kMaxKey = 64;
  constexpr size_t kMaxValue = 1024;
  constexpr size_t kMaxMetadataBytes = 2048;
  if (cache_control.size() > kMaxCacheControl || !IsHeaderSafe(cache_control)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Cache-Control must be printable ASCII of at most ",
                     kMaxCacheControl, " characters"));
  }
  if (metadata.size() > kMaxMetadataEntries) {
    return absl::InvalidArgumentError(absl::StrCat(
        "at most ", kMaxMetadataEntries, " metadata entries per file"));
  }
  size_t bytes = 0;
  for (const auto& [key, value] : metadata) {
    const bool key_ok =
        !key.empty() && key.size() <= kMaxKey &&
        std::all_of(key.begin(), key.end(), [](char c) {
          return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-';
        });
    if (!key_ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata key \"", key,
                       "\" must be 1 to 64 lowercase letters, digits and '-'"));
    }
    if (value.size() > kMaxValue || !IsHeaderSafe(value)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metadata value of \"", key, "\" must be printable ASCII of at most ",
          kMaxValue, " characters"));
    }
    bytes += key.size() + value.size();
  }
  if (bytes > kMaxMetadataBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("metadata exceeds ", kMaxMetadataBytes, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<NamespaceRecord> FileService::Authorize(const Identity& caller,
                                                       const std::string& name,
                                                       NamespaceAccess access) {
  RETURN_IF_ERROR(ValidateNamespaceName(name));
  auto ns = catalog_->GetNamespace(name);
  if (absl::IsNotFound(ns.status())) {
    return WithHttpStatus(
        absl::NotFoundError(absl::StrCat("namespace ", name, " not found")),
        404, "namespace_not_found");
  }
  if (!ns.ok()) return ns.status();
  switch (access) {
    case NamespaceAccess::kReadFiles:
      RETURN_IF_ERROR(CheckReadFiles(caller, *ns));
      break;
    case NamespaceAccess::kCreateFiles:
      RETURN_IF_ERROR(CheckWriteFiles(caller, *ns, ScopeAction::kCreate));
      break;
    case NamespaceAccess::kDeleteFiles:
      RETURN_IF_ERROR(CheckWriteFiles(caller, *ns, ScopeAction::kDelete));
      break;
    case NamespaceAccess::kUpdateNamespace:
      RETURN_IF_ERROR(CheckChangeNamespace(caller, *ns, ScopeAction::kUpdate));
      break;
    case NamespaceAccess::kDeleteNamespace:
      RETURN_IF_ERROR(CheckChangeNamespace(caller, *ns, ScopeAction::kDelete));
      break;
  }
  return ns;
}

absl::StatusOr<StorageUsage> FileService::Usage(const std::string& ns) {
  // A whole namespace: the master's counters, one read.
  return client_->Usage(absl::StrCat("/", ns, "/"));
}

absl::StatusOr<std::vector<NamespaceView>> FileService::ListNamespaces(
    const Identity& caller) {
  std::vector<NamespaceView> out;
  if (caller.anonymous()) return out;
  // Scoped tokens and admins may see other owners' namespaces.
  const bool own_only = !caller.is_admin && !caller.scopes.has_value();
  ASSIGN_OR_RETURN(std::vector<NamespaceRecord> records,
                   catalog_->ListNamespaces(own_only ? caller.user : ""));
  for (NamespaceRecord& ns : records) {
    if (!ListsNamespace(caller, ns)) continue;
    ASSIGN_OR_RETURN(StorageUsage usage, Usage(ns.name));
    out.push_back({std::move(ns), usage});
  }
  return out;
}

absl::StatusOr<NamespaceView> FileService::DescribeNamespace(
    const Identity& caller, const std::string& name) {
  RETURN_IF_ERROR(ValidateNamespaceName(name));
  auto ns = catalog_->GetNamespace(name);
  if (absl::IsNotFound(ns.status()) ||
      (ns.ok() && !ListsNamespace(caller, *ns))) {
    return WithHttpStatus(
        absl::NotFoundError(absl::StrCat("namespace ", name, " not found")),
        404, "namespace_not_found");
  }
  if (!ns.ok()) return ns.status();
  ASSIGN_OR_RETURN(StorageUsage usage, Usage(name));
  return NamespaceView{std::move(*ns), usage};
}

absl::StatusOr<NamespaceView> FileService::CreateNamespace(
    const Identity& caller,
    const std::function<absl::Status(NamespaceRecord&)>& describe) {
  RETURN_IF_ERROR(CheckCreateNamespace(caller));
  NamespaceRecord spec;
  RETURN_IF_ERROR(describe(spec));
  RETURN_IF_ERROR(ValidateNamespaceName(spec.name));
  spec.owner_id = caller.user;
  // The creation time names this incarnation of the namespace in the
  // cluster: it must be above the one the name's last deletion covered,
  // whatever this replica's clock says.
  ASSIGN_OR_RETURN(StorageUsage usage, Usage(spec.name));
  spec.created_at = std::max<int64_t>(absl::ToUnixMicros(absl::Now()),
                                      usage.deleted_incarnation + 1);
  RETURN_IF_ERROR(catalog_->CreateNamespace(spec));
  return NamespaceView{std::move(spec), StorageUsage()};
}

absl::StatusOr<NamespaceView> FileService::UpdateNamespace(
    const Identity& caller, const std::string& name,
    const std::function<absl::Status(NamespaceRecord&)>& change) {
  ASSIGN_OR_RETURN(NamespaceRecord ns,
                   Authorize(caller, name, NamespaceAccess::kUpdateNamespace));
  const NamespaceRecord before = ns;
  RETURN_IF_ERROR(change(ns));
  if (ns.name != before.name) {
    return absl::InvalidArgumentError("namespaces cannot be renamed");
  }
  // Who owns it and which incarnation it is are not for callers to change.
  ns.owner_id = before.owner_id;
  ns.created_at = before.created_at;
  RETURN_IF_ERROR(catalog_->UpdateNamespace(ns));
  ASSIGN_OR_RETURN(StorageUsage usage, Usage(ns.name));
  return NamespaceView{std::move(ns), usage};
}

absl::StatusOr<uint64_t> FileService::DeleteNamespace(const Identity& caller,
                                                      const std::string& name) {
  ASSIGN_OR_RETURN(NamespaceRecord ns,
                   Authorize(caller, name, NamespaceAccess::kDeleteNamespace));
  // Files first, in one master operation that also ends the uploads in
  // flight (admitted for this incarnation, they can no longer complete): a
  // namespace created again under the name starts empty. A failure half-way
  // leaves the record, so the owner can retry, instead of orphaned files no
  // record owns.
  ASSIGN_OR_RETURN(uint64_t deleted,
                   client_->DeleteNamespace(ns.name, ns.created_at));
  RETURN_IF_ERROR(catalog_->DeleteNamespace(ns.name));
  return deleted;
}

absl::StatusOr<uint64_t> FileService::EmptyNamespace(const Identity& caller,
                                                     const std::string& name) {
  ASSIGN_OR_RETURN(NamespaceRecord ns,
                   Authorize(caller, name, NamespaceAccess::kDeleteFiles));
  const std::string prefix = absl::StrCat("/", ns.name, "/");
  uint64_t deleted = 0;
  // Deleting what a page listed, then listing from the start again, ends:
  // every round removes files, and files uploaded meanwhile are few.
  while (true) {
    ASSIGN_OR_RETURN(ListPage page, client_->List(prefix, "", 1000));
    for (const FileInfo& file : page.files) {
      absl::Status status = client_->Delete(file.path);
      if (!status.ok() && !absl::IsNotFound(status)) return status;
      deleted += status.ok();
    }
    if (page.next_start_after.empty()) return deleted;
  }
}

absl::Status FileService::CheckNotExpired(const NamespaceRecord& ns,
                                          const FileInfo& current) {
  // Old versions live as long as the current file and go when it expires.
  if (!retention_.Expired(ns.policies, current, absl::Now())) {
    return absl::OkStatus();
  }
  return absl::NotFoundError(
      absl::StrCat(RelativePath(ns, current), " has expired"));
}

absl::StatusOr<FileView> FileService::Stat(const Identity& caller,
                                           const std::string& ns,
                                           const std::string& path,
                                           uint64_t version) {
  ASSIGN_OR_RETURN(std::string full_path, ClusterPath(ns, path));
  ASSIGN_OR_RETURN(NamespaceRecord record,
                   Authorize(caller, ns, NamespaceAccess::kReadFiles));
  return StatIn(std::move(record), full_path, version);
}

absl::StatusOr<FileView> FileService::StatIn(NamespaceRecord record,
                                             const std::string& full_path,
                                             uint64_t version) {
  // Without retention nothing expires: one master call. (Old versions exist
  // only while the current file does.)
  if (!record.policies.retention_days) {
    ASSIGN_OR_RETURN(FileInfo file, client_->Stat(full_path, version));
    return FileView{std::move(record), std::move(file)};
  }
  ASSIGN_OR_RETURN(FileInfo current, client_->Stat(full_path));
  RETURN_IF_ERROR(CheckNotExpired(record, current));
  if (version == 0 || version == current.generation) {
    return FileView{std::move(record), std::move(current)};
  }
  ASSIGN_OR_RETURN(FileInfo old, client_->Stat(full_path, version));
  return FileView{std::move(record), std::move(old)};
}

absl::StatusOr<std::unique_ptr<FileReader>> FileService::Open(
    const FileView& view, uint64_t offset, uint64_t length) {
  if (view.file.size > 0 && view.file.chunks.empty()) {
    // A view from Copy or Move: the master answered without chunk lists.
    ASSIGN_OR_RETURN(FileInfo file,
                     client_->Stat(view.file.path, view.file.generation));
    return client_->OpenVersion(file, offset, length);
  }
  return client_->OpenVersion(view.file, offset, length);
}

absl::StatusOr<Listing> FileService::List(const Identity& caller,
                                          const std::string& ns,
                                          const ListRequest& request) {
  ASSIGN_OR_RETURN(NamespaceRecord record,
                   Authorize(caller, ns, NamespaceAccess::kReadFiles));
  const std::string prefix = absl::StrCat("/", ns, "/", request.prefix);
  RETURN_IF_ERROR(ValidateListPrefix(prefix));
  if (request.limit == 0 || request.limit > 1000) {
    return absl::InvalidArgumentError("limit must be 1..1000");
  }
  std::string cursor;
  if (!request.cursor.empty())
    cursor = absl::StrCat("/", ns, "/", request.cursor);
  ASSIGN_OR_RETURN(ListPage page, client_->List(prefix, cursor, request.limit));

  Listing listing;
  const absl::Time now = absl::Now();
  for (FileInfo& file : page.files) {
    // Expired files are gone for readers before the sweeper reclaims them.
    if (retention_.Expired(record.policies, file, now)) continue;
    const size_t slash = request.folders ? file.path.find('/', prefix.size())
                                         : std::string::npos;
    if (slash == std::string::npos) {
      listing.entries.push_back({std::move(file), ""});
      continue;
    }
    // With folders, everything below a sub-folder is one folder entry.
    std::string folder = file.path.substr(ns.size() + 2, slash - ns.size() - 1);
    if (!listing.entries.empty() && !listing.entries.back().file &&
        listing.entries.back().folder == folder) {
      continue;
    }
    listing.entries.push_back({std::nullopt, std::move(folder)});
  }
  if (!page.next_start_after.empty()) {
    listing.next_cursor = page.next_start_after.substr(ns.size() + 2);
  }
  listing.ns = std::move(record);
  return listing;
}

absl::StatusOr<VersionList> FileService::ListVersions(const Identity& caller,
                                                      const std::string& ns,
                                                      const std::string& path) {
  ASSIGN_OR_RETURN(std::string full_path, ClusterPath(ns, path));
  ASSIGN_OR_RETURN(NamespaceRecord record,
                   Authorize(caller, ns, NamespaceAccess::kReadFiles));
  ASSIGN_OR_RETURN(std::vector<FileInfo> versions,
                   client_->ListVersions(full_path));
  // The first is the current file; expired, the whole history is gone.
  RETURN_IF_ERROR(CheckNotExpired(record, versions.front()));
  return VersionList{std::move(record), std::move(versions)};
}

absl::Status FileService::Delete(const Identity& caller, const std::string& ns,
                                 const std::string& path) {
  ASSIGN_OR_RETURN(std::string full_path, ClusterPath(ns, path));
  RETURN_IF_ERROR(
      Authorize(caller, ns, NamespaceAccess::kDeleteFiles).status());
  return client_->Delete(full_path);
}

absl::StatusOr<AdmittedUpload> FileService::AdmitUpload(
    const Identity& caller, const UploadRequest& request) {
  ASSIGN_OR_RETURN(std::string full_path,
                   ClusterPath(request.ns, request.path));
  ASSIGN_OR_RETURN(
      NamespaceRecord ns,
      Authorize(caller, request.ns, NamespaceAccess::kCreateFiles));
  ASSIGN_OR_RETURN(AdmittedUpload admitted,
                   Admit(std::move(ns), std::move(full_path), request));
  admitted.uploader_ = caller.user;
  return admitted;
}

absl::StatusOr<AdmittedUpload> FileService::Admit(
    NamespaceRecord ns, std::string full_path, const UploadRequest& request) {
  RETURN_IF_ERROR(ValidateAttributes(request.cache_control, request.metadata));
  const NamespacePolicies& policies = ns.policies;
  CreateOptions create;
  create.cache_control = request.cache_control;
  create.metadata = request.metadata;
  create.keep_versions = policies.keep_versions.value_or(0);
  create.namespace_incarnation = ns.created_at;
  create.quota_bytes = policies.quota_bytes;
  create.reserve_bytes = request.declared_size.value_or(0);
  if (!request.overwrite) {
    RETURN_IF_ERROR(RefuseOverwrite(ns, full_path, request.path, create));
  }

  // Checked up front against the declared size, so a client learns of a
  // too-large file before sending it. The quota left is a snapshot for that
  // early refusal; the master enforces the quota exactly.
  UploadLimits limits;
  limits.max_file_bytes = policies.max_file_bytes;
  if (policies.quota_bytes) {
    ASSIGN_OR_RETURN(StorageUsage usage, Usage(ns.name));
    // Old versions take space as much as current files do.
    const uint64_t used =
        usage.bytes + usage.old_version_bytes + usage.reserved_bytes;
    const uint64_t quota = static_cast<uint64_t>(*policies.quota_bytes);
    limits.quota_left = quota > used ? quota - used : 0;
  }
  const std::optional<uint64_t>& declared = request.declared_size;
  if (declared && limits.max_file_bytes && *declared > *limits.max_file_bytes) {
    return PayloadTooLargeError(
        absl::StrCat("file exceeds the namespace limit of ",
                     *limits.max_file_bytes, " bytes"));
  }
  if (declared && limits.quota_left && *declared > *limits.quota_left) {
    return QuotaExceededError("namespace quota exceeded");
  }
  return AdmittedUpload(client_, std::move(ns), std::move(full_path),
                        request.path, std::move(create), limits);
}

absl::StatusOr<FileService::SignedToken> FileService::Sign(
    const Identity& caller, SignedGrant grant, absl::Duration lifetime,
    bool single_use) {
  RETURN_IF_ERROR(CheckLinkLifetime(lifetime));
  const bool read = grant.action == SignedGrant::Action::kRead;
  ASSIGN_OR_RETURN(std::string full_path, ClusterPath(grant.ns, grant.path));
  ASSIGN_OR_RETURN(NamespaceRecord ns,
                   Authorize(caller, grant.ns,
                             read ? NamespaceAccess::kReadFiles
                                  : NamespaceAccess::kCreateFiles));
  if (read) {
    // No links to what is not there (nor to an expired file).
    RETURN_IF_ERROR(StatIn(ns, full_path, grant.version).status());
  } else if (!grant.overwrite) {
    CreateOptions probe;
    RETURN_IF_ERROR(RefuseOverwrite(ns, full_path, grant.path, probe));
  }
  grant.incarnation = ns.created_at;
  grant.expires_at = absl::ToUnixSeconds(absl::Now() + lifetime);
  grant.single_use_id.clear();
  if (!read && single_use) {
    grant.single_use_id = absl::BytesToHexString(RandomBytes(16));
  }
  ASSIGN_OR_RETURN(std::string token, signer_.Sign(grant));
  return SignedToken{std::move(token), grant.expires_at};
}

absl::StatusOr<FileService::SignedToken> FileService::SignViewed(
    const FileView& view, absl::Duration lifetime) {
  RETURN_IF_ERROR(CheckLinkLifetime(lifetime));
  SignedGrant grant;
  grant.ns = view.ns.name;
  grant.incarnation = view.ns.created_at;
  grant.path = view.file.path.substr(view.ns.name.size() + 2);
  grant.version = view.file.generation;
  grant.expires_at = absl::ToUnixSeconds(absl::Now() + lifetime);
  ASSIGN_OR_RETURN(std::string token, signer_.Sign(grant));
  return SignedToken{std::move(token), grant.expires_at};
}

absl::StatusOr<FileService::SignedToken> FileService::SignTransferWatch(
    const std::string& transfer_key, absl::Duration lifetime) {
  RETURN_IF_ERROR(CheckLinkLifetime(lifetime));
  SignedGrant grant;
  grant.action = SignedGrant::Action::kWatch;
  grant.path = transfer_key;
  grant.expires_at = absl::ToUnixSeconds(absl::Now() + lifetime);
  ASSIGN_OR_RETURN(std::string token, signer_.Sign(grant));
  return SignedToken{std::move(token), grant.expires_at};
}

absl::StatusOr<std::string> FileService::RedeemTransferWatch(
    absl::string_view token) {
  ASSIGN_OR_RETURN(SignedGrant grant, signer_.Verify(token, absl::Now()));
  if (grant.action != SignedGrant::Action::kWatch) {
    return absl::PermissionDeniedError("this link is not for watching");
  }
  return grant.path;
}

absl::StatusOr<std::string> FileService::RotateSigningKeys(
    const Identity& caller) {
  RETURN_IF_ERROR(CheckUnscopedAdmin(caller, "rotate signing keys"));
  return signer_.Rotate();
}

absl::StatusOr<SignedGrant> FileService::Redeem(absl::string_view token) {
  return signer_.Verify(token, absl::Now());
}

absl::StatusOr<NamespaceRecord> FileService::GrantedNamespace(
    const SignedGrant& grant) {
  auto ns = catalog_->GetNamespace(grant.ns);
  if (absl::IsNotFound(ns.status()) ||
      (ns.ok() && ns->created_at != grant.incarnation)) {
    return WithHttpStatus(absl::NotFoundError(absl::StrCat(
                              "namespace ", grant.ns, " no longer exists")),
                          404, "namespace_not_found");
  }
  return ns;
}

absl::StatusOr<FileView> FileService::StatGranted(const SignedGrant& grant) {
  if (grant.action != SignedGrant::Action::kRead) {
    return absl::PermissionDeniedError("this link is not for downloading");
  }
  ASSIGN_OR_RETURN(std::string full_path, ClusterPath(grant.ns, grant.path));
  ASSIGN_OR_RETURN(NamespaceRecord ns, GrantedNamespace(grant));
  return StatIn(std::move(ns), full_path, grant.version);
}

absl::StatusOr<AdmittedUpload> FileService::AdmitGrantedUpload(
    const SignedGrant& grant, UploadRequest request) {
  if (grant.action != SignedGrant::Action::kUpload) {
    return absl::PermissionDeniedError("this link is not for uploading");
  }
  request.ns = grant.ns;
  request.path = grant.path;
  request.overwrite = grant.overwrite;
  if (grant.max_bytes && request.declared_size &&
      *request.declared_size > *grant.max_bytes) {
    return PayloadTooLargeError(absl::StrCat(
        "file exceeds the link's limit of ", *grant.max_bytes, " bytes"));
  }
  ASSIGN_OR_RETURN(std::string full_path, ClusterPath(grant.ns, grant.path));
  ASSIGN_OR_RETURN(NamespaceRecord ns, GrantedNamespace(grant));
  // Claimed first, so a used link says so; any refusal below gives it back.
  std::unique_ptr<SingleUseClaim> claim;
  if (!grant.single_use_id.empty()) {
    ASSIGN_OR_RETURN(claim, SingleUseClaim::Claim(catalog_, grant));
  }
  ASSIGN_OR_RETURN(AdmittedUpload admitted,
                   Admit(std::move(ns), std::move(full_path), request));
  if (grant.max_bytes &&
      (!admitted.limits_.max_file_bytes ||
       *admitted.limits_.max_file_bytes > *grant.max_bytes)) {
    admitted.limits_.max_file_bytes = grant.max_bytes;
  }
  admitted.claim_ = std::move(claim);
  return admitted;
}

absl::Status FileService::RefuseOverwrite(const NamespaceRecord& ns,
                                          const std::string& full_path,
                                          const std::string& path,
                                          CreateOptions& create) {
  // Refused at once if a visible file is there; otherwise the master checks
  // again when the write completes, so of two racing creates one wins.
  auto existing = client_->Stat(full_path);
  if (absl::IsNotFound(existing.status())) {
    create.if_absent = true;
    return absl::OkStatus();
  }
  if (!existing.ok()) return existing.status();
  if (CheckNotExpired(ns, *existing).ok()) {
    return absl::AlreadyExistsError(
        absl::StrCat(path, " exists; add ?overwrite=true to replace it"));
  }
  create.if_generation = existing->generation;
  return absl::OkStatus();
}

absl::Status FileService::CheckStoredFileFits(const NamespaceRecord& ns,
                                              const FileInfo& file) {
  const NamespacePolicies& policies = ns.policies;
  if (policies.max_file_bytes &&
      file.size > static_cast<uint64_t>(*policies.max_file_bytes)) {
    return PayloadTooLargeError(
        absl::StrCat("file exceeds the namespace limit of ",
                     *policies.max_file_bytes, " bytes"));
  }
  const std::string type = file.content_type.empty()
                               ? MediaTypeForPath(file.path)
                               : file.content_type;
  if (!MediaTypeAllowed(type, policies.allowed_mime_types)) {
    return UnsupportedMediaTypeError(
        absl::StrCat(type, " is not allowed in namespace ", ns.name));
  }
  return absl::OkStatus();
}

absl::StatusOr<FileView> FileService::Copy(const Identity& caller,
                                           const FileLocation& from,
                                           const FileLocation& to,
                                           uint64_t version, bool overwrite) {
  ASSIGN_OR_RETURN(FileView source, Stat(caller, from.ns, from.path, version));
  ASSIGN_OR_RETURN(std::string destination, ClusterPath(to.ns, to.path));
  ASSIGN_OR_RETURN(NamespaceRecord ns,
                   Authorize(caller, to.ns, NamespaceAccess::kCreateFiles));
  RETURN_IF_ERROR(CheckStoredFileFits(ns, source.file));
  CreateOptions create;
  create.keep_versions = ns.policies.keep_versions.value_or(0);
  create.namespace_incarnation = ns.created_at;
  create.quota_bytes = ns.policies.quota_bytes;
  if (!overwrite) {
    RETURN_IF_ERROR(RefuseOverwrite(ns, destination, to.path, create));
  }
  auto copy = client_->Copy(source.file.path, source.file.generation,
                            destination, create);
  if (!copy.ok()) return UploadWriteError(copy.status());
  return FileView{std::move(ns), std::move(*copy)};
}

absl::StatusOr<FileView> FileService::Move(const Identity& caller,
                                           const FileLocation& from,
                                           const FileLocation& to,
                                           bool overwrite) {
  ASSIGN_OR_RETURN(std::string source, ClusterPath(from.ns, from.path));
  ASSIGN_OR_RETURN(std::string destination, ClusterPath(to.ns, to.path));
  ASSIGN_OR_RETURN(NamespaceRecord source_ns,
                   Authorize(caller, from.ns, NamespaceAccess::kDeleteFiles));
  ASSIGN_OR_RETURN(NamespaceRecord ns,
                   Authorize(caller, to.ns, NamespaceAccess::kCreateFiles));
  if (source_ns.owner_id != ns.owner_id) {
    return absl::PermissionDeniedError(
        "files move only between namespaces of one owner");
  }
  ASSIGN_OR_RETURN(FileInfo file, client_->Stat(source));
  RETURN_IF_ERROR(CheckNotExpired(source_ns, file));
  RETURN_IF_ERROR(CheckStoredFileFits(ns, file));
  if (!overwrite) {
    // A visible file refuses the move; an expired one makes way. (The
    // master refuses a file that appeared meanwhile.)
    CreateOptions probe;
    RETURN_IF_ERROR(RefuseOverwrite(ns, destination, to.path, probe));
    overwrite = probe.if_generation != 0;  // the expired file found there
  }
  CreateOptions create;
  create.namespace_incarnation = ns.created_at;
  if (source_ns.name != ns.name) create.quota_bytes = ns.policies.quota_bytes;
  auto moved = client_->Move(source, destination, overwrite, create);
  if (!moved.ok()) return UploadWriteError(moved.status());
  return FileView{std::move(ns), std::move(*moved)};
}

absl::StatusOr<std::vector<absl::Status>> FileService::DeleteMany(
    const Identity& caller, const std::string& ns,
    const std::vector<std::string>& paths) {
  if (paths.size() > kMaxBatchPaths) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxBatchPaths, " paths per call"));
  }
  RETURN_IF_ERROR(
      Authorize(caller, ns, NamespaceAccess::kDeleteFiles).status());
  std::vector<absl::Status> outcomes;
  outcomes.reserve(paths.size());
  for (const std::string& path : paths) {
    absl::StatusOr<std::string> full_path = ClusterPath(ns, path);
    outcomes.push_back(full_path.ok() ? client_->Delete(*full_path)
                                      : full_path.status());
  }
  return outcomes;
}

AdmittedUpload::AdmittedUpload(Client* client, NamespaceRecord ns,
                               std::string full_path, std::string path,
                               CreateOptions create, UploadLimits limits)
    : client_(client),
      ns_(std::move(ns)),
      full_path_(std::move(full_path)),
      path_(std::move(path)),
      create_(std::move(create)),
      limits_(limits) {}

absl::Status AdmittedUpload::SetAttributes(
    std::string cache_control, std::map<std::string, std::string> metadata) {
  RETURN_IF_ERROR(ValidateAttributes(cache_control, metadata));
  create_.cache_control = std::move(cache_control);
  create_.metadata = std::move(metadata);
  return absl::OkStatus();
}

absl::StatusOr<CreateOptions> AdmittedUpload::Prepare(
    const std::string& declared_type) {
  ASSIGN_OR_RETURN(const std::string type,
                   CanonicalMediaType(ChooseMediaType(declared_type, path_)));
  if (!MediaTypeAllowed(type, ns_.policies.allowed_mime_types)) {
    return UnsupportedMediaTypeError(
        absl::StrCat(type, " is not allowed in namespace ", ns_.name));
  }
  CreateOptions create = create_;
  create.content_type = type;
  return create;
}

absl::StatusOr<std::unique_ptr<UploadStream>> AdmittedUpload::Open(
    const std::string& declared_type, ProgressReporter* progress,
    ExpectedDigests expected) {
  ASSIGN_OR_RETURN(create_, Prepare(declared_type));
  auto writer = client_->Create(full_path_, create_);
  if (!writer.ok()) return UploadWriteError(writer.status());
  return std::make_unique<UploadStream>(std::move(*writer), limits_, progress,
                                        std::move(claim_), std::move(expected));
}

}  // namespace sfs::frontend
