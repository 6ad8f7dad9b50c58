#include "sfs-frontend/auth/scopes.h"

#include "gtest/gtest.h"

namespace sfs::frontend {
namespace {

constexpr uint8_t kRead = static_cast<uint8_t>(ScopeAction::kRead);
constexpr uint8_t kCreate = static_cast<uint8_t>(ScopeAction::kCreate);
constexpr uint8_t kUpdate = static_cast<uint8_t>(ScopeAction::kUpdate);
constexpr uint8_t kDelete = static_cast<uint8_t>(ScopeAction::kDelete);

TEST(ScopeParseTest, ValidScopes) {
  struct Case {
    const char* text;
    Scope want;
  };
  for (const Case& c : std::vector<Case>{
           {"storage.alice.files.photos:read,create",
            {"alice", ScopeKind::kFiles, "photos", kRead | kCreate}},
           {"storage.alice.files:read",
            {"alice", ScopeKind::kFiles, "", kRead}},
           {"storage.bob_2.namespaces:create,delete,update,read",
            {"bob_2", ScopeKind::kNamespaces, "",
             kRead | kCreate | kUpdate | kDelete}},
           {"storage.alice.files.my.photos-2024:delete",
            {"alice", ScopeKind::kFiles, "my.photos-2024", kDelete}},
       }) {
    auto scope = ParseScope(c.text);
    ASSERT_TRUE(scope.ok()) << c.text << ": " << scope.status();
    EXPECT_EQ(*scope, c.want) << c.text;
  }
}

TEST(ScopeParseTest, InvalidScopes) {
  for (const char* text : {
           "",
           "storage.alice.files",               // no actions
           "storage.alice.files:",              // empty actions
           "storage.alice.files:read,",         // empty action
           "storage.alice.files:write",         // unknown action
           "storage.alice.files:read,read",     // repeated action
           "storage.alice:read",                // no kind
           "storage.alice.folders:read",        // unknown kind
           "storage..files:read",               // empty owner
           "storage.al ice.files:read",         // bad owner
           "storage.alice.files.:read",         // empty namespace
           "storage.alice.files.uploads:read",  // reserved namespace
           "storage.alice.files...:read",       // namespace ".."
           "files.alice.files:read",            // wrong prefix
           "Storage.alice.files:read",
       }) {
    EXPECT_EQ(ParseScope(text).status().code(),
              absl::StatusCode::kInvalidArgument)
        << text;
  }
}

TEST(ScopeParseTest, FormatRoundTrips) {
  for (const char* text : {"storage.alice.files.photos:read,create",
                           "storage.alice.namespaces:read,create,update,delete",
                           "storage.x.files:delete"}) {
    auto scope = ParseScope(text);
    ASSERT_TRUE(scope.ok()) << scope.status();
    EXPECT_EQ(FormatScope(*scope), text);
  }
  EXPECT_EQ(FormatScope(*ParseScope("storage.a.files:delete,read")),
            "storage.a.files:read,delete");
}

TEST(ScopeParseTest, OneBadScopeFailsTheList) {
  EXPECT_TRUE(
      ParseScopes({"storage.a.files:read", "storage.b.files:read"}).ok());
  EXPECT_FALSE(ParseScopes({"storage.a.files:read", "bogus"}).ok());
}

TEST(ScopeAllowsTest, MatchTable) {
  auto scopes = ParseScopes({"storage.alice.files.photos:read,create",
                             "storage.alice.namespaces.photos:update",
                             "storage.bob.files:read"});
  ASSERT_TRUE(scopes.ok()) << scopes.status();
  struct Case {
    const char* owner;
    ScopeKind kind;
    const char* ns;
    ScopeAction action;
    bool allowed;
  };
  constexpr auto kFiles = ScopeKind::kFiles;
  constexpr auto kNamespaces = ScopeKind::kNamespaces;
  for (const Case& c : std::vector<Case>{
           {"alice", kFiles, "photos", ScopeAction::kRead, true},
           {"alice", kFiles, "photos", ScopeAction::kCreate, true},
           {"alice", kFiles, "photos", ScopeAction::kDelete, false},
           {"alice", kFiles, "docs", ScopeAction::kRead, false},
           {"alice", kFiles, "", ScopeAction::kRead, false},
           {"alice", kNamespaces, "photos", ScopeAction::kUpdate, true},
           {"alice", kNamespaces, "photos", ScopeAction::kRead, false},
           {"alice", kNamespaces, "", ScopeAction::kCreate, false},
           {"bob", kFiles, "anything", ScopeAction::kRead, true},
           {"bob", kFiles, "", ScopeAction::kRead, true},
           {"bob", kFiles, "anything", ScopeAction::kCreate, false},
           {"bob", kNamespaces, "anything", ScopeAction::kRead, false},
           {"carol", kFiles, "photos", ScopeAction::kRead, false},
       }) {
    EXPECT_EQ(Allows(*scopes, c.owner, c.kind, c.ns, c.action), c.allowed)
        << c.owner << " " << static_cast<int>(c.kind) << " " << c.ns << " "
        << static_cast<int>(c.action);
  }
  EXPECT_FALSE(Allows({}, "alice", kFiles, "photos", ScopeAction::kRead));
}

}  // namespace
}  // namespace sfs::frontend
