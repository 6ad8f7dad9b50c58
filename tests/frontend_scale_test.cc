// sfs-frontend at scale and across replicas: many concurrent 100 MiB
// transfers within a memory bound, and progress watched on one replica for
// an upload through another, over a real PostgreSQL catalog.
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/checksum.h"
#include "gtest/gtest.h"
#include "sfs-frontend/catalog/testing/catalog_stores.h"
#include "tests/frontend_http.h"
#include "tests/frontend_server.h"
#include "tests/test_cluster.h"

namespace sfs {
namespace {

TEST(FrontendScaleTest, TwentyConcurrentHundredMiBTransfersInBoundedMemory) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start().ok());
  FrontendServer server(TestFrontendOptions(cluster));
  ASSERT_TRUE(server.Start().ok());
  ASSERT_EQ(CreateTestNamespace(server, "load"), 201);

  constexpr int kTransfers = 20;
  constexpr uint64_t kSize = 100 * kMiB;
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

TEST(FrontendScaleTest, ProgressCrossesReplicasThroughPostgres) {
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
  ProgressWatch watch(b.port(), "cross-1");
  auto client = a.NewClient();
  auto res = UploadPattern(*client, "/storage/shared/x.bin?id=cross-1",
                           TestJwt("alice"), 5, size, /*multipart=*/true,
                           {{"X-File-Size", std::to_string(size)}});
  ASSERT_EQ(res->status, 201);
  ExpectCompleteUploadProgress(watch.Events(), size, 40);
  // A late watcher on B still gets the final state at once.
  std::vector<std::string> late = WatchProgress(b.port(), "cross-1");
  ASSERT_EQ(late.size(), 1u);
  EXPECT_TRUE(nlohmann::json::parse(late[0])["done"].get<bool>());
}

}  // namespace
}  // namespace sfs
