#include "sfs-frontend/auth/jwt.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base64url.h"
#include "sfs-frontend/auth/crypto.h"

namespace sfs::frontend {
namespace {

using Json = nlohmann::json;

constexpr int kMinRsaBits = 2048;
constexpr size_t kEs256CoordinateBytes = 32;

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("invalid token: ", why));
}

absl::Status CheckHs256Secret(absl::string_view secret) {
  if (secret.size() < kMinHs256SecretBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "HS256 secret must be at least ", kMinHs256SecretBytes, " bytes"));
  }
  return absl::OkStatus();
}

// JWS carries an ES256 signature as the raw 32-byte big-endian r and s;
// EVP_DigestVerify wants the DER ECDSA-Sig-Value. Empty on malformed input.
std::string EcdsaRawToDer(absl::string_view raw) {
  if (raw.size() != 2 * kEs256CoordinateBytes) return "";
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(),
                                                            ECDSA_SIG_free);
  BIGNUM* r = BN_bin2bn(bytes, kEs256CoordinateBytes, nullptr);
  BIGNUM* s =
      BN_bin2bn(bytes + kEs256CoordinateBytes, kEs256CoordinateBytes, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr ||
      ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return "";
  }
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return "";
  std::string result(reinterpret_cast<char*>(der), der_len);
  OPENSSL_free(der);
  return result;
}

absl::StatusOr<Json> DecodeJsonObject(absl::string_view part,
                                      absl::string_view what) {
  std::string decoded;
  if (!DecodeCanonicalBase64Url(part, &decoded)) {
    return Unauthenticated(absl::StrCat(what, " is not base64url"));
  }
  Json json = Json::parse(decoded, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) {
    return Unauthenticated(absl::StrCat(what, " is not a JSON object"));
  }
  return json;
}

// Reads an optional NumericDate claim; 0 when absent.
absl::StatusOr<int64_t> NumericDate(const Json& payload, const char* claim) {
  auto it = payload.find(claim);
  if (it == payload.end()) return 0;
  if (!it->is_number()) {
    return Unauthenticated(absl::StrCat("\"", claim, "\" is not a number"));
  }
  return static_cast<int64_t>(std::floor(it->get<double>()));
}

absl::StatusOr<JwtClaims> ClaimsFromPayload(const Json& payload) {
  JwtClaims claims;
  for (const char* name : {"sub", "username"}) {
    auto it = payload.find(name);
    if (it != payload.end() && it->is_string()) {
      claims.subject = it->get<std::string>();
      break;
    }
  }
  for (auto [name, field] :
       {std::pair{"iss", &claims.issuer}, std::pair{"jti", &claims.id}}) {
    if (auto it = payload.find(name); it != payload.end()) {
      if (!it->is_string()) {
        return Unauthenticated(absl::StrCat("\"", name, "\" is not a string"));
      }
      *field = it->get<std::string>();
    }
  }
  // Supabase's keys: "anon" and "service_role" tokens name no subject.
  if (auto it = payload.find("role"); it != payload.end()) {
    if (!it->is_string()) return Unauthenticated("\"role\" is not a string");
    const std::string role = it->get<std::string>();
    if (role == "anon") {
      claims.role = JwtRole::kAnon;
    } else if (role == "service_role") {
      claims.role = JwtRole::kServiceRole;
    } else if (role != "authenticated") {
      return Unauthenticated(absl::StrCat("unknown role \"", role, "\""));
    }
  }
  if (claims.subject.empty() && claims.role == JwtRole::kUser) {
    return Unauthenticated("no subject");
  }

  // Tokens of the original service's auth service say "is_admin"; ours say
  // both (older frontends read "admin").
  for (const char* name : {"admin", "is_admin"}) {
    auto it = payload.find(name);
    if (it == payload.end()) continue;
    if (!it->is_boolean()) {
      return Unauthenticated(absl::StrCat("\"", name, "\" is not a bool"));
    }
    claims.is_admin = it->get<bool>();
    break;
  }
  // The original auth service also signs tokens that are not credentials
  // (a "2fa_challenge" between password and second factor): only session
  // tokens (no type) and API tokens are.
  if (auto it = payload.find("type"); it != payload.end()) {
    if (!it->is_string()) return Unauthenticated("\"type\" is not a string");
    const std::string type = it->get<std::string>();
    if (!type.empty() && type != "api_token") {
      return Unauthenticated(
          absl::StrCat("a \"", type, "\" token is not a credential"));
    }
  }
  if (auto it = payload.find("scopes"); it != payload.end()) {
    if (!it->is_array()) return Unauthenticated("\"scopes\" is not a list");
    for (const Json& scope : *it) {
      if (!scope.is_string()) return Unauthenticated("scope is not a string");
      claims.scopes.push_back(scope.get<std::string>());
    }
  }
  absl::StatusOr<int64_t> exp = NumericDate(payload, "exp");
  if (!exp.ok()) return exp.status();
  claims.expires_at = *exp;
  return claims;
}

