// The file service in-process, without HTTP: a real cluster (master and
// chunkservers as processes), the embedded catalog, and callers as
// identities. The HTTP suites (tests/frontend_*_test.cc) cover the routes;
// these cover the policy the routes only translate.
#include "sfs-frontend/files/file_service.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sfs-frontend/catalog/embedded_catalog.h"
#include "sfs-frontend/server/http_error.h"
#include "tests/test_cluster.h"

namespace sfs::frontend {
namespace {

Identity User(const std::string& name) { return Identity{name, false, {}}; }

UploadRequest Request(const std::string& ns, const std::string& path,
                      bool overwrite = false,
                      std::optional<uint64_t> declared = {}) {
  UploadRequest request;
  request.ns = ns;
  request.path = path;
  request.overwrite = overwrite;
  request.declared_size = declared;
  return request;
}

class FileServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = new TestCluster();
    ASSERT_TRUE(cluster_->Start().ok());
  }
  static void TearDownTestSuite() { delete cluster_; }

  void SetUp() override {
    client_ = cluster_->NewClient();
    auto catalog = EmbeddedCatalog::Open(absl::StrCat(
        cluster_->dir(), "/catalog-",
        ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = std::move(*catalog);
    // A retention "day" of one second.
    files_ = std::make_unique<FileService>(client_.get(), catalog_.get(),
                                           Retention(absl::Seconds(1)));
  }

  // Creates namespace `name` owned by alice with `policies`.
  void CreateNamespace(const std::string& name,
                       NamespacePolicies policies = {}) {
    auto view = files_->CreateNamespace(alice_, [&](NamespaceRecord& ns) {
      ns.name = name;
      ns.policies = policies;
      return absl::OkStatus();
    });
    ASSERT_TRUE(view.ok()) << view.status();
  }

  // Uploads `content` through the service: admission, stream, finish.
  absl::StatusOr<FileInfo> Upload(const Identity& caller, const std::string& ns,
                                  const std::string& path,
                                  const std::string& content,
                                  bool overwrite = false,
                                  std::optional<uint64_t> declared = {},
                                  const std::string& type = "") {
    UploadRequest request = Request(ns, path, overwrite, declared);
    auto admitted = files_->AdmitUpload(caller, request);
    if (!admitted.ok()) return admitted.status();
    auto stream = admitted->Open(type, nullptr);
    if (!stream.ok()) return stream.status();
    absl::Status appended = (*stream)->Append(content);
    if (!appended.ok()) return appended;
    return (*stream)->Finish();
  }

  std::string Read(const FileView& view) {
    auto reader = files_->Open(view, 0, view.file.size);
    EXPECT_TRUE(reader.ok()) << reader.status();
    std::string out(view.file.size, '\0');
    size_t at = 0;
    while (at < out.size()) {
      auto n = (*reader)->Read(out.data() + at, out.size() - at);
      if (!n.ok() || *n == 0) break;
      at += *n;
    }
    return out.substr(0, at);
  }

  static TestCluster* cluster_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<EmbeddedCatalog> catalog_;
  std::unique_ptr<FileService> files_;
  const Identity alice_ = User("alice");
};

TestCluster* FileServiceTest::cluster_ = nullptr;

TEST_F(FileServiceTest, UploadPolicies) {
  NamespacePolicies policies;
  policies.max_file_bytes = 10;
  policies.allowed_mime_types = {"text/*"};
  CreateNamespace("policies", policies);
  ASSERT_TRUE(Upload(alice_, "policies", "a.txt", "hello").ok());

  // Exists: refused at admission, before any byte.
  EXPECT_EQ(Upload(alice_, "policies", "a.txt", "again").status().code(),
            absl::StatusCode::kAlreadyExists);
  auto replaced = Upload(alice_, "policies", "a.txt", "again", true);
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  // Too large, declared (refused up front) and found on the way.
  EXPECT_EQ(
      ToHttpError(Upload(alice_, "policies", "b.txt", "x", false, 11).status())
          .status,
      413);
  EXPECT_EQ(
      ToHttpError(Upload(alice_, "policies", "b.txt", "0123456789x").status())
          .status,
      413);
  // A type the namespace does not take: declared, or by the file name.
  EXPECT_EQ(ToHttpError(
                Upload(alice_, "policies", "c.txt", "x", false, {}, "image/png")
                    .status())
                .status,
            415);
  EXPECT_EQ(
      ToHttpError(Upload(alice_, "policies", "c.png", "x").status()).status,
      415);
  // Nothing refused was stored.
  for (const char* path : {"b.txt", "c.txt", "c.png"}) {
    EXPECT_EQ(files_->Stat(alice_, "policies", path).status().code(),
              absl::StatusCode::kNotFound)
        << path;
  }
  auto view = files_->Stat(alice_, "policies", "a.txt");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(Read(*view), "again");
}

TEST_F(FileServiceTest, QuotaCountsOldVersionsAndReservations) {
  NamespacePolicies policies;
  policies.quota_bytes = 10;
  policies.keep_versions = 1;
  CreateNamespace("quota", policies);
  ASSERT_TRUE(Upload(alice_, "quota", "a", "12345").ok());
  // The replaced file stays as an old version and still counts.
  ASSERT_TRUE(Upload(alice_, "quota", "a", "1234", true).ok());
  // Refused on the way (no size declared), as a quota refusal.
  auto refused = Upload(alice_, "quota", "b", "12");
  EXPECT_EQ(ToHttpError(refused.status()).status, 507);
  EXPECT_EQ(ToHttpError(refused.status()).code, "quota_exceeded");
  // An open upload's declared size is reserved while it runs: the last
  // byte of the quota is taken until it ends.
  auto admitted = files_->AdmitUpload(alice_, Request("quota", "c", false, 1));
  ASSERT_TRUE(admitted.ok());
  auto stream = admitted->Open("", nullptr);
  ASSERT_TRUE(stream.ok());
  EXPECT_EQ(
      ToHttpError(Upload(alice_, "quota", "d", "1", false, 1).status()).status,
      507);
  stream->reset();  // abandoned: the reservation goes with it
  ASSERT_TRUE(Upload(alice_, "quota", "d", "1", false, 1).ok());
  auto listed = files_->ListNamespaces(alice_);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].usage.bytes, 5u);
  EXPECT_EQ((*listed)[0].usage.old_version_bytes, 5u);
  EXPECT_EQ((*listed)[0].usage.reserved_bytes, 0u);
}

