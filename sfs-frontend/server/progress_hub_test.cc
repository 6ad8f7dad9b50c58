#include "sfs-frontend/server/progress_hub.h"

#include <thread>

#include "absl/strings/str_cat.h"
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
  uint64_t seen = hub_->StartPosition("t1");
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
  // One at a time: queued together, the publisher would keep only the done.
  auto publish = [&](ProgressEvent event) {
    hub_->Publish(event);
    ASSERT_TRUE(hub_->WaitUntilPublished(event.id, absl::Seconds(10)));
  };
  publish({"t3", "upload", 10, 10, true, ""});
  publish({"t3", "upload", 5, 10, false, ""});
  uint64_t seen = hub_->StartPosition("t3");
  auto state = hub_->WaitForNext("t3", &seen, absl::ZeroDuration());
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->done);
  publish({"t3", "upload", 0, 20, false, ""});
  state = hub_->WaitForNext("t3", &seen, absl::ZeroDuration());
  ASSERT_TRUE(state.has_value());
  EXPECT_FALSE(state->done);
  EXPECT_EQ(state->total, 20u);
}

// What the original service's clients rely on: at least one event per
// max(64 KiB, 1 %), monotonic, and the final count before done.
TEST_F(ProgressHubTest, ReporterSendsEveryStepAndTheFinalCountBeforeDone) {
  // Not a multiple of the step: the final count needs an event of its own.
  const uint64_t total = (3 << 20) + 1000;
  ProgressReporter reporter(hub_.get(), "t4", "upload", total);
  ASSERT_TRUE(hub_->WaitUntilPublished("t4", absl::Seconds(10)));
  // The watcher is registered (it has seen the first event) before the
  // transfer moves; from then on it sees every event however fast they
  // come, since they stay within the publisher's queue and the hub's
  // history.
  uint64_t seen = hub_->StartPosition("t4");
  std::vector<ProgressEvent> watched;
  auto first = hub_->WaitForNext("t4", &seen, absl::Seconds(10));
  ASSERT_TRUE(first.has_value());
  watched.push_back(*first);
  std::thread watcher([&] {
    while (!watched.back().done) {
      auto event = hub_->WaitForNext("t4", &seen, absl::Seconds(10));
      if (!event.has_value()) return;
      watched.push_back(*event);
    }
  });
  for (uint64_t b = 4096; b < total; b += 4096) reporter.Update(b);
  reporter.Update(total);
  reporter.Finish(total);
  watcher.join();
  // The first event, one per 64 KiB (1 % is less), the final count, done.
  ASSERT_GE(watched.size(), 51u);
  for (size_t i = 1; i < watched.size(); ++i) {
    EXPECT_GE(watched[i].bytes, watched[i - 1].bytes) << i;
  }
  ASSERT_TRUE(watched.back().done);
  const ProgressEvent& last = watched[watched.size() - 2];
  EXPECT_FALSE(last.done);
  EXPECT_EQ(last.bytes, total);
  EXPECT_EQ(last.total, total);
}

TEST_F(ProgressHubTest, AbandonedTransferEndsWithAnError) {
  { ProgressReporter reporter(hub_.get(), "t2", "download", 10); }
  uint64_t seen = hub_->StartPosition("t2");
  auto last = hub_->WaitForNext("t2", &seen, absl::ZeroDuration());
  ASSERT_TRUE(last.has_value());
  EXPECT_TRUE(last->done);
  EXPECT_FALSE(last->error.empty());
}

TEST_F(ProgressHubTest, ShutdownWakesWaiters) {
  hub_->Shutdown();
  uint64_t seen = hub_->StartPosition("none");
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

// A hub with small bounds, fed one event per key.
class ProgressHubBoundsTest : public ::testing::Test {
 protected:
  void Start(ProgressHubOptions options) {
    auto open = NewOpenCatalog(CatalogKind::kEmbedded);
    ASSERT_TRUE(open.ok()) << open.status();
    open_ = std::move(*open);
    hub_ = std::make_unique<ProgressHub>(open_.catalog.get(), options);
  }
  void Publish(const std::string& key) {
    hub_->Publish({key, "upload", 1, 10, false, ""});
    ASSERT_TRUE(hub_->WaitUntilPublished(key, absl::Seconds(10)));
  }
  bool Known(const std::string& key) {
    uint64_t seen = 0;
    return hub_->WaitForNext(key, &seen, absl::ZeroDuration()).has_value();
  }

  OpenTestCatalog open_;
  std::unique_ptr<ProgressHub> hub_;
};

TEST_F(ProgressHubBoundsTest, RemembersAtMostMaxTransfers) {
  ProgressHubOptions options;
  options.max_transfers = 3;
  Start(options);
  for (int i = 0; i < 5; ++i) Publish(absl::StrCat("t", i));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Known(absl::StrCat("t", i)), i >= 2) << i;
  }
}

TEST_F(ProgressHubBoundsTest, OneOwnerCannotPushOutAnothersTransfers) {
  ProgressHubOptions options;
  options.max_transfers_per_owner = 2;
  Start(options);
  Publish("alice/a1");
  // "alice0" sorts right after "alice/": a neighbour, not the same owner.
  Publish("alice0/x");
  for (int i = 0; i < 5; ++i) Publish(absl::StrCat("@10.0.0.9/flood-", i));
  EXPECT_TRUE(Known("alice/a1"));
  EXPECT_TRUE(Known("alice0/x"));
  EXPECT_FALSE(Known("@10.0.0.9/flood-2"));
  EXPECT_TRUE(Known("@10.0.0.9/flood-3"));
  EXPECT_TRUE(Known("@10.0.0.9/flood-4"));
}

}  // namespace
}  // namespace sfs::frontend
