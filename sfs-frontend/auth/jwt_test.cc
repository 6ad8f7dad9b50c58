#include "sfs-frontend/auth/jwt.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace sfs::frontend {
namespace {

using Json = nlohmann::json;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);
constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-test";

using PrivateKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

PrivateKey NewKey(JwtAlgorithm algorithm) {
  EVP_PKEY* key = nullptr;
  if (algorithm == JwtAlgorithm::kRs256) {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
  } else if (algorithm == JwtAlgorithm::kEs256) {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  }
  return PrivateKey(key, EVP_PKEY_free);
}

std::string PublicPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), key);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, len);
}

std::string Bytes(const unsigned char* data, size_t len) {
  return std::string(reinterpret_cast<const char*>(data), len);
}

// Signs like an independent issuer would, so the verifier is tested against
// OpenSSL rather than against its own signing code.
std::string Sign(JwtAlgorithm algorithm, EVP_PKEY* key,
                 absl::string_view secret, absl::string_view data) {
  if (algorithm == JwtAlgorithm::kHs256) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), secret.size(),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
         &len);
    return Bytes(mac, len);
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                              EVP_MD_CTX_free);
  size_t len = 0;
  EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key);
  EVP_DigestSign(ctx.get(), nullptr, &len,
                 reinterpret_cast<const unsigned char*>(data.data()),
                 data.size());
  std::vector<unsigned char> sig(len);
  EVP_DigestSign(ctx.get(), sig.data(), &len,
                 reinterpret_cast<const unsigned char*>(data.data()),
                 data.size());
  if (algorithm == JwtAlgorithm::kRs256) return Bytes(sig.data(), len);
  // DER ECDSA-Sig-Value -> JWS raw r||s.
  const unsigned char* p = sig.data();
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> ecdsa(
      d2i_ECDSA_SIG(nullptr, &p, len), ECDSA_SIG_free);
  unsigned char raw[64];
  BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa.get()), raw, 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa.get()), raw + 32, 32);
  return Bytes(raw, sizeof(raw));
}

std::string Encode(const Json& json) {
  return absl::WebSafeBase64Escape(json.dump());
}

class JwtVerifyTest : public testing::TestWithParam<JwtAlgorithm> {
 protected:
  void SetUp() override {
    auto verifier = NewVerifier({});
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    verifier_.emplace(*std::move(verifier));
    ASSERT_EQ(verifier_->algorithm(), algorithm());
  }

  absl::StatusOr<JwtVerifier> NewVerifier(JwtVerifierOptions options) const {
    if (algorithm() == JwtAlgorithm::kHs256) {
      return JwtVerifier::ForSharedSecret(kSecret, options);
    }
    return JwtVerifier::ForPublicKeyPem(PublicPem(key_.get()), options);
  }

  JwtAlgorithm algorithm() const { return GetParam(); }

  std::string Token(const Json& payload, absl::string_view alg) const {
    std::string signed_part = absl::StrCat(
        Encode({{"alg", alg}, {"typ", "JWT"}}), ".", Encode(payload));
    return absl::StrCat(signed_part, ".",
                        absl::WebSafeBase64Escape(Sign(algorithm(), key_.get(),
                                                       kSecret, signed_part)));
  }
  // With an hour of validity unless `payload` says otherwise.
  std::string Token(Json payload) const {
    if (!payload.contains("exp")) {
      payload["exp"] = absl::ToUnixSeconds(kNow) + 3600;
    }
    return Token(payload, JwtAlgorithmName(algorithm()));
  }

  absl::StatusCode VerifyCode(const std::string& token) const {
    return verifier_->Verify(token, kNow).status().code();
  }

  PrivateKey key_ = NewKey(GetParam());
  std::optional<JwtVerifier> verifier_;
};

Json ValidPayload() {
  return {{"sub", "alice"},
          {"admin", true},
          {"scopes", {"storage.alice.files:read"}},
          {"exp", absl::ToUnixSeconds(kNow) + 3600},
          {"nbf", absl::ToUnixSeconds(kNow) - 10}};
}

