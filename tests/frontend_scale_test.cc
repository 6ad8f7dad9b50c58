// sfs-frontend at scale and across replicas: many concurrent 100 MiB
// transfers within a memory bound, and progress watched on one replica for
// an upload through another, over a real PostgreSQL catalog.
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/checksum.h"
#include "gtest/gtest.h"
#include "sfs-frontend/catalog/testing/catalog_stores.h"
#include "tests/frontend_http.h"
#include "tests/frontend_server.h"
#include "tests/test_cluster.h"

namespace sfs {
namespace {

constexpr int kTransfers = 20;
constexpr uint64_t kSize = 100 * kMiB;

// A cluster and one frontend of its own, with namespace "load", per test:
// a frontend's peak RSS then tells of that test's load alone.
class FrontendScaleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cluster_.Start().ok());
    server_ = std::make_unique<FrontendServer>(TestFrontendOptions(cluster_));
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_EQ(CreateTestNamespace(*server_, "load"), 201);
  }

  TestCluster cluster_;
  std::unique_ptr<FrontendServer> server_;
};

TEST_F(FrontendScaleTest, TwentyConcurrentHundredMiBTransfersInBoundedMemory) {
  FrontendServer& server = *server_;
  const std::string alice = TestJwt("alice");
  std::vector<std::string> etags(kTransfers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kTransfers; ++i) {
    threads.emplace_back([&, i] {
      auto client = server.NewClient();
      auto res = UploadPattern(*client, absl::StrCat("/storage/load/f", i),
                               alice, i, kSize, /*multipart=*/i % 2 == 1);
      if (res && res->status == 201) {
        etags[i] = nlohmann::json::parse(res->body)["etag"];
      } else {
        ADD_FAILURE() << "upload " << i << ": "
                      << (res ? absl::StrCat(res->status, " ", res->body)
                              : httplib::to_string(res.error()));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  threads.clear();
  const long upload_peak_kib = server.PeakRssKib();
  std::vector<std::string> downloaded(kTransfers);
  std::vector<uint64_t> sizes(kTransfers);
  for (int i = 0; i < kTransfers; ++i) {
    threads.emplace_back([&, i] {
      auto client = server.NewClient();
      downloaded[i] = DownloadSha256(
          *client, absl::StrCat("/storage/load/f", i), alice, &sizes[i]);
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kTransfers; ++i) {
    EXPECT_EQ(etags[i], PatternSha256(i, kSize)) << "upload " << i;
    EXPECT_EQ(downloaded[i], etags[i]) << "download " << i;
    EXPECT_EQ(sizes[i], kSize);
  }
  long peak_kib = server.PeakRssKib();
  printf(
      "frontend peak RSS: %ld MiB after %d x 100 MiB up, %ld MiB after "
      "as many down\n",
      upload_peak_kib / 1024, kTransfers, peak_kib / 1024);
  EXPECT_GT(peak_kib, 0);
  EXPECT_LT(peak_kib, 256 * 1024);
}

// The same load over TUS (/storage/uploads): each upload in four appends,
// the frontend holding no more per transfer than for a plain upload.
TEST_F(FrontendScaleTest, TwentyConcurrentResumableUploadsInTheSameBound) {
  FrontendServer& server = *server_;
  constexpr uint64_t kPiece = kSize / 4;
  httplib::Headers tus = Bearer(TestJwt("alice"));
  tus.emplace("Tus-Resumable", "1.0.0");
  std::vector<std::thread> threads;
  for (int i = 0; i < kTransfers; ++i) {
    threads.emplace_back([&, i] {
      auto client = server.NewClient();
      httplib::Headers create = tus;
      create.emplace("Upload-Length", absl::StrCat(kSize));
      create.emplace(
          "Upload-Metadata",
          absl::StrCat("namespace ", absl::Base64Escape("load"), ",filename ",
                       absl::Base64Escape(absl::StrCat("r", i))));
      auto created = client->Post("/storage/uploads", create, "", "text/plain");
      if (!created || created->status != 201) {
        ADD_FAILURE() << "create " << i;
        return;
      }
      const std::string location = created->get_header_value("Location");
      for (uint64_t at = 0; at < kSize; at += kPiece) {
        httplib::Headers patch = tus;
        patch.emplace("Upload-Offset", absl::StrCat(at));
        auto res = client->Patch(
            location, patch, kPiece,
            [&, at](size_t offset, size_t length, httplib::DataSink& sink) {
              std::string piece =
                  Pattern(i, at + offset, std::min<uint64_t>(length, kMiB));
              return sink.write(piece.data(), piece.size());
            },
            "application/offset+octet-stream");
        if (!res || res->status != 204) {
          ADD_FAILURE() << "append " << i << " at " << at << ": "
                        << (res ? absl::StrCat(res->status, " ", res->body)
                                : httplib::to_string(res.error()));
          return;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  auto client = cluster_.NewClient();
  for (int i = 0; i < kTransfers; ++i) {
    auto file = client->Stat(absl::StrCat("/load/r", i));
    ASSERT_TRUE(file.ok()) << file.status();
    EXPECT_EQ(file->sha256, PatternSha256(i, kSize)) << "upload " << i;
  }
  const long peak_kib = server.PeakRssKib();
  printf("frontend peak RSS: %ld MiB after %d x 100 MiB resumable uploads\n",
         peak_kib / 1024, kTransfers);
  EXPECT_GT(peak_kib, 0);
  EXPECT_LT(peak_kib, 256 * 1024);
}

TEST(FrontendReplicaProgressTest, ProgressCrossesReplicasThroughPostgres) {
  auto database = frontend::NewPostgresDatabase();
  ASSERT_TRUE(database.ok()) << database.status();
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start().ok());
  FrontendServer a(TestFrontendOptions(cluster, "frontend-a", *database));
  FrontendServer b(TestFrontendOptions(cluster, "frontend-b", *database));
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  ASSERT_EQ(CreateTestNamespace(a, "shared"), 201);
  // The namespace record is shared too: B sees what A created.
  EXPECT_EQ(
      b.NewClient()
          ->Get("/storage/files?namespace=shared", Bearer(TestJwt("alice")))
          ->status,
      200);

  // As the original web UI uploads: multipart, `?id=`, X-File-Size. Every
  // max(64 KiB, 1 %) of 3 MiB is 48 events, all of which cross PostgreSQL.
  const uint64_t size = 3 * kMiB;
  ProgressWatch watch(b.port(), "cross-1", TestJwt("alice"));
  auto client = a.NewClient();
  auto res = UploadPattern(*client, "/storage/shared/x.bin?id=cross-1",
                           TestJwt("alice"), 5, size, /*multipart=*/true,
                           {{"X-File-Size", std::to_string(size)}});
  ASSERT_EQ(res->status, 201);
  ExpectCompleteUploadProgress(watch.Events(), size, 40);
  // A late watcher on B still gets the final state at once.
  std::vector<std::string> late =
      WatchProgress(b.port(), "cross-1", TestJwt("alice"));
  ASSERT_EQ(late.size(), 1u);
  EXPECT_TRUE(nlohmann::json::parse(late[0])["done"].get<bool>());
}

}  // namespace
}  // namespace sfs