TEST_F(FileServiceTest, AuthorizationOnEveryCall) {
  CreateNamespace("private");
  ASSERT_TRUE(Upload(alice_, "private", "f", "secret").ok());
  const Identity bob = User("bob");
  const Identity anonymous;
  for (const Identity& caller : {bob, anonymous}) {
    const absl::StatusCode refused = caller.anonymous()
                                         ? absl::StatusCode::kUnauthenticated
                                         : absl::StatusCode::kPermissionDenied;
    EXPECT_EQ(files_->Stat(caller, "private", "f").status().code(), refused);
    EXPECT_EQ(files_->List(caller, "private", {}).status().code(), refused);
    EXPECT_EQ(files_->ListVersions(caller, "private", "f").status().code(),
              refused);
    EXPECT_EQ(files_->Delete(caller, "private", "f").code(), refused);
    EXPECT_EQ(Upload(caller, "private", "g", "x").status().code(), refused);
    EXPECT_EQ(files_->DeleteNamespace(caller, "private").status().code(),
              refused);
    EXPECT_EQ(files_
                  ->UpdateNamespace(caller, "private",
                                    [](NamespaceRecord& ns) {
                                      ns.visibility = Visibility::kPublic;
                                      return absl::OkStatus();
                                    })
                  .status()
                  .code(),
              refused);
    auto listed = files_->ListNamespaces(caller);
    ASSERT_TRUE(listed.ok());
    EXPECT_TRUE(listed->empty());
  }
  EXPECT_EQ(files_
                ->CreateNamespace(anonymous,
                                  [](NamespaceRecord& ns) {
                                    ns.name = "mine";
                                    return absl::OkStatus();
                                  })
                .status()
                .code(),
            absl::StatusCode::kUnauthenticated);
  // Paths are validated before anything is looked up.
  EXPECT_EQ(files_->Stat(alice_, "private", "../f").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FileServiceTest, UpdatesKeepOwnerAndIncarnationAndNeverRename) {
  CreateNamespace("stable");
  auto before =
      files_->Authorize(alice_, "stable", NamespaceAccess::kUpdateNamespace);
  ASSERT_TRUE(before.ok());
  auto updated =
      files_->UpdateNamespace(alice_, "stable", [](NamespaceRecord& ns) {
        ns.owner_id = "mallory";
        ns.created_at = 1;
        ns.hidden = true;
        return absl::OkStatus();
      });
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->record.owner_id, "alice");
  EXPECT_EQ(updated->record.created_at, before->created_at);
  EXPECT_TRUE(updated->record.hidden);
  EXPECT_EQ(files_
                ->UpdateNamespace(alice_, "stable",
                                  [](NamespaceRecord& ns) {
                                    ns.name = "other";
                                    return absl::OkStatus();
                                  })
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FileServiceTest, ExpiredFilesAreGoneAndFreeTheirPath) {
  NamespacePolicies policies;
  policies.retention_days = 2;  // 2 s here
  CreateNamespace("expiring", policies);
  ASSERT_TRUE(Upload(alice_, "expiring", "f", "old").ok());
  ASSERT_TRUE(files_->Stat(alice_, "expiring", "f").ok());
  absl::SleepFor(absl::Seconds(2.5));
  EXPECT_EQ(files_->Stat(alice_, "expiring", "f").status().code(),
            absl::StatusCode::kNotFound);
  auto listing = files_->List(alice_, "expiring", {});
  ASSERT_TRUE(listing.ok());
  EXPECT_TRUE(listing->entries.empty());
  // Writable again without overwrite: it replaces exactly the expired file.
  ASSERT_TRUE(Upload(alice_, "expiring", "f", "new").ok());
  auto view = files_->Stat(alice_, "expiring", "f");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(Read(*view), "new");
}

TEST_F(FileServiceTest, ListingFoldsFoldersAndPages) {
  CreateNamespace("tree");
  for (const char* path : {"a.txt", "d/1", "d/2", "d/e/3", "z.txt"}) {
    ASSERT_TRUE(Upload(alice_, "tree", path, "x").ok()) << path;
  }
  ListRequest request;
  request.folders = true;
  auto listing = files_->List(alice_, "tree", request);
  ASSERT_TRUE(listing.ok());
  std::vector<std::string> names;
  for (const auto& entry : listing->entries) {
    names.push_back(entry.file ? entry.file->path : entry.folder);
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"/tree/a.txt", "d/", "/tree/z.txt"}));
  request = ListRequest();
  request.limit = 2;
  listing = files_->List(alice_, "tree", request);
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->entries.size(), 2u);
  EXPECT_EQ(listing->next_cursor, "d/1");
  request.cursor = listing->next_cursor;
  listing = files_->List(alice_, "tree", request);
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->entries[0].file->path, "/tree/d/2");
  request.limit = 1001;
  EXPECT_EQ(files_->List(alice_, "tree", request).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FileServiceTest, DeletedNamespaceStartsEmptyWhenCreatedAgain) {
  CreateNamespace("again");
  ASSERT_TRUE(Upload(alice_, "again", "f", "x").ok());
  // An upload admitted before the delete can no longer complete.
  auto admitted = files_->AdmitUpload(alice_, Request("again", "late"));
  ASSERT_TRUE(admitted.ok());
  auto stream = admitted->Open("", nullptr);
  ASSERT_TRUE(stream.ok());
  ASSERT_TRUE((*stream)->Append("late").ok());
  auto deleted = files_->DeleteNamespace(alice_, "again");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 1u);
  CreateNamespace("again");
  EXPECT_EQ(ToHttpError((*stream)->Finish().status()).status, 409);
  auto listing = files_->List(alice_, "again", {});
  ASSERT_TRUE(listing.ok());
  EXPECT_TRUE(listing->entries.empty());
  auto listed = files_->ListNamespaces(alice_);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ((*listed)[0].usage.files, 0u);
  EXPECT_EQ((*listed)[0].usage.reserved_bytes, 0u);
}

