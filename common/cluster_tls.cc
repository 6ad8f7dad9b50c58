#include "common/cluster_tls.h"

#include <grpc/grpc_security_constants.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace sfs {
namespace {

constexpr absl::string_view kRoleSuffix = ".cluster.sfs";

absl::StatusOr<std::string> ReadPem(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(path, " holds no PEM"));
  }
  return text.str();
}

}  // namespace

absl::string_view RoleName(ClusterRole role) {
  switch (role) {
    case ClusterRole::kMaster:
      return "master";
    case ClusterRole::kChunkserver:
      return "chunkserver";
    case ClusterRole::kFrontend:
      return "frontend";
    case ClusterRole::kAdmin:
      return "admin";
  }
  return "unknown";
}

absl::StatusOr<ClusterRole> ParseRole(absl::string_view name) {
  for (ClusterRole role : {ClusterRole::kMaster, ClusterRole::kChunkserver,
                           ClusterRole::kFrontend, ClusterRole::kAdmin}) {
    if (name == RoleName(role)) return role;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown role \"", name, "\" (master, chunkserver, frontend, admin)"));
}

std::string RoleSubjectName(ClusterRole role) {
  return absl::StrCat(RoleName(role), kRoleSuffix);
}

std::shared_ptr<const ClusterCredentials> ClusterCredentials::Insecure() {
  static const auto* insecure =
      new std::shared_ptr<const ClusterCredentials>(new ClusterCredentials());
  return *insecure;
}

absl::StatusOr<std::shared_ptr<const ClusterCredentials>>
ClusterCredentials::Load(const std::string& dir) {
  if (dir.empty()) return Insecure();
  std::shared_ptr<ClusterCredentials> credentials(new ClusterCredentials());
  credentials->secure_ = true;
  for (auto [file, pem] : {std::pair{"/ca.crt", &credentials->ca_pem_},
                           std::pair{"/tls.crt", &credentials->cert_pem_},
                           std::pair{"/tls.key", &credentials->key_pem_}}) {
    absl::StatusOr<std::string> read = ReadPem(dir + file);
    if (!read.ok()) {
      return absl::Status(
          read.status().code(),
          absl::StrCat("cluster TLS: ", read.status().message()));
    }
    *pem = std::move(*read);
  }
  return credentials;
}

std::shared_ptr<grpc::ChannelCredentials> ClusterCredentials::ForChannel(
    ClusterRole peer, grpc::ChannelArguments* args) const {
  if (!secure_) return grpc::InsecureChannelCredentials();
  // Peers are reached by address (pod IPs, loopback ports), which no
  // certificate names; what is checked instead is the role the server's
  // certificate carries.
  args->SetSslTargetNameOverride(RoleSubjectName(peer));
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca_pem_;
  options.pem_cert_chain = cert_pem_;
  options.pem_private_key = key_pem_;
  return grpc::SslCredentials(options);
}

std::shared_ptr<grpc::ServerCredentials> ClusterCredentials::ForServer() const {
  if (!secure_) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = ca_pem_;
  options.pem_key_cert_pairs.push_back({key_pem_, cert_pem_});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<ClusterCaller> CallerOf(const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  ClusterCaller caller;
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return caller;
  for (const grpc::string_ref& cn :
       auth->FindPropertyValues(GRPC_X509_CN_PROPERTY_NAME)) {
    caller.name.assign(cn.data(), cn.size());
  }
  for (const grpc::string_ref& san :
       auth->FindPropertyValues(GRPC_X509_SAN_PROPERTY_NAME)) {
    absl::string_view name(san.data(), san.size());
    if (!absl::ConsumeSuffix(&name, kRoleSuffix)) continue;
    absl::StatusOr<ClusterRole> role = ParseRole(name);
    if (!role.ok()) continue;
    caller.role = *role;
    return caller;
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "the certificate of \"", caller.name, "\" carries no cluster role"));
}

grpc::Status Authorize(const ClusterCaller& caller,
                       std::initializer_list<ClusterRole> allowed) {
  if (caller.role == ClusterRole::kAdmin) return grpc::Status::OK;
  for (ClusterRole role : allowed) {
    if (caller.role == role) return grpc::Status::OK;
  }
  std::vector<absl::string_view> names;
  for (ClusterRole role : allowed) names.push_back(RoleName(role));
  names.push_back(RoleName(ClusterRole::kAdmin));
  return grpc::Status(
      grpc::StatusCode::PERMISSION_DENIED,
      absl::StrCat("\"", caller.name, "\" holds the ", RoleName(caller.role),
                   " role; this call needs ", absl::StrJoin(names, " or ")));
}

grpc::Status Authorize(const grpc::ServerContextBase& context,
                       std::initializer_list<ClusterRole> allowed) {
  absl::StatusOr<ClusterCaller> caller = CallerOf(context);
  if (!caller.ok()) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        std::string(caller.status().message()));
  }
  return Authorize(*caller, allowed);
}

}  // namespace sfs
