// Races between uploads, and between uploads and namespace deletes, across
// two sfs-frontend replicas sharing a PostgreSQL catalog: the master keeps
// the invariants (conditional completion, quota reservations, namespace
// tombstones) however the requests interleave. And namespace usage comes
// from the master's counters, never from scanning files.
#include <httplib.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "sfs-frontend/catalog/testing/catalog_stores.h"
#include "tests/frontend_http.h"
#include "tests/frontend_server.h"
#include "tests/test_cluster.h"

namespace sfs {
namespace {

using nlohmann::json;

// An upload whose body stops after its first 64 KiB until Release(), run on
// a thread of its own: while it waits, the frontend has admitted it (it
// reported progress) and holds it open.
class GatedUpload {
 public:
  GatedUpload(const FrontendServer& server, std::string path, uint64_t seed,
              uint64_t size, std::string transfer_id)
      : port_(server.port()), transfer_id_(std::move(transfer_id)) {
    thread_ = std::thread([this, &server, path = std::move(path), seed, size] {
      auto client = server.NewClient();
      httplib::Headers headers = Bearer(TestJwt("alice"));
      headers.emplace("X-Transfer-Id", transfer_id_);
      auto res = client->Post(
          path, headers, size,
          [this, seed, size](size_t offset, size_t length,
                             httplib::DataSink& sink) {
            if (offset >= kHead) gate_.WaitForNotification();
            uint64_t n = std::min<uint64_t>(
                {length, kMiB, offset < kHead ? kHead - offset : size});
            std::string piece = Pattern(seed, offset, n);
            return sink.write(piece.data(), piece.size());
          },
          "application/octet-stream");
      status_ = res ? res->status : -1;
      body_ = res ? res->body : httplib::to_string(res.error());
    });
  }
  ~GatedUpload() {
    Release();
    thread_.join();
  }

  // Waits until the frontend reported the upload's start: it passed every
  // check made before the body is read.
  void WaitUntilAdmitted() {
    std::vector<std::string> first;
    httplib::Client watcher("127.0.0.1", port_);
    watcher.set_read_timeout(60, 0);
    std::string buffer;
    watcher.Get("/sse/progress?id=" + transfer_id_, Bearer(TestJwt("alice")),
                [&](const char* data, size_t n) {
                  buffer.append(data, n);
                  return buffer.find("data: ") == std::string::npos;
                });
    ASSERT_NE(buffer.find("data: "), std::string::npos) << transfer_id_;
  }
  void Release() {
    if (!gate_.HasBeenNotified()) gate_.Notify();
  }
  // The HTTP status once the upload ended.
  int Finish() {
    Release();
    thread_.join();
    thread_ = std::thread([] {});
    return status_;
  }
  const std::string& body() const { return body_; }

 private:
  static constexpr uint64_t kHead = 64 << 10;
  const int port_;
  const std::string transfer_id_;
  absl::Notification gate_;
  std::atomic<int> status_{0};
  std::string body_;
  std::thread thread_;
};

class FrontendRaceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto replicas = ReplicaPair::Start();
    ASSERT_TRUE(replicas.ok()) << replicas.status();
    replicas_ = replicas->release();
    cluster_ = replicas_->cluster.get();
    a_ = replicas_->a.get();
    b_ = replicas_->b.get();
  }
  static void TearDownTestSuite() { delete replicas_; }

