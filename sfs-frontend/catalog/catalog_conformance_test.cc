// One suite, every Catalog implementation: what the frontend relies on must
// hold for the embedded store and for PostgreSQL alike.

#include <atomic>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "sfs-frontend/catalog/catalog.h"
#include "sfs-frontend/catalog/testing/catalog_stores.h"
#include "sfs-frontend/catalog/testing/progress_inbox.h"

namespace sfs::frontend {
namespace {

constexpr char kHashA[] =
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kHashB[] =
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
constexpr char kHashC[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

NamespaceRecord Namespace(const std::string& name, const std::string& owner) {
  NamespaceRecord record;
  record.name = name;
  record.owner_id = owner;
  record.created_at = 1'700'000'000'000'000;
  return record;
}

UserRecord User(const std::string& username) {
  return {username, "$argon2id$fake-hash-of-" + username, false,
          1'700'000'000'000'001};
}

ApiTokenRecord Token(const std::string& id, const std::string& username,
                     const std::string& hash) {
  return {id,   username, {"storage." + username + ".files:read"},
          hash, 0,        1'700'000'000'000'002};
}

// A secret of `size` bytes, counting up from `first` (wrapping past 0xff).
std::string Secret(size_t size, int first = 'a') {
  std::string secret;
  for (size_t i = 0; i < size; ++i) {
    secret.push_back(static_cast<char>((first + i) % 256));
  }
  return secret;
}

SigningKeyRecord Key(const std::string& id, int64_t created_at) {
  return {id, Secret(kMinSigningKeySecretBytes), created_at};
}

std::vector<std::string> Ids(const std::vector<SigningKeyRecord>& keys) {
  std::vector<std::string> ids;
  for (const auto& k : keys) ids.push_back(k.id);
  return ids;
}

// A point in time for single-use claims; tests count microseconds from it.
constexpr int64_t kT = 1'700'000'000'000'000;

std::vector<std::string> Names(const std::vector<NamespaceRecord>& records) {
  std::vector<std::string> names;
  for (const auto& r : records) names.push_back(r.name);
  return names;
}

class CatalogConformanceTest : public testing::TestWithParam<CatalogKind> {
 protected:
  void SetUp() override {
    auto store = NewCatalogStore(GetParam());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    auto catalog = store_->Open();
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = *std::move(catalog);
  }

  std::unique_ptr<CatalogStore> store_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_P(CatalogConformanceTest, NamespaceRoundTripsEveryField) {
  NamespaceRecord full = Namespace("photos", "alice");
  full.visibility = Visibility::kPublic;
  full.hidden = true;
  full.policies.max_file_bytes = int64_t{5} << 40;
  full.policies.allowed_mime_types = {"image/*", "video/mp4", "a\"b\\c,d{}"};
  full.policies.quota_bytes = 0;
  full.policies.retention_days = 30;
  full.policies.keep_versions = 3;
  ASSERT_TRUE(catalog_->CreateNamespace(full).ok());
  NamespaceRecord bare = Namespace("docs", "alice");
  ASSERT_TRUE(catalog_->CreateNamespace(bare).ok());

  auto got = catalog_->GetNamespace("photos");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, full);
  got = catalog_->GetNamespace("docs");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, bare);
  EXPECT_FALSE(got->policies.max_file_bytes.has_value());
  EXPECT_FALSE(got->policies.keep_versions.has_value());
}

TEST_P(CatalogConformanceTest, CreateExistingNamespaceFails) {
  ASSERT_TRUE(catalog_->CreateNamespace(Namespace("photos", "alice")).ok());
  EXPECT_EQ(catalog_->CreateNamespace(Namespace("photos", "bob")).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(catalog_->GetNamespace("photos")->owner_id, "alice");
}

TEST_P(CatalogConformanceTest, InvalidNamespacesRejected) {
  NamespaceRecord negative_quota = Namespace("ok", "alice");
  negative_quota.policies.quota_bytes = -1;
  for (const NamespaceRecord& record :
       {Namespace("uploads", "alice"), Namespace("..", "alice"),
        Namespace("a/b", "alice"), Namespace("ok", ""), negative_quota}) {
    EXPECT_EQ(catalog_->CreateNamespace(record).code(),
              absl::StatusCode::kInvalidArgument)
        << record.name;
  }
  EXPECT_EQ(catalog_->ListNamespaces("")->size(), 0u);
}

TEST_P(CatalogConformanceTest, MissingNamespaceIsNotFound) {
  EXPECT_EQ(catalog_->GetNamespace("nope").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(catalog_->UpdateNamespace(Namespace("nope", "alice")).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(catalog_->DeleteNamespace("nope").code(),
            absl::StatusCode::kNotFound);
}

TEST_P(CatalogConformanceTest, UpdateReplacesAllButCreatedAt) {
  NamespaceRecord original = Namespace("photos", "alice");
  original.policies.quota_bytes = 100;
  ASSERT_TRUE(catalog_->CreateNamespace(original).ok());

  NamespaceRecord changed = Namespace("photos", "bob");
  changed.created_at = 42;
  changed.visibility = Visibility::kPublic;
  changed.policies.allowed_mime_types = {"text/plain"};
  ASSERT_TRUE(catalog_->UpdateNamespace(changed).ok());

  NamespaceRecord want = changed;
  want.created_at = original.created_at;
  EXPECT_EQ(*catalog_->GetNamespace("photos"), want);
  // The owner index follows the new owner.
  EXPECT_TRUE(catalog_->ListNamespaces("alice")->empty());
  EXPECT_EQ(Names(*catalog_->ListNamespaces("bob")),
            std::vector<std::string>{"photos"});
}

TEST_P(CatalogConformanceTest, DeleteNamespaceRemovesIt) {
  ASSERT_TRUE(catalog_->CreateNamespace(Namespace("photos", "alice")).ok());
  ASSERT_TRUE(catalog_->DeleteNamespace("photos").ok());
  EXPECT_EQ(catalog_->GetNamespace("photos").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(catalog_->ListNamespaces("alice")->empty());
  // The name is free again.
  EXPECT_TRUE(catalog_->CreateNamespace(Namespace("photos", "bob")).ok());
}

TEST_P(CatalogConformanceTest, ListNamespacesByOwnerSortedByName) {
  for (const char* name : {"zeta", "Alpha", "alpha", "b.c", "b-c", "b_c"}) {
    ASSERT_TRUE(catalog_->CreateNamespace(Namespace(name, "alice")).ok());
  }
  ASSERT_TRUE(catalog_->CreateNamespace(Namespace("bobs", "bob")).ok());
  // "al" must not see "alice"'s namespaces through a prefix match.
  ASSERT_TRUE(catalog_->CreateNamespace(Namespace("als", "al")).ok());

  auto alice = catalog_->ListNamespaces("alice");
  ASSERT_TRUE(alice.ok()) << alice.status();
  EXPECT_EQ(Names(*alice), (std::vector<std::string>{"Alpha", "alpha", "b-c",
                                                     "b.c", "b_c", "zeta"}));
  EXPECT_EQ(Names(*catalog_->ListNamespaces("al")),
            std::vector<std::string>{"als"});
  EXPECT_TRUE(catalog_->ListNamespaces("nobody")->empty());
  EXPECT_EQ(Names(*catalog_->ListNamespaces("")),
            (std::vector<std::string>{"Alpha", "alpha", "als", "b-c", "b.c",
                                      "b_c", "bobs", "zeta"}));
}

// Owner ids come from JWTs of any issuer: every byte sequence is just data.
TEST_P(CatalogConformanceTest, OwnerIdsAreOpaque) {
  const std::vector<std::string> owners = {"o'brien",
                                           "back\\slash",
                                           "50%_off",
                                           "user@example.com",
                                           "\xc3\xbc"
                                           "ber",
                                           "a); DROP TABLE namespaces; --"};
  for (size_t i = 0; i < owners.size(); ++i) {
    ASSERT_TRUE(
        catalog_
            ->CreateNamespace(Namespace("ns" + std::to_string(i), owners[i]))
            .ok())
        << owners[i];
  }
  for (size_t i = 0; i < owners.size(); ++i) {
    EXPECT_EQ(Names(*catalog_->ListNamespaces(owners[i])),
              std::vector<std::string>{"ns" + std::to_string(i)})
        << owners[i];
  }
  EXPECT_TRUE(catalog_->ListNamespaces("%")->empty());
}

// PostgreSQL text cannot hold these, so neither catalog accepts them.
TEST_P(CatalogConformanceTest, NonTextStringsRejected) {
  for (const std::string& bad :
       {std::string("nul\0inside", 10), std::string("\xff\xfe"),
        std::string("\xc0\xaf"), std::string("\xed\xa0\x80"),
        std::string("cut\xe2\x82")}) {
    EXPECT_EQ(catalog_->CreateNamespace(Namespace("ns", bad)).code(),
              absl::StatusCode::kInvalidArgument);
    NamespaceRecord bad_mime = Namespace("ns", "alice");
    bad_mime.policies.allowed_mime_types = {bad};
    EXPECT_EQ(catalog_->CreateNamespace(bad_mime).code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(catalog_->PublishProgress(bad).code(),
              absl::StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(catalog_->ListNamespaces("")->empty());
}

TEST_P(CatalogConformanceTest, Users) {
  UserRecord admin = User("root");
  admin.is_admin = true;
  ASSERT_TRUE(catalog_->AddUser(User("zoe")).ok());
  ASSERT_TRUE(catalog_->AddUser(admin).ok());
  EXPECT_EQ(catalog_->AddUser(User("zoe")).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(catalog_->AddUser(User("a.b")).code(),
            absl::StatusCode::kInvalidArgument);
  UserRecord no_hash = User("nohash");
  no_hash.password_hash.clear();
  EXPECT_EQ(catalog_->AddUser(no_hash).code(),
            absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(*catalog_->GetUser("root"), admin);
  EXPECT_EQ(catalog_->GetUser("nobody").status().code(),
            absl::StatusCode::kNotFound);
  auto users = catalog_->ListUsers();
  ASSERT_TRUE(users.ok()) << users.status();
  EXPECT_EQ(*users, (std::vector<UserRecord>{admin, User("zoe")}));

  ASSERT_TRUE(catalog_->DeleteUser("zoe").ok());
  EXPECT_EQ(catalog_->DeleteUser("zoe").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*catalog_->ListUsers(), std::vector<UserRecord>{admin});
}

TEST_P(CatalogConformanceTest, ApiTokens) {
  ASSERT_TRUE(catalog_->AddUser(User("alice")).ok());
  ASSERT_TRUE(catalog_->AddUser(User("bob")).ok());
  ApiTokenRecord t2 = Token("t2", "alice", kHashA);
  t2.scopes = {"storage.alice.files.photos:read,create",
               "storage.alice.namespaces:create"};
  t2.expires_at = 1'800'000'000'000'000;
  ApiTokenRecord t1 = Token("t1", "alice", kHashB);
  ApiTokenRecord bobs = Token("t3", "bob", kHashC);
  ASSERT_TRUE(catalog_->CreateApiToken(t2).ok());
  ASSERT_TRUE(catalog_->CreateApiToken(t1).ok());
  ASSERT_TRUE(catalog_->CreateApiToken(bobs).ok());

  auto found = catalog_->FindApiTokenBySecretHash(kHashA);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(*found, t2);
  EXPECT_EQ(*catalog_->ListApiTokens("alice"),
            (std::vector<ApiTokenRecord>{t1, t2}));
  EXPECT_TRUE(catalog_->ListApiTokens("carol")->empty());

  ASSERT_TRUE(catalog_->DeleteApiToken("t2").ok());
  EXPECT_EQ(catalog_->DeleteApiToken("t2").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(catalog_->FindApiTokenBySecretHash(kHashA).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(*catalog_->ListApiTokens("alice"), std::vector<ApiTokenRecord>{t1});
}

TEST_P(CatalogConformanceTest, BadApiTokensRejected) {
  ASSERT_TRUE(catalog_->AddUser(User("alice")).ok());
  ASSERT_TRUE(catalog_->CreateApiToken(Token("t1", "alice", kHashA)).ok());
  EXPECT_EQ(catalog_->CreateApiToken(Token("t1", "alice", kHashB)).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(catalog_->CreateApiToken(Token("t2", "alice", kHashA)).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(catalog_->CreateApiToken(Token("t2", "carol", kHashB)).code(),
            absl::StatusCode::kNotFound);
  std::string upper_hash(kHashC);
  upper_hash[10] = 'A';
  for (const ApiTokenRecord& bad :
       {Token("", "alice", kHashB), Token("t2", "alice", "abc"),
        Token("t2", "alice", upper_hash)}) {
    EXPECT_EQ(catalog_->CreateApiToken(bad).code(),
              absl::StatusCode::kInvalidArgument)
        << bad.id << " " << bad.secret_hash;
  }
  EXPECT_EQ(catalog_->ListApiTokens("alice")->size(), 1u);
}

TEST_P(CatalogConformanceTest, DeletingUserDeletesTheirTokens) {
  ASSERT_TRUE(catalog_->AddUser(User("alice")).ok());
  ASSERT_TRUE(catalog_->AddUser(User("bob")).ok());
  ASSERT_TRUE(catalog_->CreateApiToken(Token("t1", "alice", kHashA)).ok());
  ASSERT_TRUE(catalog_->CreateApiToken(Token("t2", "bob", kHashB)).ok());
  ASSERT_TRUE(catalog_->DeleteUser("alice").ok());
  EXPECT_EQ(catalog_->FindApiTokenBySecretHash(kHashA).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(catalog_->ListApiTokens("alice")->empty());
  // The token id and secret are free again; bob's token is untouched.
  ASSERT_TRUE(catalog_->AddUser(User("alice")).ok());
  EXPECT_TRUE(catalog_->CreateApiToken(Token("t1", "alice", kHashA)).ok());
  EXPECT_TRUE(catalog_->FindApiTokenBySecretHash(kHashB).ok());
}

TEST_P(CatalogConformanceTest, SigningKeysListedNewestFirst) {
  for (const SigningKeyRecord& key :
       {Key("old", 100), Key("b", 200), Key("newest", 300), Key("a", 200)}) {
    ASSERT_TRUE(catalog_->AddSigningKey(key).ok()) << key.id;
  }
  auto keys = catalog_->ListSigningKeys();
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(Ids(*keys), (std::vector<std::string>{"newest", "b", "a", "old"}));
  EXPECT_EQ(keys->front(), Key("newest", 300));

  ASSERT_TRUE(catalog_->DeleteSigningKey("b").ok());
  EXPECT_EQ(catalog_->DeleteSigningKey("b").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(catalog_->DeleteSigningKey("never").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Ids(*catalog_->ListSigningKeys()),
            (std::vector<std::string>{"newest", "a", "old"}));
}

TEST_P(CatalogConformanceTest, SigningKeyIdIsUnique) {
  ASSERT_TRUE(catalog_->AddSigningKey(Key("k1", 100)).ok());
  SigningKeyRecord other = {"k1", Secret(kMaxSigningKeySecretBytes), 200};
  EXPECT_EQ(catalog_->AddSigningKey(other).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(*catalog_->ListSigningKeys(),
            std::vector<SigningKeyRecord>{Key("k1", 100)});
}

// Secrets are raw key bytes: every byte value, NUL and backslash included,
// comes back exactly.
TEST_P(CatalogConformanceTest, SigningKeySecretsAreRawBytes) {
  const std::vector<SigningKeyRecord> keys = {
      {"low", Secret(kMaxSigningKeySecretBytes, 0), 3},
      {"high", Secret(kMaxSigningKeySecretBytes, 128), 2},
      {"short", Secret(kMinSigningKeySecretBytes, 250), 1}};
  for (const SigningKeyRecord& key : keys) {
    ASSERT_TRUE(catalog_->AddSigningKey(key).ok()) << key.id;
  }
  auto listed = catalog_->ListSigningKeys();
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(*listed, keys);
}

TEST_P(CatalogConformanceTest, BadSigningKeysRejected) {
  for (const SigningKeyRecord& bad :
       {Key("", 1), Key("a.b", 1), Key("a b", 1), Key("a:b", 1),
        Key(std::string(65, 'k'), 1), Key("k", -1),
        SigningKeyRecord{"k", "", 1},
        SigningKeyRecord{"k", Secret(kMinSigningKeySecretBytes - 1), 1},
        SigningKeyRecord{"k", Secret(kMaxSigningKeySecretBytes + 1), 1}}) {
    EXPECT_EQ(catalog_->AddSigningKey(bad).code(),
              absl::StatusCode::kInvalidArgument)
        << bad.id << " " << bad.secret.size() << " " << bad.created_at;
  }
  EXPECT_TRUE(catalog_->ListSigningKeys()->empty());
  EXPECT_TRUE(catalog_->AddSigningKey(Key(std::string(64, 'k'), 0)).ok());
}

TEST_P(CatalogConformanceTest, SingleUseGrantWorksOnce) {
  ASSERT_TRUE(catalog_->ClaimSingleUse("up:alice.1", kT + 100, kT).ok());
  EXPECT_EQ(catalog_->ClaimSingleUse("up:alice.1", kT + 100, kT + 50).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(catalog_->ClaimSingleUse("up:alice.2", kT + 100, kT + 50).ok());
}

TEST_P(CatalogConformanceTest, SingleUseClaimedUntilExpiry) {
  EXPECT_FALSE(*catalog_->SingleUseClaimed("session-1", kT));
  ASSERT_TRUE(catalog_->ClaimSingleUse("session-1", kT + 100, kT).ok());
  EXPECT_TRUE(*catalog_->SingleUseClaimed("session-1", kT + 99));
  EXPECT_FALSE(*catalog_->SingleUseClaimed("session-1", kT + 100));
  EXPECT_FALSE(*catalog_->SingleUseClaimed("session-2", kT));
  ASSERT_TRUE(catalog_->ReleaseSingleUse("session-1").ok());
  EXPECT_FALSE(*catalog_->SingleUseClaimed("session-1", kT));
  EXPECT_EQ(catalog_->SingleUseClaimed("a/b", kT).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(CatalogConformanceTest, AuditLogListsNewestFirstWithinAWindow) {
  // Other records stay out of the log and out of its retention.
  ASSERT_TRUE(catalog_->AddUser(User("alice")).ok());
  ASSERT_TRUE(catalog_->CreateApiToken(Token("t1", "alice", kHashA)).ok());
  auto event = [](int64_t at, const std::string& action) {
    return AuditEvent{at, "alice", action, "photos", "ok", "10.0.0.7"};
  };
  for (const AuditEvent& e :
       {event(kT + 10, "a"), event(kT + 20, "b"), event(kT + 20, "c"),
        event(kT + 30, "d"), event(kT + 40, "e")}) {
    ASSERT_TRUE(catalog_->AppendAudit(e).ok());
  }
  auto actions = [&](int64_t since, int64_t before, size_t limit) {
    std::string out;
    for (const AuditEvent& e : *catalog_->ListAudit(since, before, limit)) {
      out += e.action;
    }
    return out;
  };
  EXPECT_EQ(actions(0, kT + 100, 100), "edcba");
  EXPECT_EQ(actions(kT + 20, kT + 40, 100), "dcb");
  EXPECT_EQ(actions(0, kT + 100, 2), "ed");
  EXPECT_EQ(actions(kT + 41, kT + 100, 100), "");
  EXPECT_EQ(*catalog_->ListAudit(kT + 40, kT + 41, 1),
            std::vector<AuditEvent>{event(kT + 40, "e")});

  EXPECT_EQ(*catalog_->ForgetAuditBefore(kT + 30), 3);
  EXPECT_EQ(actions(0, kT + 100, 100), "ed");
  EXPECT_EQ(*catalog_->ForgetAuditBefore(std::numeric_limits<int64_t>::max()),
            2);
  EXPECT_EQ(catalog_->ListApiTokens("alice")->size(), 1u);
  EXPECT_TRUE(catalog_->FindApiTokenBySecretHash(kHashA).ok());

  AuditEvent too_long = event(kT, "x");
  too_long.target = std::string(kMaxAuditFieldBytes + 1, 't');
  EXPECT_EQ(catalog_->AppendAudit(too_long).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog_->AppendAudit(event(-1, "x")).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(CatalogConformanceTest, ExpiredGrantMayBeClaimedAgain) {
  ASSERT_TRUE(catalog_->ClaimSingleUse("g", kT + 100, kT).ok());
  EXPECT_EQ(catalog_->ClaimSingleUse("g", kT + 300, kT + 99).code(),
            absl::StatusCode::kAlreadyExists);
  // expires_at <= now is expired.
  EXPECT_TRUE(catalog_->ClaimSingleUse("g", kT + 300, kT + 100).ok());
  // The new claim lasts until its own expires_at.
  EXPECT_EQ(catalog_->ClaimSingleUse("g", kT + 400, kT + 299).code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_P(CatalogConformanceTest, ReleasedGrantMayBeClaimedAgain) {
  ASSERT_TRUE(catalog_->ClaimSingleUse("g", kT + 100, kT).ok());
  ASSERT_TRUE(catalog_->ReleaseSingleUse("g").ok());
  EXPECT_EQ(catalog_->ReleaseSingleUse("g").code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(catalog_->ClaimSingleUse("g", kT + 100, kT).ok());
  EXPECT_EQ(catalog_->ClaimSingleUse("g", kT + 100, kT).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(catalog_->ReleaseSingleUse("never").code(),
            absl::StatusCode::kNotFound);
}

TEST_P(CatalogConformanceTest, BadSingleUseClaimsRejected) {
  for (const std::string& id :
       {std::string(""), std::string("a/b"), std::string("a b"),
        std::string("a\0b", 3), std::string(129, 'g')}) {
    EXPECT_EQ(catalog_->ClaimSingleUse(id, kT + 100, kT).code(),
              absl::StatusCode::kInvalidArgument)
        << id;
  }
  EXPECT_EQ(catalog_->ClaimSingleUse("g", -1, kT).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      catalog_->ClaimSingleUse(std::string(128, 'g'), kT + 100, kT).ok());
  EXPECT_TRUE(catalog_->ClaimSingleUse("Az09._:-", kT + 100, kT).ok());
}

// The claim of an unused grant, and the takeover of an expired claim, are
// exact under contention.
TEST_P(CatalogConformanceTest, ConcurrentClaimsOfOneGrantHaveOneWinner) {
  constexpr int kThreads = 8;
  for (int64_t now : {kT, kT + 1000}) {
    std::atomic<int> claimed{0}, already_exists{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&] {
        absl::Status s = catalog_->ClaimSingleUse("contended", now + 1000, now);
        if (s.ok()) ++claimed;
        if (s.code() == absl::StatusCode::kAlreadyExists) ++already_exists;
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(claimed.load(), 1) << now;
    EXPECT_EQ(already_exists.load(), kThreads - 1) << now;
  }
}

// Whether a record is still there shows in ReleaseSingleUse: NotFound once
// it has been forgotten.
TEST_P(CatalogConformanceTest, ClaimsForgetExpiredGrantsBoundedly) {
  constexpr int kPerClaim = kExpiredSingleUseForgottenPerClaim;
  constexpr int kExpired = kPerClaim + 4;
  for (int i = 0; i < kExpired; ++i) {
    ASSERT_TRUE(
        catalog_->ClaimSingleUse("old" + std::to_string(i), kT + 10 + i, kT)
            .ok());
  }
  ASSERT_TRUE(catalog_->ClaimSingleUse("live", kT + 1000, kT).ok());

  // The earliest-expiring kPerClaim are forgotten, the rest kept.
  ASSERT_TRUE(catalog_->ClaimSingleUse("new1", kT + 1000, kT + 500).ok());
  for (int i = 0; i < kPerClaim; ++i) {
    EXPECT_EQ(catalog_->ReleaseSingleUse("old" + std::to_string(i)).code(),
              absl::StatusCode::kNotFound)
        << i;
  }
  EXPECT_TRUE(
      catalog_->ReleaseSingleUse("old" + std::to_string(kPerClaim)).ok());

  // A claim that fails forgets expired grants too; live ones stay.
  EXPECT_EQ(catalog_->ClaimSingleUse("live", kT + 1000, kT + 500).code(),
            absl::StatusCode::kAlreadyExists);
  for (int i = kPerClaim + 1; i < kExpired; ++i) {
    EXPECT_EQ(catalog_->ReleaseSingleUse("old" + std::to_string(i)).code(),
              absl::StatusCode::kNotFound)
        << i;
  }
  EXPECT_TRUE(catalog_->ReleaseSingleUse("live").ok());
  EXPECT_TRUE(catalog_->ReleaseSingleUse("new1").ok());
}

TEST_P(CatalogConformanceTest, RecordsSurviveReopen) {
  ASSERT_TRUE(catalog_->CreateNamespace(Namespace("photos", "alice")).ok());
  ASSERT_TRUE(catalog_->AddUser(User("alice")).ok());
  ASSERT_TRUE(catalog_->CreateApiToken(Token("t1", "alice", kHashA)).ok());
  ASSERT_TRUE(catalog_->AddSigningKey(Key("k1", 100)).ok());
  ASSERT_TRUE(catalog_->ClaimSingleUse("g1", kT + 100, kT).ok());
  catalog_.reset();

  auto reopened = store_->Open();
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(*(*reopened)->GetNamespace("photos"), Namespace("photos", "alice"));
  EXPECT_EQ(*(*reopened)->GetUser("alice"), User("alice"));
  EXPECT_EQ(*(*reopened)->FindApiTokenBySecretHash(kHashA),
            Token("t1", "alice", kHashA));
  EXPECT_EQ(*(*reopened)->ListSigningKeys(),
            std::vector<SigningKeyRecord>{Key("k1", 100)});
  EXPECT_EQ((*reopened)->ClaimSingleUse("g1", kT + 100, kT).code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_P(CatalogConformanceTest, ConcurrentCreatesOfOneNameHaveOneWinner) {
  constexpr int kThreads = 8;
  std::atomic<int> created{0}, already_exists{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      absl::Status s = catalog_->CreateNamespace(
          Namespace("contended", "owner" + std::to_string(i)));
      if (s.ok()) ++created;
      if (s.code() == absl::StatusCode::kAlreadyExists) ++already_exists;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(already_exists.load(), kThreads - 1);
  EXPECT_EQ(catalog_->ListNamespaces("")->size(), 1u);
}

TEST_P(CatalogConformanceTest, ProgressReachesEverySubscriberInOrder) {
  ProgressInbox first, second;
  auto sub1 = catalog_->Subscribe(first.Callback());
  auto sub2 = catalog_->Subscribe(second.Callback());
  std::vector<std::string> events;
  for (int i = 0; i < 20; ++i) {
    events.push_back(R"({"id":"x","bytes":)" + std::to_string(i) + "}");
    ASSERT_TRUE(catalog_->PublishProgress(events.back()).ok());
  }
  ASSERT_TRUE(first.WaitFor(events.back()));
  ASSERT_TRUE(second.WaitFor(events.back()));
  EXPECT_EQ(first.events(), events);
  EXPECT_EQ(second.events(), events);
}

TEST_P(CatalogConformanceTest, UnsubscribedCallbackGetsNothingMore) {
  ProgressInbox kept, dropped;
  auto keep = catalog_->Subscribe(kept.Callback());
  auto drop = catalog_->Subscribe(dropped.Callback());
  ASSERT_TRUE(catalog_->PublishProgress("before").ok());
  ASSERT_TRUE(dropped.WaitFor("before"));
  drop.reset();
  ASSERT_TRUE(catalog_->PublishProgress("after").ok());
  // Events arrive in order, so once "after" reached `kept` it would have
  // reached `dropped` too.
  ASSERT_TRUE(kept.WaitFor("after"));
  EXPECT_EQ(dropped.events(), std::vector<std::string>{"before"});
}

TEST_P(CatalogConformanceTest, OversizedProgressEventRejected) {
  EXPECT_TRUE(
      catalog_->PublishProgress(std::string(kMaxProgressEventBytes, 'x')).ok());
  EXPECT_EQ(
      catalog_->PublishProgress(std::string(kMaxProgressEventBytes + 1, 'x'))
          .code(),
      absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Stores, CatalogConformanceTest,
                         testing::ValuesIn(AllCatalogKinds()),
                         [](const auto& info) {
                           return CatalogKindName(info.param);
                         });

}  // namespace
}  // namespace sfs::frontend
