#include "sfs-frontend/files/url_signer.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "sfs-frontend/catalog/testing/catalog_stores.h"

namespace sfs::frontend {
namespace {

class UrlSignerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto open = NewOpenCatalog(CatalogKind::kEmbedded);
    ASSERT_TRUE(open.ok()) << open.status();
    open_ = std::move(*open);
    grant_.ns = "photos";
    grant_.incarnation = 17;
    grant_.path = "cats/tom.png";
    grant_.version = 3;
    grant_.expires_at = absl::ToUnixSeconds(now_) + 60;
  }

  Catalog& catalog() { return *open_.catalog; }

  OpenTestCatalog open_;
  const absl::Time now_ = absl::Now();
  SignedGrant grant_;
};

TEST_F(UrlSignerTest, SignedGrantComesBackWhole) {
  UrlSigner signer(&catalog());
  auto token = signer.Sign(grant_);
  ASSERT_TRUE(token.ok()) << token.status();
  auto back = signer.Verify(*token, now_);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, grant_);

  SignedGrant upload = grant_;
  upload.action = SignedGrant::Action::kUpload;
  upload.version = 0;
  upload.overwrite = true;
  upload.max_bytes = 1000;
  upload.single_use_id = "abc";
  token = signer.Sign(upload);
  ASSERT_TRUE(token.ok());
  back = signer.Verify(*token, now_);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, upload);
}

// Another replica (another signer on the same catalog) checks what this one
// signed: the first signature created the key in the catalog.
TEST_F(UrlSignerTest, AnyReplicaVerifies) {
  UrlSigner one(&catalog());
  UrlSigner two(&catalog());
  auto token = one.Sign(grant_);
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(two.Verify(*token, now_).ok());
  auto keys = catalog().ListSigningKeys();
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->size(), 1u);
}

TEST_F(UrlSignerTest, ExpiredRefused) {
  UrlSigner signer(&catalog());
  auto token = signer.Sign(grant_);
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(signer
                  .Verify(*token, absl::FromUnixSeconds(grant_.expires_at) -
                                      absl::Seconds(1))
                  .ok());
  auto late = signer.Verify(*token, absl::FromUnixSeconds(grant_.expires_at));
  EXPECT_TRUE(absl::IsPermissionDenied(late.status()));
  EXPECT_NE(late.status().message().find("expired"), std::string::npos);
}

// Every part of a token is covered: the key id, the grant (re-encoded with
// another path, or only its padding bits changed), the signature.
TEST_F(UrlSignerTest, TamperingRefused) {
  UrlSigner signer(&catalog());
  auto token = signer.Sign(grant_);
  ASSERT_TRUE(token.ok());
  std::vector<std::string> parts = absl::StrSplit(*token, '.');
  ASSERT_EQ(parts.size(), 3u);
  std::string payload;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[1], &payload));
  const size_t at = payload.find("cats/tom.png");
  ASSERT_NE(at, std::string::npos);
  std::string other = payload;
  other.replace(at, 12, "dogs/rex.png");
  std::string flipped_signature = parts[2];
  flipped_signature[0] = flipped_signature[0] == 'A' ? 'B' : 'A';
  std::string padded_signature = parts[2];
  // 32 bytes in 43 characters: the last carries 2 unused bits.
  padded_signature.back() = padded_signature.back() == 'A' ? 'B' : 'A';
  for (const std::string& forged : {
           absl::StrCat(parts[0], ".", absl::WebSafeBase64Escape(other), ".",
                        parts[2]),
           absl::StrCat(parts[0], ".", parts[1], ".", flipped_signature),
           absl::StrCat(parts[0], ".", parts[1], ".", padded_signature),
           absl::StrCat("nokey.", parts[1], ".", parts[2]),
           absl::StrCat(parts[0], ".", parts[1]),
           std::string("..."),
           std::string(""),
       }) {
    EXPECT_TRUE(absl::IsPermissionDenied(signer.Verify(forged, now_).status()))
        << forged;
  }
}

// Rotation: a new key signs from then on; deleting the old one ends its
// tokens on every replica once their key lists refresh.
TEST_F(UrlSignerTest, RetiredKeyRefused) {
  UrlSignerOptions options;
  options.key_refresh = absl::ZeroDuration();
  UrlSigner signer(&catalog(), options);
  auto old_token = signer.Sign(grant_);
  ASSERT_TRUE(old_token.ok());
  auto keys = catalog().ListSigningKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  SigningKeyRecord newer;
  newer.id = "newer";
  newer.secret = std::string(32, 'k');
  newer.created_at = keys->front().created_at + 1;
  ASSERT_TRUE(catalog().AddSigningKey(newer).ok());
  auto new_token = signer.Sign(grant_);
  ASSERT_TRUE(new_token.ok());
  EXPECT_EQ(new_token->substr(0, 6), "newer.");
  EXPECT_TRUE(signer.Verify(*old_token, now_).ok());

  ASSERT_TRUE(catalog().DeleteSigningKey(keys->front().id).ok());
  auto refused = signer.Verify(*old_token, now_);
  EXPECT_TRUE(absl::IsPermissionDenied(refused.status()));
  EXPECT_NE(refused.status().message().find("retired"), std::string::npos);
  EXPECT_TRUE(signer.Verify(*new_token, now_).ok());
}

TEST_F(UrlSignerTest, SingleUseClaimKeptOrGivenBack) {
  grant_.single_use_id = "grant-1";
  {
    auto claim = SingleUseClaim::Claim(&catalog(), grant_);
    ASSERT_TRUE(claim.ok()) << claim.status();
    // Held: a second use is refused while the first runs.
    auto second = SingleUseClaim::Claim(&catalog(), grant_);
    EXPECT_TRUE(absl::IsAlreadyExists(second.status()));
  }  // destroyed unkept: the upload failed
  auto retry = SingleUseClaim::Claim(&catalog(), grant_);
  ASSERT_TRUE(retry.ok()) << retry.status();
  (*retry)->Keep();
  retry->reset();
  EXPECT_TRUE(absl::IsAlreadyExists(
      SingleUseClaim::Claim(&catalog(), grant_).status()));
}

}  // namespace
}  // namespace sfs::frontend
