// Who a process is on the cluster plane (the gRPC between master,
// chunkservers, frontends and the admin CLI), and who called it.
//
// With TLS every connection is mutually authenticated: both ends present a
// certificate signed by the cluster CA (common/cert_authority.h) and verify
// the other's. A certificate names its holder in its common name and its
// role in a subject alternative name "<role>.cluster.sfs". A channel checks
// that the server it reaches holds the role it expects (a chunkserver's
// certificate cannot pose as the master), and a server checks the caller's
// role on every RPC (Authorize).
//
// Without TLS (ClusterCredentials::Insecure, the --insecure deployments
// whose network is closed by other means) nobody is authenticated and every
// caller counts as an admin.
#ifndef SFS_COMMON_CLUSTER_TLS_H_
#define SFS_COMMON_CLUSTER_TLS_H_

#include <grpcpp/grpcpp.h>

#include <initializer_list>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sfs {

// What a certificate allows its holder to call.
enum class ClusterRole {
  kMaster,       // serves the master; calls chunkservers on no one's behalf
  kChunkserver,  // register, heartbeat; pipeline hops and clones
  kFrontend,     // the file RPCs (any client-lib user)
  kAdmin,        // everything, including checkpoint and fsck
};

absl::string_view RoleName(ClusterRole role);
absl::StatusOr<ClusterRole> ParseRole(absl::string_view name);

// The DNS subject alternative name that carries `role` in a certificate.
std::string RoleSubjectName(ClusterRole role);

// A process's credentials. Immutable and thread-safe.
class ClusterCredentials {
 public:
  // Plaintext, unauthenticated.
  static std::shared_ptr<const ClusterCredentials> Insecure();

  // Reads `dir`/ca.crt (the cluster CA), `dir`/tls.crt and `dir`/tls.key
  // (this process's certificate and key): the layout of a Kubernetes TLS
  // Secret with its CA. An empty `dir` means Insecure().
  static absl::StatusOr<std::shared_ptr<const ClusterCredentials>> Load(
      const std::string& dir);

  bool secure() const { return secure_; }

  // For a channel to a server that must hold `peer`'s certificate; adds
  // the name it is checked against to `args`.
  std::shared_ptr<grpc::ChannelCredentials> ForChannel(
      ClusterRole peer, grpc::ChannelArguments* args) const;

  // For a server that requires and verifies a client certificate on every
  // connection.
  std::shared_ptr<grpc::ServerCredentials> ForServer() const;

 private:
  ClusterCredentials() = default;

  bool secure_ = false;
  std::string ca_pem_;
  std::string cert_pem_;
  std::string key_pem_;
};

// The caller of an RPC, from its certificate.
struct ClusterCaller {
  ClusterRole role = ClusterRole::kAdmin;
  std::string name;  // the certificate's common name; empty without TLS
};

// Who called; an admin on a plaintext server. PermissionDenied for a
// certificate that carries no role.
absl::StatusOr<ClusterCaller> CallerOf(const grpc::ServerContextBase& context);

// OK when the caller holds one of `allowed` or is an admin; otherwise
// PERMISSION_DENIED naming the caller's role and the RPC's roles. Every
// RPC of the master and the chunkservers starts with it.
grpc::Status Authorize(const ClusterCaller& caller,
                       std::initializer_list<ClusterRole> allowed);
grpc::Status Authorize(const grpc::ServerContextBase& context,
                       std::initializer_list<ClusterRole> allowed);

}  // namespace sfs

#endif  // SFS_COMMON_CLUSTER_TLS_H_