  static int CreateNamespace(const FrontendServer& server,
                             const std::string& name,
                             const std::string& extra = "") {
    auto res = server.NewClient()->Post(
        "/storage/namespaces", Bearer(TestJwt("alice")),
        absl::StrCat("{\"name\":\"", name, "\"", extra, "}"),
        "application/json");
    return res ? res->status : -1;
  }
  // The namespace JSON of `name` as `server` lists it.
  static json ListedNamespace(const FrontendServer& server,
                              const std::string& name) {
    auto res = server.NewClient()->Get("/storage/namespaces",
                                       Bearer(TestJwt("alice")));
    EXPECT_EQ(res->status, 200);
    for (const json& ns : json::parse(res->body)) {
      if (ns["name"] == name) return ns;
    }
    return json();
  }
  static json ListedFiles(const FrontendServer& server, const std::string& ns) {
    auto res = server.NewClient()->Get("/storage/files?namespace=" + ns,
                                       Bearer(TestJwt("alice")));
    EXPECT_EQ(res->status, 200) << res->body;
    return json::parse(res->body);
  }

  static inline ReplicaPair* replicas_ = nullptr;
  static inline TestCluster* cluster_ = nullptr;
  static inline FrontendServer* a_ = nullptr;
  static inline FrontendServer* b_ = nullptr;
};

// Eight uploads, four through each replica, into a namespace whose quota
// fits four: exactly four are stored and the usage is what they store,
// whether the size is declared up front (reserved at once) or learned as
// the data arrives (reserved as chunks are committed).
TEST_F(FrontendRaceTest, ParallelUploadsNeverOvershootTheQuota) {
  constexpr int kUploads = 8;
  constexpr uint64_t kSize = 2 * kMiB;
  for (bool declared : {true, false}) {
    SCOPED_TRACE(declared ? "declared sizes" : "sizes learned on the way");
    const std::string ns = declared ? "quota-declared" : "quota-streamed";
    ASSERT_EQ(
        CreateNamespace(*a_, ns, absl::StrCat(",\"quota_bytes\":", 9 * kMiB)),
        201);
    std::vector<int> statuses(kUploads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kUploads; ++i) {
      threads.emplace_back([&, i] {
        const FrontendServer& server = i % 2 == 0 ? *a_ : *b_;
        auto client = server.NewClient();
        auto res =
            UploadPattern(*client, absl::StrCat("/storage/", ns, "/f", i),
                          TestJwt("alice"), i, kSize,
                          /*multipart=*/!declared);
        statuses[i] = res ? res->status : -1;
        // Streamed uploads all pass the frontend's early check: the master
        // refuses them, and that refusal must still read as the quota's.
        if (res && res->status == 507) {
          EXPECT_NE(res->body.find("quota_exceeded"), std::string::npos)
              << res->body;
        }
      });
    }
    for (std::thread& t : threads) t.join();
    int stored = 0;
    for (int status : statuses) {
      EXPECT_TRUE(status == 201 || status == 507) << status;
      stored += status == 201 ? 1 : 0;
    }
    EXPECT_EQ(stored, 4);
    json listed = ListedNamespace(*b_, ns);
    EXPECT_EQ(listed["count"], stored) << listed;
    EXPECT_EQ(listed["bytes"], stored * kSize) << listed;
    EXPECT_EQ(ListedFiles(*a_, ns).size(), static_cast<size_t>(stored));
  }
}

// Two creates of one path without overwrite, one through each replica, both
// past the existence check before either completes: exactly one wins.
TEST_F(FrontendRaceTest, ConcurrentCreatesOfOnePathHaveOneWinner) {
  ASSERT_EQ(CreateNamespace(*a_, "one-winner"), 201);
  const uint64_t size = 3 * kMiB;
  GatedUpload first(*a_, "/storage/one-winner/same.bin", 1, size, "win-a");
  GatedUpload second(*b_, "/storage/one-winner/same.bin", 2, size, "win-b");
  first.WaitUntilAdmitted();
  second.WaitUntilAdmitted();
  const int first_status = first.Finish();
  const int second_status = second.Finish();
  EXPECT_EQ(first_status, 201) << first.body();
  EXPECT_EQ(second_status, 409) << second.body();
  uint64_t got = 0;
  auto client = b_->NewClient();
  EXPECT_EQ(DownloadSha256(*client, "/storage/one-winner/same.bin",
                           TestJwt("alice"), &got),
            PatternSha256(1, size));
  json listed = ListedNamespace(*a_, "one-winner");
  EXPECT_EQ(listed["count"], 1);
  EXPECT_EQ(listed["bytes"], size);
}

