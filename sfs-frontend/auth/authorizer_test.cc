#include "sfs-frontend/auth/authorizer.h"

#include "gtest/gtest.h"

namespace sfs::frontend {
namespace {

NamespaceRecord Ns(Visibility visibility) {
  NamespaceRecord ns;
  ns.name = "photos";
  ns.owner_id = "alice";
  ns.visibility = visibility;
  return ns;
}

Identity Token(const std::string& scope) {
  auto scopes = ParseScopes({scope});
  EXPECT_TRUE(scopes.ok()) << scopes.status();
  return Identity{"alice", false, *scopes};
}

TEST(AuthorizerTest, OwnerAndAdminMayDoEverything) {
  for (const Identity& caller :
       {Identity{"alice", false, {}}, Identity{"root", true, {}}}) {
    NamespaceRecord ns = Ns(Visibility::kPrivate);
    EXPECT_TRUE(CheckReadFiles(caller, ns).ok());
    EXPECT_TRUE(CheckWriteFiles(caller, ns, ScopeAction::kCreate).ok());
    EXPECT_TRUE(CheckChangeNamespace(caller, ns, ScopeAction::kDelete).ok());
    EXPECT_TRUE(ListsNamespace(caller, ns));
  }
}

TEST(AuthorizerTest, OthersReadOnlyPublicAndAreNeverListed) {
  Identity bob{"bob", false, {}};
  Identity anonymous;
  EXPECT_TRUE(
      absl::IsPermissionDenied(CheckReadFiles(bob, Ns(Visibility::kPrivate))));
  EXPECT_TRUE(absl::IsUnauthenticated(
      CheckReadFiles(anonymous, Ns(Visibility::kPrivate))));
  for (const Identity& caller : {bob, anonymous}) {
    NamespaceRecord ns = Ns(Visibility::kPublic);
    EXPECT_TRUE(CheckReadFiles(caller, ns).ok());
    EXPECT_FALSE(CheckWriteFiles(caller, ns, ScopeAction::kCreate).ok());
    EXPECT_FALSE(CheckChangeNamespace(caller, ns, ScopeAction::kUpdate).ok());
    EXPECT_FALSE(ListsNamespace(caller, ns));
  }
  EXPECT_TRUE(absl::IsUnauthenticated(CheckCreateNamespace(anonymous)));
  EXPECT_TRUE(CheckCreateNamespace(bob).ok());
}

TEST(AuthorizerTest, ScopedCallersGetOnlyTheirScopes) {
  NamespaceRecord ns = Ns(Visibility::kPrivate);
  Identity reader = Token("storage.alice.files.photos:read");
  EXPECT_TRUE(CheckReadFiles(reader, ns).ok());
  EXPECT_TRUE(ListsNamespace(reader, ns));
  EXPECT_TRUE(absl::IsPermissionDenied(
      CheckWriteFiles(reader, ns, ScopeAction::kCreate)));
  EXPECT_TRUE(absl::IsPermissionDenied(CheckCreateNamespace(reader)));

  Identity elsewhere = Token("storage.alice.files.other:read,create");
  EXPECT_FALSE(CheckReadFiles(elsewhere, ns).ok());
  EXPECT_FALSE(ListsNamespace(elsewhere, ns));

  EXPECT_TRUE(
      CheckCreateNamespace(Token("storage.alice.namespaces:create")).ok());

  // A scope never reaches beyond its holder's own namespaces: bob's token
  // naming alice's namespace grants nothing there; an admin's does.
  Identity bob = Token("storage.alice.files.photos:read,create");
  bob.user = "bob";
  EXPECT_TRUE(absl::IsPermissionDenied(CheckReadFiles(bob, ns)));
  EXPECT_FALSE(CheckWriteFiles(bob, ns, ScopeAction::kCreate).ok());
  EXPECT_FALSE(ListsNamespace(bob, ns));
  Identity admin = bob;
  admin.user = "root";
  admin.is_admin = true;
  EXPECT_TRUE(CheckReadFiles(admin, ns).ok());
  EXPECT_TRUE(CheckChangeNamespace(Token("storage.alice.namespaces:delete"), ns,
                                   ScopeAction::kDelete)
                  .ok());
}

}  // namespace
}  // namespace sfs::frontend