TEST_P(JwtVerifyTest, ValidTokenYieldsClaims) {
  auto claims = verifier_->Verify(Token(ValidPayload()), kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "alice");
  EXPECT_TRUE(claims->is_admin);
  EXPECT_EQ(claims->scopes,
            std::vector<std::string>{"storage.alice.files:read"});
  EXPECT_EQ(claims->expires_at, absl::ToUnixSeconds(kNow) + 3600);
}

TEST_P(JwtVerifyTest, UsernameClaimStandsInForSub) {
  auto claims = verifier_->Verify(Token({{"username", "bob"}}), kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "bob");
  EXPECT_FALSE(claims->is_admin);
  EXPECT_TRUE(claims->scopes.empty());
}

// A token that never expires could never be withdrawn once it leaked.
TEST_P(JwtVerifyTest, TokenWithoutExpiryRejected) {
  Json payload = ValidPayload();
  payload.erase("exp");
  auto verified =
      verifier_->Verify(Token(payload, JwtAlgorithmName(algorithm())), kNow);
  EXPECT_TRUE(absl::IsUnauthenticated(verified.status()));
  EXPECT_NE(verified.status().message().find("exp"), absl::string_view::npos);
}

TEST_P(JwtVerifyTest, IssuerAndAudienceChecked) {
  auto verifier =
      NewVerifier({.issuer = "https://id.example.com", .audience = "sfs"});
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  Json payload = ValidPayload();
  payload["iss"] = "https://id.example.com";
  for (const Json& audience : {Json("sfs"), Json({"other", "sfs"})}) {
    payload["aud"] = audience;
    EXPECT_TRUE(verifier->Verify(Token(payload), kNow).ok()) << audience;
  }
  for (const Json& audience :
       {Json("other"), Json({"other"}), Json(1), Json(nullptr)}) {
    payload["aud"] = audience;
    EXPECT_TRUE(absl::IsUnauthenticated(
        verifier->Verify(Token(payload), kNow).status()))
        << audience;
  }
  payload["aud"] = "sfs";
  payload["iss"] = "https://evil.example.com";
  EXPECT_TRUE(
      absl::IsUnauthenticated(verifier->Verify(Token(payload), kNow).status()));
  payload.erase("iss");
  EXPECT_TRUE(
      absl::IsUnauthenticated(verifier->Verify(Token(payload), kNow).status()));
  // Without expectations neither is checked.
  payload["aud"] = "other";
  EXPECT_TRUE(verifier_->Verify(Token(payload), kNow).ok());
}

