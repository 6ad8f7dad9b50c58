#include "common/cert_authority.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace sfs {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;

// `what` failed, with OpenSSL's reason.
absl::Status OpenSslError(absl::string_view what) {
  char reason[256] = "unknown error";
  if (unsigned long code = ERR_get_error(); code != 0) {
    ERR_error_string_n(code, reason, sizeof(reason));
  }
  ERR_clear_error();
  return absl::InternalError(absl::StrCat(what, ": ", reason));
}

absl::StatusOr<std::string> BioText(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  if (size < 0) return OpenSslError("BIO_get_mem_data");
  return std::string(data, size);
}

absl::StatusOr<std::string> CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_X509(bio.get(), cert)) return OpenSslError("PEM cert");
  return BioText(bio.get());
}

absl::StatusOr<std::string> KeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr,
                                nullptr)) {
    return OpenSslError("PEM key");
  }
  return BioText(bio.get());
}

absl::StatusOr<CertPtr> ParseCert(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) return OpenSslError("CA certificate");
  return cert;
}

absl::StatusOr<KeyPtr> ParseKey(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) return OpenSslError("CA key");
  return key;
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid,
                          const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension =
      X509V3_EXT_nconf_nid(nullptr, &context, nid, value.c_str());
  if (extension == nullptr) return OpenSslError(value);
  int added = X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
  if (!added) return OpenSslError(value);
  return absl::OkStatus();
}

// A certificate for `key` named `name` with `extensions`, signed by
// `issuer_key` (and named after `issuer`, or self-signed when null).
absl::StatusOr<CertPtr> Sign(
    EVP_PKEY* key, const std::string& name, absl::Duration validity,
    X509* issuer, EVP_PKEY* issuer_key,
    const std::vector<std::pair<int, std::string>>& extensions) {
  CertPtr cert(X509_new());
  BignumPtr serial(BN_new());
  if (cert == nullptr || serial == nullptr ||
      !BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) ||
      !X509_set_version(cert.get(), 2) ||
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()),
                       absl::ToInt64Seconds(validity)) ||
      !X509_set_pubkey(cert.get(), key)) {
    return OpenSslError("certificate");
  }
  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (!X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC,
                                  reinterpret_cast<const unsigned char*>("sfs"),
                                  -1, -1, 0) ||
      !X509_NAME_add_entry_by_txt(
          subject, "CN", MBSTRING_ASC,
          reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0) ||
      !X509_set_issuer_name(cert.get(), issuer == nullptr
                                            ? subject
                                            : X509_get_subject_name(issuer))) {
    return OpenSslError("certificate name");
  }
  X509* signer = issuer == nullptr ? cert.get() : issuer;
  for (const auto& [nid, value] : extensions) {
    RETURN_IF_ERROR(AddExtension(cert.get(), signer, nid, value));
  }
  if (!X509_sign(cert.get(), issuer_key, EVP_sha256())) {
    return OpenSslError("signing");
  }
  return cert;
}

absl::StatusOr<KeyPtr> NewKey() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (key == nullptr) return OpenSslError("EC key");
  return key;
}

absl::Status WriteFile(const std::string& path, const std::string& text,
                       bool secret) {
  std::ofstream out(path, std::ios::trunc);
  if (secret) ::chmod(path.c_str(), 0600);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  return text.str();
}

}  // namespace

absl::StatusOr<CertificateAuthority> CertificateAuthority::Create(
    const std::string& name, absl::Duration validity) {
  ASSIGN_OR_RETURN(KeyPtr key, NewKey());
  ASSIGN_OR_RETURN(CertPtr cert,
                   Sign(key.get(), name, validity, nullptr, key.get(),
                        {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                         {NID_key_usage, "critical,keyCertSign,cRLSign"},
                         {NID_subject_key_identifier, "hash"}}));
  IssuedCertificate pem;
  ASSIGN_OR_RETURN(pem.cert_pem, CertPem(cert.get()));
  ASSIGN_OR_RETURN(pem.key_pem, KeyPem(key.get()));
  return CertificateAuthority(std::move(pem));
}