// Uploads admitted into a namespace that is deleted and created again
// before they finish never land in the new one.
TEST_F(FrontendRaceTest, NamespaceDeletedDuringUploadsIsEmptyWhenCreatedAgain) {
  ASSERT_EQ(CreateNamespace(*a_, "reborn"), 201);
  ASSERT_EQ(UploadPattern(*a_->NewClient(), "/storage/reborn/old.bin",
                          TestJwt("alice"), 9, kMiB, false)
                ->status,
            201);
  std::vector<std::unique_ptr<GatedUpload>> uploads;
  for (int i = 0; i < 4; ++i) {
    const FrontendServer& server = i % 2 == 0 ? *a_ : *b_;
    uploads.push_back(std::make_unique<GatedUpload>(
        server, absl::StrCat("/storage/reborn/f", i), i, 3 * kMiB,
        absl::StrCat("reborn-", i)));
  }
  for (auto& upload : uploads) upload->WaitUntilAdmitted();
  auto deleted = b_->NewClient()->Delete("/storage/namespaces/reborn",
                                         Bearer(TestJwt("alice")));
  ASSERT_EQ(deleted->status, 200) << deleted->body;
  EXPECT_EQ(json::parse(deleted->body)["files"], 1);
  ASSERT_EQ(CreateNamespace(*b_, "reborn"), 201);
  for (auto& upload : uploads) {
    EXPECT_EQ(upload->Finish(), 409) << upload->body();
  }
  EXPECT_TRUE(ListedFiles(*a_, "reborn").empty());
  json listed = ListedNamespace(*a_, "reborn");
  EXPECT_EQ(listed["count"], 0) << listed;
  EXPECT_EQ(listed["bytes"], 0) << listed;
  // The new namespace takes uploads as any other.
  EXPECT_EQ(UploadPattern(*a_->NewClient(), "/storage/reborn/new.bin",
                          TestJwt("alice"), 10, kMiB, false)
                ->status,
            201);
  EXPECT_EQ(ListedNamespace(*b_, "reborn")["count"], 1);
}

// Listing namespaces and checking quotas read the master's counters: with
// 10,000 files in a namespace, neither counts a single file record.
TEST_F(FrontendRaceTest, NamespaceUsageNeverScansFiles) {
  constexpr int kFiles = 10000;
  ASSERT_EQ(CreateNamespace(*a_, "many", ",\"quota_bytes\":1000000"), 201);
  std::unique_ptr<Client> client = cluster_->NewClient();
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kFiles; i += 16) {
        // Empty files: metadata only, which is what is being counted.
        auto writer = client->Create(absl::StrCat("/many/f", i));
        if (!writer.ok() || !(*writer)->Close().ok()) {
          ++failed;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(failed.load(), 0);
  auto scanned = [&] {
    auto status = client->Status();
    EXPECT_TRUE(status.ok());
    return status->usage_records_scanned;
  };
  const uint64_t before = scanned();
  json listed = ListedNamespace(*a_, "many");
  EXPECT_EQ(listed["count"], kFiles);
  EXPECT_EQ(listed["bytes"], 0);
  EXPECT_EQ(UploadPattern(*b_->NewClient(), "/storage/many/quota-checked.bin",
                          TestJwt("alice"), 3, 1000, false)
                ->status,
            201);
  EXPECT_EQ(ListedNamespace(*b_, "many")["count"], kFiles + 1);
  EXPECT_EQ(scanned(), before);
  // The counter does count real scans: a prefix inside the namespace.
  ASSERT_TRUE(client->Usage("/many/f1").ok());
  EXPECT_GT(scanned(), before);
}

}  // namespace
}  // namespace sfs