// Supabase's project keys carry a role and no subject.
TEST_P(JwtVerifyTest, SupabaseRoles) {
  auto claims = verifier_->Verify(Token({{"role", "anon"}}), kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->role, JwtRole::kAnon);
  claims = verifier_->Verify(Token({{"role", "service_role"}}), kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->role, JwtRole::kServiceRole);
  claims =
      verifier_->Verify(Token({{"role", "authenticated"}, {"sub", "u"}}), kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->role, JwtRole::kUser);
  EXPECT_EQ(claims->subject, "u");
  EXPECT_EQ(VerifyCode(Token({{"role", "authenticated"}})),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(VerifyCode(Token({{"role", "postgres"}, {"sub", "u"}})),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(VerifyCode(Token({{"role", 1}, {"sub", "u"}})),
            absl::StatusCode::kUnauthenticated);
}

TEST_P(JwtVerifyTest, ExpiredTokenRejected) {
  Json payload = ValidPayload();
  payload["exp"] = absl::ToUnixSeconds(kNow) - 61;
  EXPECT_EQ(VerifyCode(Token(payload)), absl::StatusCode::kUnauthenticated);
}

TEST_P(JwtVerifyTest, ExpiryWithinLeewayAccepted) {
  Json payload = ValidPayload();
  payload["exp"] = absl::ToUnixSeconds(kNow) - 30;
  EXPECT_EQ(VerifyCode(Token(payload)), absl::StatusCode::kOk);
}

TEST_P(JwtVerifyTest, NotYetValidTokenRejected) {
  Json payload = ValidPayload();
  payload["nbf"] = absl::ToUnixSeconds(kNow) + 120;
  EXPECT_EQ(VerifyCode(Token(payload)), absl::StatusCode::kUnauthenticated);
  payload["nbf"] = absl::ToUnixSeconds(kNow) + 30;
  EXPECT_EQ(VerifyCode(Token(payload)), absl::StatusCode::kOk);
}

TEST_P(JwtVerifyTest, ForgedPayloadRejected) {
  std::string token = Token({{"sub", "alice"}, {"admin", false}});
  std::string forged_payload = Encode({{"sub", "alice"}, {"admin", true}});
  size_t first_dot = token.find('.');
  size_t second_dot = token.find('.', first_dot + 1);
  token.replace(first_dot + 1, second_dot - first_dot - 1, forged_payload);
  EXPECT_EQ(VerifyCode(token), absl::StatusCode::kUnauthenticated);
}

// Flips the lowest bit of the last character of each part whose length
// leaves padding bits: a lax decoder reads the same bytes, so the token would
// verify under another spelling.
TEST_P(JwtVerifyTest, NonCanonicalBase64Rejected) {
  const std::string token = Token(ValidPayload());
  ASSERT_EQ(VerifyCode(token), absl::StatusCode::kOk);
  constexpr absl::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  int altered = 0;
  size_t end = token.size();
  while (true) {
    size_t dot = end == 0 ? absl::string_view::npos : token.rfind('.', end - 1);
    size_t begin = dot == absl::string_view::npos ? 0 : dot + 1;
    if ((end - begin) % 4 != 0) {
      std::string forged = token;
      size_t value = kAlphabet.find(forged[end - 1]);
      forged[end - 1] = kAlphabet[value ^ 1];
      EXPECT_EQ(VerifyCode(forged), absl::StatusCode::kUnauthenticated)
          << "part ending at " << end;
      ++altered;
    }
    if (dot == absl::string_view::npos) break;
    end = dot;
  }
  EXPECT_GE(altered, 1);  // the signature never fills whole groups
}

TEST_P(JwtVerifyTest, SignatureFromAnotherKeyRejected) {
  std::string signed_part =
      absl::StrCat(Encode({{"alg", JwtAlgorithmName(algorithm())}}), ".",
                   Encode(ValidPayload()));
  PrivateKey other_key = NewKey(algorithm());
  std::string token =
      absl::StrCat(signed_part, ".",
                   absl::WebSafeBase64Escape(Sign(
                       algorithm(), other_key.get(),
                       "another-secret-of-sufficient-length!", signed_part)));
  EXPECT_EQ(VerifyCode(token), absl::StatusCode::kUnauthenticated);
}

TEST_P(JwtVerifyTest, AlgNoneRejected) {
  std::string token =
      absl::StrCat(Encode({{"alg", "none"}}), ".", Encode(ValidPayload()), ".");
  EXPECT_EQ(VerifyCode(token), absl::StatusCode::kUnauthenticated);
}

TEST_P(JwtVerifyTest, HeaderNamingAnotherAlgorithmRejected) {
  for (JwtAlgorithm other :
       {JwtAlgorithm::kHs256, JwtAlgorithm::kRs256, JwtAlgorithm::kEs256}) {
    if (other == algorithm()) continue;
    // Correctly signed with this verifier's key; only the header lies.
    EXPECT_EQ(VerifyCode(Token(ValidPayload(), JwtAlgorithmName(other))),
              absl::StatusCode::kUnauthenticated);
  }
}

TEST_P(JwtVerifyTest, MalformedTokensRejected) {
  std::string token = Token(ValidPayload());
  for (const std::string& bad :
       {std::string(""), std::string("a.b"), token + ".extra",
        std::string("!!!.") + token.substr(token.find('.') + 1), token + "="}) {
    EXPECT_EQ(VerifyCode(bad), absl::StatusCode::kUnauthenticated) << bad;
  }
}

TEST_P(JwtVerifyTest, NonBooleanAdminRejected) {
  EXPECT_EQ(VerifyCode(Token({{"sub", "alice"}, {"admin", "true"}})),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(VerifyCode(Token({{"sub", "alice"}, {"is_admin", 1}})),
            absl::StatusCode::kUnauthenticated);
}

// The original service's auth service: username, user_id, display_name,
// is_admin, and a type that marks tokens which are not credentials.
TEST_P(JwtVerifyTest, TokensOfTheOriginalAuthService) {
  Json payload = {
      {"username", "dana"},  {"display_name", "Dana"},
      {"user_id", "V1StGX"}, {"is_admin", true},
      {"type", ""},          {"exp", absl::ToUnixSeconds(kNow) + 3600}};
  auto claims = verifier_->Verify(Token(payload), kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "dana");
  EXPECT_TRUE(claims->is_admin);
  payload["type"] = "api_token";
  EXPECT_TRUE(verifier_->Verify(Token(payload), kNow).ok());
  for (const Json& type : {Json("2fa_challenge"), Json(1)}) {
    payload["type"] = type;
    EXPECT_EQ(VerifyCode(Token(payload)), absl::StatusCode::kUnauthenticated)
        << type;
  }
}

INSTANTIATE_TEST_SUITE_P(Algorithms, JwtVerifyTest,
                         testing::Values(JwtAlgorithm::kHs256,
                                         JwtAlgorithm::kRs256,
                                         JwtAlgorithm::kEs256),
                         [](const auto& info) {
                           return std::string(JwtAlgorithmName(info.param));
                         });

// The confusion attack: the RSA/EC public key is public, so an attacker can
// compute an HS256 MAC with its PEM bytes as the secret.
TEST(JwtKeyConfusionTest, Hs256TokenKeyedWithPublicKeyRejected) {
  for (JwtAlgorithm algorithm : {JwtAlgorithm::kRs256, JwtAlgorithm::kEs256}) {
    PrivateKey key = NewKey(algorithm);
    std::string pem = PublicPem(key.get());
    auto verifier = JwtVerifier::ForPublicKeyPem(pem);
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    std::string signed_part =
        absl::StrCat(Encode({{"alg", "HS256"}}), ".", Encode(ValidPayload()));
    std::string token =
        absl::StrCat(signed_part, ".",
                     absl::WebSafeBase64Escape(Sign(
                         JwtAlgorithm::kHs256, nullptr, pem, signed_part)));
    EXPECT_EQ(verifier->Verify(token, kNow).status().code(),
              absl::StatusCode::kUnauthenticated);
  }
}

TEST(JwtKeyTest, WeakOrUnsupportedKeysRefused) {
  EXPECT_EQ(JwtVerifier::ForSharedSecret("short").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(JwtVerifier::ForPublicKeyPem("not a key").status().code(),
            absl::StatusCode::kInvalidArgument);
  PrivateKey small_rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024}),
                       EVP_PKEY_free);
  EXPECT_EQ(
      JwtVerifier::ForPublicKeyPem(PublicPem(small_rsa.get())).status().code(),
      absl::StatusCode::kInvalidArgument);
  PrivateKey p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"),
                  EVP_PKEY_free);
  EXPECT_EQ(JwtVerifier::ForPublicKeyPem(PublicPem(p384.get())).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(JwtMintTest, MintedTokenVerifies) {
  JwtClaims claims{"carol",
                   true,
                   {"storage.carol.files:read,create"},
                   absl::ToUnixSeconds(kNow) + 600};
  auto token = MintHs256Jwt(claims, kSecret, kNow);
  ASSERT_TRUE(token.ok()) << token.status();
  // The claims the original service's web UI reads from the payload.
  std::vector<std::string> parts = absl::StrSplit(*token, '.');
  ASSERT_EQ(parts.size(), 3u);
  std::string payload_json;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[1], &payload_json));
  Json payload = Json::parse(payload_json);
  EXPECT_EQ(payload["sub"], "carol");
  EXPECT_EQ(payload["username"], "carol");
  EXPECT_EQ(payload["user_id"], "carol");
  EXPECT_EQ(payload["is_admin"], true);
  auto verifier = JwtVerifier::ForSharedSecret(kSecret);
  ASSERT_TRUE(verifier.ok());
  auto verified = verifier->Verify(*token, kNow);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->subject, "carol");
  EXPECT_TRUE(verified->is_admin);
  EXPECT_EQ(verified->scopes, claims.scopes);
  EXPECT_EQ(verified->expires_at, claims.expires_at);
  EXPECT_EQ(verifier->Verify(*token, kNow + absl::Minutes(12)).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(JwtMintTest, ShortSecretOrNonUtf8ClaimsRefused) {
  EXPECT_EQ(MintHs256Jwt(JwtClaims(), "short", kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
  JwtClaims claims;
  claims.subject = "\xff";
  EXPECT_EQ(MintHs256Jwt(claims, kSecret, kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sfs::frontend
