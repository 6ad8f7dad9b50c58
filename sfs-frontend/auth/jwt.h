// JSON Web Tokens (RFC 7519) as the frontend uses them: verification of
// HS256, RS256 and ES256 tokens, and minting of HS256 tokens.
//
// A JwtVerifier is bound to one key and therefore to one algorithm; a token
// whose header names any other algorithm is rejected. That closes the classic
// confusion attacks: "alg":"none", and an HS256 token whose HMAC key is the
// configured RSA/EC public key.
//
// Claims the frontend reads:
//   sub (or "username" when sub is absent)  who the token speaks for;
//                                           required but for the roles below
//   role    (string, optional)              Supabase's: "authenticated"
//                                           (the default), "anon" (nobody)
//                                           or "service_role" (an admin);
//                                           any other role is refused
//   admin or is_admin (bool, default false) administrator rights
//   type    (string, optional)              "" or "api_token"; any other
//                                           type is not a credential
//   scopes  (array of strings, default [])  API-token scopes, see scopes.h
//   exp/nbf (NumericDate, optional)         validity window
//
// Thread-safety: a JwtVerifier is immutable after construction; Verify may be
// called from any number of threads at once.

#ifndef SFS_FRONTEND_AUTH_JWT_H_
#define SFS_FRONTEND_AUTH_JWT_H_

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace sfs::frontend {

enum class JwtAlgorithm { kHs256, kRs256, kEs256 };

// The JWS "alg" value, e.g. "HS256".
absl::string_view JwtAlgorithmName(JwtAlgorithm algorithm);

// Who a token speaks for, by its "role" claim.
enum class JwtRole {
  kUser,         // the subject ("authenticated", or no role claim)
  kAnon,         // nobody: an anonymous caller
  kServiceRole,  // the service itself: an administrator
};

// The "iss" of the tokens this service mints (login sessions, `sfs token
// --user`): SessionValidator checks those against the catalog.
inline constexpr char kSessionIssuer[] = "sfs";

struct JwtClaims {
  std::string subject;
  bool is_admin = false;
  std::vector<std::string> scopes;
  // "exp" in unix seconds; 0 when the token has none (Verify refuses it;
  // MintHs256Jwt then writes none).
  int64_t expires_at = 0;
  JwtRole role = JwtRole::kUser;
  // "iss" and "jti"; empty when absent.
  std::string issuer;
  std::string id;
};

struct JwtVerifierOptions {
  // Tolerated clock skew between the token issuer and this process, applied
  // to both exp and nbf.
  absl::Duration leeway = absl::Seconds(60);
  // The "iss" a token must carry, and the audience its "aud" (a string, or
  // a list of them) must name; empty: not checked. The frontend requires
  // both for RS256/ES256, whose keys belong to an issuer serving others
  // too.
  std::string issuer;
  std::string audience;
};

// HS256 keys shorter than this are refused (RFC 7518 section 3.2).
inline constexpr size_t kMinHs256SecretBytes = 32;

class JwtVerifier {
 public:
  // HS256 with a shared secret of at least kMinHs256SecretBytes bytes.
  static absl::StatusOr<JwtVerifier> ForSharedSecret(
      std::string secret, JwtVerifierOptions options = {});

  // RS256 for an RSA public key (at least 2048 bits) or ES256 for an EC
  // P-256 public key, given as PEM "PUBLIC KEY" (SubjectPublicKeyInfo).
  // InvalidArgument for anything else.
  static absl::StatusOr<JwtVerifier> ForPublicKeyPem(
      absl::string_view pem, JwtVerifierOptions options = {});

  JwtVerifier(JwtVerifier&&) = default;
  JwtVerifier& operator=(JwtVerifier&&) = default;

  JwtAlgorithm algorithm() const { return algorithm_; }

  // The token's claims if its signature is valid for this verifier's key and
  // `now` lies within its validity window (it must have an "exp"), and its
  // issuer and audience are the expected ones; Unauthenticated otherwise,
  // with a message that says why (malformed, wrong algorithm, bad
  // signature, no expiry, expired, not yet valid, wrong issuer or
  // audience).
  absl::StatusOr<JwtClaims> Verify(absl::string_view token,
                                   absl::Time now) const;

 private:
  struct PublicKeyDeleter {
    void operator()(EVP_PKEY* key) const;
  };

  JwtVerifier(JwtAlgorithm algorithm, std::string secret,
              std::unique_ptr<EVP_PKEY, PublicKeyDeleter> public_key,
              JwtVerifierOptions options);

  // True iff `signature` signs `signed_part` under this verifier's key.
  bool SignatureMatches(absl::string_view signed_part,
                        absl::string_view signature) const;

  JwtAlgorithm algorithm_;
  std::string secret_;                                      // HS256 only
  std::unique_ptr<EVP_PKEY, PublicKeyDeleter> public_key_;  // RS256/ES256
  JwtVerifierOptions options_;
};

// An HS256 token carrying `claims`, with "iat" set to `issued_at` and "exp"
// to claims.expires_at when that is not 0, "iss" to claims.issuer when that
// is not empty, and "jti" to claims.id or, when that is empty, a new random
// id. The subject goes in "sub" and, for
// the original service's clients, "username" and "user_id"; admin rights in
// "admin" and "is_admin". InvalidArgument if the secret is
// shorter than kMinHs256SecretBytes or a claim string is not UTF-8.
absl::StatusOr<std::string> MintHs256Jwt(const JwtClaims& claims,
                                         absl::string_view secret,
                                         absl::Time issued_at);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_AUTH_JWT_H_
