#include "sfs-frontend/server/frontend_services.h"

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/path.h"
#include "common/status_macros.h"
#include "sfs-frontend/auth/authorizer.h"
#include "sfs-frontend/catalog/names.h"
#include "sfs-frontend/server/http_error.h"

namespace sfs::frontend {

absl::StatusOr<Identity> Authenticate(const FrontendServices& services,
                                      const HttpCall& call) {
  PresentedCredentials presented{
      call.req.get_header_value("Authorization"),
      call.req.get_header_value("Cookie"),
      call.req.get_param_value("token"),
  };
  return services.authenticator->Authenticate(presented, absl::Now());
}

absl::StatusOr<NamespaceRecord> AuthorizeNamespace(
    const FrontendServices& services, const HttpCall& call,
    const std::string& name, NamespaceAccess access) {
  ASSIGN_OR_RETURN(Identity caller, Authenticate(services, call));
  RETURN_IF_ERROR(ValidateNamespaceName(name));
  auto ns = services.catalog->GetNamespace(name);
  if (absl::IsNotFound(ns.status())) {
    return absl::NotFoundError(absl::StrCat("namespace ", name, " not found"));
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

absl::StatusOr<std::string> ClusterPath(const std::string& ns,
                                        const std::string& path) {
  absl::Status valid = ValidateNamespaceName(ns);
  if (!valid.ok()) return valid;
  std::string full = absl::StrCat("/", ns, "/", path);
  valid = ValidateFilePath(full);
  if (!valid.ok()) return valid;
  return full;
}

absl::StatusOr<FileInfo> StatVisible(const FrontendServices& services,
                                     const NamespaceRecord& ns,
                                     const std::string& full_path,
                                     uint64_t generation) {
  // Without retention nothing expires: one master call. (Old versions exist
  // only while the current file does.)
  if (!ns.policies.retention_days) {
    return services.client->Stat(full_path, generation);
  }
  ASSIGN_OR_RETURN(FileInfo current, services.client->Stat(full_path));
  RETURN_IF_ERROR(CheckNotExpired(services, ns, current));
  if (generation == 0 || generation == current.generation) return current;
  return services.client->Stat(full_path, generation);
}

absl::Status CheckNotExpired(const FrontendServices& services,
                             const NamespaceRecord& ns,
                             const FileInfo& current) {
  // Old versions live as long as the current file and go when it expires.
  if (!services.retention.Expired(ns.policies, current, absl::Now())) {
    return absl::OkStatus();
  }
  return absl::NotFoundError(
      absl::StrCat(current.path.substr(ns.name.size() + 2), " has expired"));
}

absl::StatusOr<uint64_t> RequestedVersion(const HttpCall& call) {
  if (!call.req.has_param("version")) return 0;
  uint64_t version = 0;
  if (!absl::SimpleAtoi(call.req.get_param_value("version"), &version) ||
      version == 0) {
    return absl::InvalidArgumentError("version must be a positive number");
  }
  return version;
}

absl::StatusOr<StorageUsage> CountNamespace(Client* client,
                                            const std::string& ns) {
  return client->Usage(absl::StrCat("/", ns, "/"));
}

absl::StatusOr<std::string> ReadSmallBody(const HttpCall& call,
                                          size_t max_bytes) {
  if (call.body == nullptr) return call.req.body;
  std::string body;
  bool too_large = false;
  (*call.body)([&](const char* data, size_t n) {
    if (body.size() + n > max_bytes) {
      too_large = true;
      return false;
    }
    body.append(data, n);
    return true;
  });
  if (too_large) {
    return PayloadTooLargeError(
        absl::StrCat("request body exceeds ", max_bytes, " bytes"));
  }
  return body;
}

int64_t UnixSeconds(int64_t unix_micros) {
  return absl::ToUnixSeconds(absl::FromUnixMicros(unix_micros));
}

void WriteJson(const HttpCall& call, int status, const std::string& json) {
  call.res.status = status;
  call.res.set_content(json, "application/json");
}

}  // namespace sfs::frontend
