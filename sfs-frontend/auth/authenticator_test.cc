#include "sfs-frontend/auth/authenticator.h"

#include "gtest/gtest.h"
#include "sfs-frontend/auth/api_token_secret.h"
#include "sfs-frontend/catalog/testing/catalog_stores.h"

namespace sfs::frontend {
namespace {

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef";

// `claims` signed with kSecret at `now`, valid for an hour unless they say.
std::string Mint(JwtClaims claims, absl::Time now) {
  if (claims.expires_at == 0) {
    claims.expires_at = absl::ToUnixSeconds(now + absl::Hours(1));
  }
  return *MintHs256Jwt(claims, kSecret, now);
}

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
  std::string jwt = Mint(claims, absl::Now());
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
      Mint(anon, absl::Now()), absl::Now());
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_TRUE(identity->anonymous());
  EXPECT_FALSE(identity->is_admin);

  JwtClaims service;
  service.role = JwtRole::kServiceRole;
  identity = authenticator_->AuthenticateCredential(Mint(service, absl::Now()),
                                                    absl::Now());
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->user, kSystemOwner);
  EXPECT_TRUE(identity->is_admin);

  JwtClaims user;
  user.subject = "alice";
  identity = authenticator_->AuthenticateCredential(Mint(user, absl::Now()),
                                                    absl::Now());
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->user, "alice");
  EXPECT_FALSE(identity->is_admin);

  // A user's role without a subject, and a role of Postgres' own, are
  // refused rather than read as anonymous.
  JwtClaims nobody;
  EXPECT_TRUE(absl::IsUnauthenticated(
      authenticator_
          ->AuthenticateCredential(Mint(nobody, absl::Now()), absl::Now())
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

// Sessions from /api/login (issuer "sfs") end when logged out, when their
// user is deleted, and when an administrator is demoted; within the
// validator's 5 s recheck on a replica that already saw them.
TEST_F(AuthenticatorTest, SessionsEndOnLogoutDeletionAndDemotion) {
  ASSERT_TRUE(open_.catalog->AddUser({"bob", "hash", true, 1}).ok());
  const absl::Time t0 = absl::Now();
  auto session = [&](const std::string& user, bool admin) {
    JwtClaims claims;
    claims.subject = user;
    claims.is_admin = admin;
    claims.issuer = kSessionIssuer;
    claims.expires_at = absl::ToUnixSeconds(t0 + absl::Hours(1));
    return "Bearer " + Mint(claims, t0);
  };
  auto status = [&](const std::string& bearer, absl::Time at) {
    return authenticator_->Authenticate({bearer, "", ""}, at).status();
  };
  const std::string bob = session("bob", true);
  ASSERT_TRUE(status(bob, t0).ok());
  ASSERT_TRUE(open_.catalog->DeleteUser("bob").ok());
  ASSERT_TRUE(open_.catalog->AddUser({"bob", "hash", false, 1}).ok());
  EXPECT_TRUE(status(bob, t0 + absl::Seconds(1)).ok()) << "cached verdict";
  EXPECT_TRUE(absl::IsUnauthenticated(status(bob, t0 + absl::Seconds(6))));
  // The same user as a non-admin still has a session; deleted, not.
  const std::string plain_bob = session("bob", false);
  ASSERT_TRUE(status(plain_bob, t0 + absl::Seconds(6)).ok());
  ASSERT_TRUE(open_.catalog->DeleteUser("bob").ok());
  EXPECT_TRUE(
      absl::IsUnauthenticated(status(plain_bob, t0 + absl::Seconds(12))));

  // Logout ends the session at once here, and on another replica of the
  // same catalog, while another session of the same user stands.
  const std::string alice = session("alice", false);
  const std::string alice_elsewhere = session("alice", false);
  ASSERT_TRUE(status(alice, t0).ok());
  ASSERT_TRUE(authenticator_->EndSession({alice, "", ""}, t0).ok());
  EXPECT_TRUE(absl::IsUnauthenticated(status(alice, t0)));
  Authenticator other(open_.catalog.get(),
                      *JwtVerifier::ForSharedSecret(kSecret));
  EXPECT_TRUE(absl::IsUnauthenticated(
      other.Authenticate({alice, "", ""}, t0).status()));
  EXPECT_TRUE(status(alice_elsewhere, t0).ok());
  // Ending a session twice, or a credential that is none, is no error.
  EXPECT_TRUE(authenticator_->EndSession({alice, "", ""}, t0).ok());
  EXPECT_TRUE(authenticator_->EndSession({"Bearer x.y.z", "", ""}, t0).ok());

  // Tokens of another issuer name users this catalog does not hold.
  JwtClaims external;
  external.subject = "carol";
  EXPECT_TRUE(status("Bearer " + Mint(external, t0), t0).ok());
}

}  // namespace
}  // namespace sfs::frontend
