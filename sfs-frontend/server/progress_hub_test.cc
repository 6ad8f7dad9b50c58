#include "sfs-frontend/server/progress_hub.h"

#include "gtest/gtest.h"
#include "sfs-frontend/catalog/testing/catalog_stores.h"

namespace sfs::frontend {
namespace {

class ProgressHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto open = NewOpenCatalog(CatalogKind::kEmbedded);
    ASSERT_TRUE(open.ok()) << open.status();
    open_ = std::move(*open);
    hub_ = std::make_unique<ProgressHub>(open_.catalog.get());
  }

  OpenTestCatalog open_;
  std::unique_ptr<ProgressHub> hub_;
};

TEST_F(ProgressHubTest, ReporterSendsFirstThrottledAndOneFinalEvent) {
  {
    ProgressReporter reporter(hub_.get(), "t1", "upload", 1000);
    for (uint64_t b = 1; b <= 1000; ++b) reporter.Update(b);
    reporter.Finish(1000);
  }
  uint64_t seen = 0;
  auto last = hub_->WaitForNext("t1", &seen, absl::ZeroDuration());
  ASSERT_TRUE(last.has_value());
  EXPECT_TRUE(last->done);
  EXPECT_EQ(last->bytes, 1000u);
  EXPECT_EQ(last->total, 1000u);
  EXPECT_TRUE(last->error.empty());
  // A late watcher gets the final state once, then nothing newer.
  EXPECT_FALSE(hub_->WaitForNext("t1", &seen, absl::Milliseconds(10)));
}

TEST_F(ProgressHubTest, ReusedIdStartsAfreshButLateEventsDoNotUndoDone) {
  ASSERT_TRUE(hub_->Publish({"t3", "upload", 10, 10, true, ""}).ok());
  ASSERT_TRUE(hub_->Publish({"t3", "upload", 5, 10, false, ""}).ok());
  uint64_t seen = 0;
  auto state = hub_->WaitForNext("t3", &seen, absl::ZeroDuration());
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->done);
  ASSERT_TRUE(hub_->Publish({"t3", "upload", 0, 20, false, ""}).ok());
  state = hub_->WaitForNext("t3", &seen, absl::ZeroDuration());
  ASSERT_TRUE(state.has_value());
  EXPECT_FALSE(state->done);
  EXPECT_EQ(state->total, 20u);
}

TEST_F(ProgressHubTest, AbandonedTransferEndsWithAnError) {
  { ProgressReporter reporter(hub_.get(), "t2", "download", 10); }
  uint64_t seen = 0;
  auto last = hub_->WaitForNext("t2", &seen, absl::ZeroDuration());
  ASSERT_TRUE(last.has_value());
  EXPECT_TRUE(last->done);
  EXPECT_FALSE(last->error.empty());
}

TEST_F(ProgressHubTest, ShutdownWakesWaiters) {
  hub_->Shutdown();
  uint64_t seen = 0;
  absl::Time start = absl::Now();
  EXPECT_FALSE(hub_->WaitForNext("none", &seen, absl::Seconds(10)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(ProgressEventTest, JsonRoundTrip) {
  ProgressEvent event{"id-1", "upload", 5, 10, true, "boom"};
  auto decoded = ProgressEvent::FromJson(event.ToJson());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->ToJson(), event.ToJson());
  EXPECT_FALSE(ProgressEvent::FromJson("[1]").ok());
  EXPECT_FALSE(ProgressEvent::FromJson("{\"id\":1}").ok());
}

}  // namespace
}  // namespace sfs::frontend