// True iff "aud" names `audience`: equal to it, or a list holding it.
bool NamesAudience(const Json& payload, const std::string& audience) {
  auto it = payload.find("aud");
  if (it == payload.end()) return false;
  if (it->is_string()) return it->get<std::string>() == audience;
  if (!it->is_array()) return false;
  for (const Json& one : *it) {
    if (one.is_string() && one.get<std::string>() == audience) return true;
  }
  return false;
}

absl::Status CheckValidityWindow(const JwtClaims& claims, const Json& payload,
                                 absl::Time now, absl::Duration leeway) {
  // A token without expiry cannot be withdrawn once it leaks.
  if (claims.expires_at == 0) return Unauthenticated("no expiry (\"exp\")");
  if (now - leeway >= absl::FromUnixSeconds(claims.expires_at)) {
    return Unauthenticated("expired");
  }
  absl::StatusOr<int64_t> nbf = NumericDate(payload, "nbf");
  if (!nbf.ok()) return nbf.status();
  if (*nbf != 0 && now + leeway < absl::FromUnixSeconds(*nbf)) {
    return Unauthenticated("not yet valid");
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view JwtAlgorithmName(JwtAlgorithm algorithm) {
  switch (algorithm) {
    case JwtAlgorithm::kHs256:
      return "HS256";
    case JwtAlgorithm::kRs256:
      return "RS256";
    case JwtAlgorithm::kEs256:
      return "ES256";
  }
  return "";
}

void JwtVerifier::PublicKeyDeleter::operator()(EVP_PKEY* key) const {
  EVP_PKEY_free(key);
}

JwtVerifier::JwtVerifier(JwtAlgorithm algorithm, std::string secret,
                         std::unique_ptr<EVP_PKEY, PublicKeyDeleter> public_key,
                         JwtVerifierOptions options)
    : algorithm_(algorithm),
      secret_(std::move(secret)),
      public_key_(std::move(public_key)),
      options_(options) {}

absl::StatusOr<JwtVerifier> JwtVerifier::ForSharedSecret(
    std::string secret, JwtVerifierOptions options) {
  if (absl::Status s = CheckHs256Secret(secret); !s.ok()) return s;
  return JwtVerifier(JwtAlgorithm::kHs256, std::move(secret), nullptr, options);
}

absl::StatusOr<JwtVerifier> JwtVerifier::ForPublicKeyPem(
    absl::string_view pem, JwtVerifierOptions options) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, PublicKeyDeleter> key(
      bio == nullptr
          ? nullptr
          : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError("not a PEM public key");
  }
  if (EVP_PKEY_is_a(key.get(), "RSA")) {
    if (EVP_PKEY_get_bits(key.get()) < kMinRsaBits) {
      return absl::InvalidArgumentError(
          absl::StrCat("RSA key must have at least ", kMinRsaBits, " bits"));
    }
    return JwtVerifier(JwtAlgorithm::kRs256, "", std::move(key), options);
  }
  char group[64] = {0};
  size_t group_len = 0;
  if (EVP_PKEY_is_a(key.get(), "EC") &&
      EVP_PKEY_get_group_name(key.get(), group, sizeof(group), &group_len) &&
      absl::string_view(group, group_len) == "prime256v1") {
    return JwtVerifier(JwtAlgorithm::kEs256, "", std::move(key), options);
  }
  return absl::InvalidArgumentError(
      "public key must be RSA (RS256) or EC P-256 (ES256)");
}

bool JwtVerifier::SignatureMatches(absl::string_view signed_part,
                                   absl::string_view signature) const {
  if (algorithm_ == JwtAlgorithm::kHs256) {
    return ConstantTimeEquals(HmacSha256(secret_, signed_part), signature);
  }
  std::string der;
  if (algorithm_ == JwtAlgorithm::kEs256) {
    der = EcdsaRawToDer(signature);
    if (der.empty()) return false;
    signature = der;
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                              EVP_MD_CTX_free);
  return ctx != nullptr &&
         EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                              public_key_.get()) == 1 &&
         EVP_DigestVerify(
             ctx.get(),
             reinterpret_cast<const unsigned char*>(signature.data()),
             signature.size(),
             reinterpret_cast<const unsigned char*>(signed_part.data()),
             signed_part.size()) == 1;
}

