// Transfer progress for /sse/progress, shared by every frontend replica.
//
// Reporters publish events through Catalog::PublishProgress; the hub
// subscribes to the catalog and keeps the latest event of every transfer, so
// a watcher on any replica (PostgreSQL fans events out with LISTEN/NOTIFY)
// sees uploads that go through any other replica, and a late watcher gets
// the current state at once. Finished transfers are remembered for
// `finished_retention` so a watcher that connects after the end still sees
// `done`; transfers silent for `stalled_retention` are forgotten.
//
// Thread-safety: every method may be called concurrently. Destroy the hub
// before its catalog.
#ifndef SFS_FRONTEND_SERVER_PROGRESS_HUB_H_
#define SFS_FRONTEND_SERVER_PROGRESS_HUB_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sfs-frontend/catalog/catalog.h"

namespace sfs::frontend {

struct ProgressEvent {
  std::string id;
  std::string direction;  // "upload" or "download"
  uint64_t bytes = 0;
  uint64_t total = 0;  // 0 when unknown
  bool done = false;
  std::string error;  // set with done when the transfer failed

  std::string ToJson() const;
  static absl::StatusOr<ProgressEvent> FromJson(const std::string& json);
};

struct ProgressHubOptions {
  absl::Duration finished_retention = absl::Minutes(10);
  absl::Duration stalled_retention = absl::Hours(1);
};

class ProgressHub {
 public:
  ProgressHub(Catalog* catalog, ProgressHubOptions options = {});
  ~ProgressHub();

  // Publishes to every replica, this one included.
  absl::Status Publish(const ProgressEvent& event);

  // Blocks until transfer `id` has an event newer than `*seen` (0 before the
  // first), `timeout` passes, or Shutdown is called. Returns the event and
  // advances `*seen`, or nullopt.
  std::optional<ProgressEvent> WaitForNext(const std::string& id,
                                           uint64_t* seen,
                                           absl::Duration timeout);

  // Wakes every waiter for good; later waits return at once. For draining.
  void Shutdown();
  bool shut_down();

 private:
  struct Entry {
    ProgressEvent event;
    uint64_t sequence = 0;  // the hub-wide sequence of its last update
    absl::Time updated;
  };

  void OnEvent(const std::string& json);
  void ForgetOldLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Catalog* const catalog_;
  const ProgressHubOptions options_;
  absl::Mutex mu_;
  std::map<std::string, Entry> transfers_ ABSL_GUARDED_BY(mu_);
  uint64_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  // Declared last: unsubscribed first, so no callback runs into a dead hub.
  std::unique_ptr<ProgressSubscription> subscription_;
};

// Publishes one transfer's progress at a sensible rate: the first event at
// once, then whenever 1 % of the total or 500 ms has passed, then exactly one
// final event with done. Publishing errors are dropped: progress is advisory
// and must never fail a transfer. Not thread-safe; one per transfer. A null
// hub or empty id makes every call a no-op.
class ProgressReporter {
 public:
  ProgressReporter(ProgressHub* hub, std::string id, std::string direction,
                   uint64_t total);
  // Reports a failure if Finish was never called.
  ~ProgressReporter();

  void Update(uint64_t bytes);
  void Finish(uint64_t bytes, const std::string& error = "");

 private:
  void Send(bool done);

  ProgressHub* const hub_;
  ProgressEvent event_;
  uint64_t sent_bytes_ = 0;
  absl::Time sent_at_ = absl::InfinitePast();
  bool finished_ = false;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_PROGRESS_HUB_H_
