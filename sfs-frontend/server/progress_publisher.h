// Hands progress events to Catalog::PublishProgress on a thread of its own,
// so a transfer never waits for the catalog: with PostgreSQL each event is a
// NOTIFY round trip on a small shared pool, which a transfer reporting every
// 64 KiB must not pay inline.
//
// Events of one transfer are published in the order queued. Up to
// kMaxQueuedPerTransfer of them wait unsent; beyond that (a catalog slower
// than the transfer) a new progress event replaces the newest queued one, so
// memory stays bounded however slow the catalog is, and a final (done) event
// is never replaced. Publishing errors are dropped: progress is advisory.
//
// Thread-safety: every method may be called concurrently. The catalog must
// outlive the publisher; destroying it publishes what is queued first.
#ifndef SFS_FRONTEND_SERVER_PROGRESS_PUBLISHER_H_
#define SFS_FRONTEND_SERVER_PROGRESS_PUBLISHER_H_

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sfs-frontend/catalog/catalog.h"

namespace sfs::frontend {

class ProgressPublisher {
 public:
  // Events go to `catalog`, one at a time, from the publisher's thread.
  explicit ProgressPublisher(Catalog* catalog);
  ~ProgressPublisher();

  static constexpr size_t kMaxQueuedPerTransfer = 64;

  // Queues `json_event` of transfer `id`; `done` marks its final event.
  // Returns at once.
  void Publish(const std::string& id, std::string json_event, bool done);

  // Blocks until every event queued for `id` so far has been handed to the
  // catalog, or `timeout` passes; false then.
  bool WaitUntilPublished(const std::string& id, absl::Duration timeout);

 private:
  struct Queued {
    std::string json;
    bool done;
  };

  void Run();

  Catalog* const catalog_;
  absl::Mutex mu_;
  std::map<std::string, std::deque<Queued>> queued_ ABSL_GUARDED_BY(mu_);
  // Transfers with queued events, oldest first: each appears once.
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);
  // The transfer whose events are being handed over right now.
  std::optional<std::string> in_flight_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_PROGRESS_PUBLISHER_H_