TEST_F(FileServiceTest, CopyAndMoveApplyTheDestinationsPolicies) {
  CreateNamespace("src");
  NamespacePolicies small;
  small.max_file_bytes = 4;
  small.allowed_mime_types = {"text/*"};
  CreateNamespace("small", small);
  ASSERT_TRUE(Upload(alice_, "src", "long.txt", "0123456789").ok());
  ASSERT_TRUE(Upload(alice_, "src", "a.png", "png").ok());
  ASSERT_TRUE(Upload(alice_, "src", "ok.txt", "ok").ok());
  auto status = [](const auto& result) {
    return ToHttpError(result.status()).status;
  };
  EXPECT_EQ(status(files_->Copy(alice_, {"src", "long.txt"}, {"small", "l.txt"},
                                0, false)),
            413);
  EXPECT_EQ(
      status(files_->Move(alice_, {"src", "a.png"}, {"small", "a.png"}, false)),
      415);
  auto copy =
      files_->Copy(alice_, {"src", "ok.txt"}, {"small", "ok.txt"}, 0, false);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(Read(*copy), "ok");
  EXPECT_EQ(status(files_->Copy(alice_, {"src", "ok.txt"}, {"small", "ok.txt"},
                                0, false)),
            409);
  EXPECT_TRUE(
      files_->Copy(alice_, {"src", "ok.txt"}, {"small", "ok.txt"}, 0, true)
          .ok());
  auto moved =
      files_->Move(alice_, {"src", "ok.txt"}, {"src", "renamed.txt"}, false);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(Read(*moved), "ok");
  EXPECT_EQ(files_->Stat(alice_, "src", "ok.txt").status().code(),
            absl::StatusCode::kNotFound);

  // Reading the source is not enough to copy into another's namespace, and
  // files move only between namespaces of one owner.
  const Identity bob = User("bob");
  ASSERT_TRUE(files_
                  ->CreateNamespace(bob,
                                    [](NamespaceRecord& ns) {
                                      ns.name = "bobs";
                                      ns.visibility = Visibility::kPublic;
                                      return absl::OkStatus();
                                    })
                  .ok());
  ASSERT_TRUE(Upload(bob, "bobs", "b.txt", "bob").ok());
  EXPECT_EQ(
      files_->Copy(bob, {"src", "renamed.txt"}, {"bobs", "x.txt"}, 0, false)
          .status()
          .code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(
      files_->Copy(alice_, {"bobs", "b.txt"}, {"src", "from-bob.txt"}, 0, false)
          .ok());
  EXPECT_EQ(files_->Move(alice_, {"bobs", "b.txt"}, {"src", "b.txt"}, false)
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);

  auto outcomes =
      files_->DeleteMany(alice_, "src", {"renamed.txt", "nope", "../x"});
  ASSERT_TRUE(outcomes.ok());
  ASSERT_EQ(outcomes->size(), 3u);
  EXPECT_TRUE((*outcomes)[0].ok());
  EXPECT_EQ((*outcomes)[1].code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*outcomes)[2].code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(files_->DeleteMany(bob, "src", {"a.png"}).status().code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace sfs::frontend

namespace sfs::frontend {
namespace {

// Signed URLs: signing takes the signer's rights now; the link then works
// for anyone, for its one file or path, and only for the namespace it was
// made in (not one created again under the name).
TEST_F(FileServiceTest, SignedGrants) {
  CreateNamespace("signed");
  ASSERT_TRUE(Upload(alice_, "signed", "a.txt", "alpha").ok());
  SignedGrant read;
  read.ns = "signed";
  read.path = "a.txt";
  EXPECT_TRUE(absl::IsPermissionDenied(
      files_->Sign(User("bob"), read, absl::Minutes(1), false).status()));
  EXPECT_TRUE(absl::IsNotFound(
      files_
          ->Sign(alice_, SignedGrant{read.action, "signed", 0, "none.txt"},
                 absl::Minutes(1), false)
          .status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      files_->Sign(alice_, read, FileService::kMaxSignedUrlLifetime * 2, false)
          .status()));
  auto token = files_->Sign(alice_, read, absl::Minutes(1), false);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_GE(token->expires_at, absl::ToUnixSeconds(absl::Now()) + 59);
  auto grant = files_->Redeem(token->token);
  ASSERT_TRUE(grant.ok()) << grant.status();
  auto view = files_->StatGranted(*grant);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(Read(*view), "alpha");
  // A read link uploads nothing.
  EXPECT_TRUE(absl::IsPermissionDenied(
      files_->AdmitGrantedUpload(*grant, UploadRequest()).status()));

  // An upload link: its own size limit, one upload, no overwrite.
  SignedGrant upload;
  upload.action = SignedGrant::Action::kUpload;
  upload.ns = "signed";
  upload.path = "b.txt";
  upload.max_bytes = 4;
  EXPECT_TRUE(absl::IsAlreadyExists(
      files_
          ->Sign(alice_, SignedGrant{upload.action, "signed", 0, "a.txt"},
                 absl::Minutes(1), true)
          .status()));
  auto upload_token = files_->Sign(alice_, upload, absl::Minutes(1), true);
  ASSERT_TRUE(upload_token.ok()) << upload_token.status();
  auto upload_grant = files_->Redeem(upload_token->token);
  ASSERT_TRUE(upload_grant.ok());
  auto Put = [&](const std::string& content) -> absl::Status {
    auto admitted = files_->AdmitGrantedUpload(*upload_grant, UploadRequest());
    if (!admitted.ok()) return admitted.status();
    auto stream = admitted->Open("", nullptr);
    if (!stream.ok()) return stream.status();
    if (absl::Status s = (*stream)->Append(content); !s.ok()) return s;
    return (*stream)->Finish().status();
  };
  EXPECT_EQ(ToHttpError(Put("12345")).status, 413);  // failed: link kept
  ASSERT_TRUE(Put("1234").ok());
  EXPECT_EQ(ToHttpError(Put("12")).status, 409);  // used
  auto stored = files_->Stat(alice_, "signed", "b.txt");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(Read(*stored), "1234");

  // The namespace deleted and created again: the old links are dead.
  ASSERT_TRUE(files_->DeleteNamespace(alice_, "signed").ok());
  CreateNamespace("signed");
  ASSERT_TRUE(Upload(alice_, "signed", "a.txt", "other").ok());
  EXPECT_TRUE(absl::IsNotFound(files_->StatGranted(*grant).status()));
}

}  // namespace
}  // namespace sfs::frontend