absl::StatusOr<JwtClaims> JwtVerifier::Verify(absl::string_view token,
                                              absl::Time now) const {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3)
    return Unauthenticated("not three dot-separated parts");

  absl::StatusOr<Json> header = DecodeJsonObject(parts[0], "header");
  if (!header.ok()) return header.status();
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string()) {
    return Unauthenticated("header has no \"alg\"");
  }
  if (alg->get<std::string>() != JwtAlgorithmName(algorithm_)) {
    return Unauthenticated(
        absl::StrCat("algorithm must be ", JwtAlgorithmName(algorithm_)));
  }
  // Extensions we would have to understand to honour the token.
  if (header->contains("crit")) return Unauthenticated("\"crit\" header");

  std::string signature;
  if (!DecodeCanonicalBase64Url(parts[2], &signature)) {
    return Unauthenticated("signature is not base64url");
  }
  absl::string_view signed_part =
      token.substr(0, parts[0].size() + 1 + parts[1].size());
  if (!SignatureMatches(signed_part, signature)) {
    return Unauthenticated("bad signature");
  }

  absl::StatusOr<Json> payload = DecodeJsonObject(parts[1], "payload");
  if (!payload.ok()) return payload.status();
  absl::StatusOr<JwtClaims> claims = ClaimsFromPayload(*payload);
  if (!claims.ok()) return claims.status();
  if (absl::Status s =
          CheckValidityWindow(*claims, *payload, now, options_.leeway);
      !s.ok()) {
    return s;
  }
  if (!options_.issuer.empty() && claims->issuer != options_.issuer) {
    return Unauthenticated(
        absl::StrCat("issuer must be \"", options_.issuer, "\""));
  }
  if (!options_.audience.empty() &&
      !NamesAudience(*payload, options_.audience)) {
    return Unauthenticated(
        absl::StrCat("audience must include \"", options_.audience, "\""));
  }
  return claims;
}

absl::StatusOr<std::string> MintHs256Jwt(const JwtClaims& claims,
                                         absl::string_view secret,
                                         absl::Time issued_at) {
  if (absl::Status s = CheckHs256Secret(secret); !s.ok()) return s;
  // "username", "user_id" and "is_admin" are what the original service's
  // web UI reads from the token it holds.
  Json payload = {
      {"sub", claims.subject},
      {"username", claims.subject},
      {"user_id", claims.subject},
      {"admin", claims.is_admin},
      {"is_admin", claims.is_admin},
      {"scopes", claims.scopes},
      {"iat", absl::ToUnixSeconds(issued_at)},
      {"jti", claims.id.empty() ? absl::BytesToHexString(RandomBytes(16))
                                : claims.id}};
  if (claims.expires_at != 0) payload["exp"] = claims.expires_at;
  if (!claims.issuer.empty()) payload["iss"] = claims.issuer;
  switch (claims.role) {
    case JwtRole::kUser:
      payload["role"] = "authenticated";
      break;
    case JwtRole::kAnon:
      payload["role"] = "anon";
      break;
    case JwtRole::kServiceRole:
      payload["role"] = "service_role";
      break;
  }
  std::string payload_json;
  try {
    payload_json = payload.dump();
  } catch (const Json::type_error&) {  // strings that are not UTF-8
    return absl::InvalidArgumentError("claims are not UTF-8");
  }
  std::string signed_part =
      absl::StrCat(absl::WebSafeBase64Escape(R"({"alg":"HS256","typ":"JWT"})"),
                   ".", absl::WebSafeBase64Escape(payload_json));
  return absl::StrCat(
      signed_part, ".",
      absl::WebSafeBase64Escape(HmacSha256(secret, signed_part)));
}

}  // namespace sfs::frontend