CertificateAuthority CertificateAuthority::FromPem(IssuedCertificate pem) {
  return CertificateAuthority(std::move(pem));
}

absl::StatusOr<IssuedCertificate> CertificateAuthority::Issue(
    ClusterRole role, const std::string& name, absl::Duration validity) const {
  ASSIGN_OR_RETURN(CertPtr ca_cert, ParseCert(pem_.cert_pem));
  ASSIGN_OR_RETURN(KeyPtr ca_key, ParseKey(pem_.key_pem));
  ASSIGN_OR_RETURN(KeyPtr key, NewKey());
  ASSIGN_OR_RETURN(
      CertPtr cert,
      Sign(key.get(), name, validity, ca_cert.get(), ca_key.get(),
           {{NID_basic_constraints, "critical,CA:FALSE"},
            {NID_key_usage, "critical,digitalSignature,keyAgreement"},
            {NID_ext_key_usage, "serverAuth,clientAuth"},
            {NID_authority_key_identifier, "keyid:always"},
            {NID_subject_alt_name, "DNS:" + RoleSubjectName(role)}}));
  IssuedCertificate issued;
  ASSIGN_OR_RETURN(issued.cert_pem, CertPem(cert.get()));
  ASSIGN_OR_RETURN(issued.key_pem, KeyPem(key.get()));
  return issued;
}

absl::Status EnsureClusterCertificates(
    const std::string& dir, const std::vector<CertificateRequest>& requests,
    absl::Duration validity) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create ", dir, ": ", error.message()));
  }
  const std::string ca_cert = dir + "/ca.crt";
  const std::string ca_key = dir + "/ca.key";
  std::optional<CertificateAuthority> ca;
  if (std::filesystem::exists(ca_key)) {
    IssuedCertificate pem;
    ASSIGN_OR_RETURN(pem.cert_pem, ReadFile(ca_cert));
    ASSIGN_OR_RETURN(pem.key_pem, ReadFile(ca_key));
    ca = CertificateAuthority::FromPem(std::move(pem));
  } else {
    ASSIGN_OR_RETURN(ca,
                     CertificateAuthority::Create("sfs cluster CA", validity));
    RETURN_IF_ERROR(WriteFile(ca_key, ca->pem().key_pem, /*secret=*/true));
    RETURN_IF_ERROR(WriteFile(ca_cert, ca->pem().cert_pem, false));
  }
  for (const CertificateRequest& request : requests) {
    const std::string out = absl::StrCat(dir, "/", request.name);
    if (std::filesystem::exists(out)) continue;
    ASSIGN_OR_RETURN(IssuedCertificate issued,
                     ca->Issue(request.role, request.name, validity));
    std::filesystem::create_directories(out, error);
    if (error) {
      return absl::InternalError(
          absl::StrCat("cannot create ", out, ": ", error.message()));
    }
    RETURN_IF_ERROR(WriteFile(out + "/tls.key", issued.key_pem, true));
    RETURN_IF_ERROR(WriteFile(out + "/tls.crt", issued.cert_pem, false));
    RETURN_IF_ERROR(WriteFile(out + "/ca.crt", ca->pem().cert_pem, false));
  }
  return absl::OkStatus();
}

std::vector<CertificateRequest> LocalClusterIdentities(int chunkservers) {
  std::vector<CertificateRequest> identities = {
      {ClusterRole::kMaster, "master"},
      {ClusterRole::kFrontend, "frontend"},
      {ClusterRole::kAdmin, "admin"}};
  for (int i = 1; i <= chunkservers; ++i) {
    identities.push_back({ClusterRole::kChunkserver, absl::StrCat("rp", i)});
  }
  return identities;
}

}  // namespace sfs
