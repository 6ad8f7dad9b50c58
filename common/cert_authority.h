// The cluster CA: makes the certificates of common/cluster_tls.h with
// OpenSSL (ECDSA P-256 keys, SHA-256 signatures). `sfs certs` and `sfs up`
// use it to create a cluster's certificates, tests to make their own.
#ifndef SFS_COMMON_CERT_AUTHORITY_H_
#define SFS_COMMON_CERT_AUTHORITY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/cluster_tls.h"

namespace sfs {

// A certificate and its private key, PEM-encoded.
struct IssuedCertificate {
  std::string cert_pem;
  std::string key_pem;
};

// A CA's certificate and key. Copyable, thread-compatible.
class CertificateAuthority {
 public:
  // A new self-signed CA named `name`, valid for `validity`.
  static absl::StatusOr<CertificateAuthority> Create(const std::string& name,
                                                     absl::Duration validity);
  // A CA from its PEM certificate and key.
  static CertificateAuthority FromPem(IssuedCertificate pem);

  // A certificate for `role` named `name` (its common name), signed by this
  // CA, valid from an hour ago (tolerating clock skew) for `validity`.
  absl::StatusOr<IssuedCertificate> Issue(ClusterRole role,
                                          const std::string& name,
                                          absl::Duration validity) const;

  const IssuedCertificate& pem() const { return pem_; }

 private:
  explicit CertificateAuthority(IssuedCertificate pem) : pem_(std::move(pem)) {}

  IssuedCertificate pem_;
};

// One process's certificate to make.
struct CertificateRequest {
  ClusterRole role;
  std::string name;  // its common name, and its directory under the root
};

// Makes `dir`/ca.crt and `dir`/ca.key (kept if present, so certificates
// can be added to a cluster later) and, for each request whose directory
// does not exist yet, `dir`/<name>/{ca.crt,tls.crt,tls.key}: what
// ClusterCredentials::Load reads. Keys are written mode 0600.
absl::Status EnsureClusterCertificates(
    const std::string& dir, const std::vector<CertificateRequest>& requests,
    absl::Duration validity);

// The identities of a cluster on one machine (`sfs up`, the tests):
// "master", "frontend", "admin", and chunkservers "rp1".."rp<chunkservers>".
std::vector<CertificateRequest> LocalClusterIdentities(int chunkservers);

}  // namespace sfs

#endif  // SFS_COMMON_CERT_AUTHORITY_H_
