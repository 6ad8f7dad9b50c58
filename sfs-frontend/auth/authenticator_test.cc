#include "sfs-frontend/auth/authenticator.h"

#include "gtest/gtest.h"
#include "sfs-frontend/auth/api_token_secret.h"
#include "sfs-frontend/catalog/testing/catalog_stores.h"

namespace sfs::frontend {
namespace {

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef";

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto open = NewOpenCatalog(CatalogKind::kEmbedded);
    ASSERT_TRUE(open.ok()) << open.status();
    open_ = std::move(*open);
    ASSERT_TRUE(open_.catalog->AddUser({"alice", "hash", false, 1}).ok());
    auto verifier = JwtVerifier::ForSharedSecret(kSecret);
    ASSERT_TRUE(verifier.ok());
    authenticator_ = std::make_unique<Authenticator>(open_.catalog.get(),
                                                     std::move(*verifier));
  }

  std::string AddToken(const std::vector<std::string>& scopes,
                       int64_t expires_at) {
    std::string secret = NewApiTokenSecret();
    EXPECT_TRUE(
        open_.catalog
            ->CreateApiToken({secret.substr(4, 8), "alice", scopes,
                              ApiTokenSecretHash(secret), expires_at, 1})
            .ok());
    return secret;
  }

  OpenTestCatalog open_;
  std::unique_ptr<Authenticator> authenticator_;
};

TEST_F(AuthenticatorTest, NoCredentialIsAnonymous) {
  auto identity = authenticator_->Authenticate({}, absl::Now());
  ASSERT_TRUE(identity.ok());
  EXPECT_TRUE(identity->anonymous());
}

TEST_F(AuthenticatorTest, JwtFromHeaderCookieOrParameter) {
  JwtClaims claims;
  claims.subject = "alice";
  claims.is_admin = true;
  std::string jwt = *MintHs256Jwt(claims, kSecret, absl::Now());
  for (const PresentedCredentials& presented :
       {PresentedCredentials{"Bearer " + jwt, "", ""},
        PresentedCredentials{"", "a=b; sfs_session=" + jwt + "; c=d", ""},
        PresentedCredentials{"", "", jwt}}) {
    auto identity = authenticator_->Authenticate(presented, absl::Now());
    ASSERT_TRUE(identity.ok()) << identity.status();
    EXPECT_EQ(identity->user, "alice");
    EXPECT_TRUE(identity->is_admin);
    EXPECT_FALSE(identity->scopes.has_value());
  }
  EXPECT_TRUE(absl::IsUnauthenticated(
      authenticator_->Authenticate({"Basic abc", "", ""}, absl::Now())
          .status()));
  EXPECT_TRUE(absl::IsUnauthenticated(
      authenticator_->Authenticate({"Bearer x.y.z", "", ""}, absl::Now())
          .status()));
}

// Supabase's keys: the anon key is nobody, the service key an admin acting
// for no user; a role we do not know is no credential.
TEST_F(AuthenticatorTest, SupabaseRoles) {
  JwtClaims anon;
  anon.role = JwtRole::kAnon;
  auto identity = authenticator_->AuthenticateCredential(
      *MintHs256Jwt(anon, kSecret, absl::Now()), absl::Now());
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_TRUE(identity->anonymous());
  EXPECT_FALSE(identity->is_admin);

  JwtClaims service;
  service.role = JwtRole::kServiceRole;
  identity = authenticator_->AuthenticateCredential(
      *MintHs256Jwt(service, kSecret, absl::Now()), absl::Now());
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->user, kSystemOwner);
  EXPECT_TRUE(identity->is_admin);

  JwtClaims user;
  user.subject = "alice";
  identity = authenticator_->AuthenticateCredential(
      *MintHs256Jwt(user, kSecret, absl::Now()), absl::Now());
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->user, "alice");
  EXPECT_FALSE(identity->is_admin);

  // A user's role without a subject, and a role of Postgres' own, are
  // refused rather than read as anonymous.
  JwtClaims nobody;
  EXPECT_TRUE(absl::IsUnauthenticated(
      authenticator_
          ->AuthenticateCredential(*MintHs256Jwt(nobody, kSecret, absl::Now()),
                                   absl::Now())
          .status()));
}

TEST_F(AuthenticatorTest, ApiTokensCarryScopesAndExpire) {
  std::string live = AddToken({"storage.alice.files:read"}, 0);
  auto identity = authenticator_->AuthenticateCredential(live, absl::Now());
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->user, "alice");
  ASSERT_TRUE(identity->scopes.has_value());
  EXPECT_EQ(identity->scopes->size(), 1u);

  std::string expired = AddToken({"storage.alice.files:read"},
                                 absl::ToUnixMicros(absl::Now()) - 1);
  EXPECT_TRUE(absl::IsUnauthenticated(
      authenticator_->AuthenticateCredential(expired, absl::Now()).status()));
  EXPECT_TRUE(absl::IsUnauthenticated(
      authenticator_->AuthenticateCredential("sfs_nope", absl::Now())
          .status()));
}

}  // namespace
}  // namespace sfs::frontend
