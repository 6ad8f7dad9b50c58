// Transfer progress for /sse/progress, shared by every frontend replica.
//
// Reporters publish events through a ProgressPublisher (off the transfer's
// thread) to Catalog::PublishProgress; the hub subscribes to the catalog and
// keeps the recent events of every transfer, so a watcher on any replica
// (PostgreSQL fans events out with LISTEN/NOTIFY) sees uploads that go
// through any other replica. A new watcher starts at the current state (or
// at the first event of a transfer that has not begun); a watcher that keeps
// up gets every later event in order (it skips ahead only when it falls
// more than `history` events behind). Some seconds after their end,
// finished transfers are trimmed to their last two events (the final
// progress and done), kept for `finished_retention` so a late watcher still
// sees `done`; transfers silent for `stalled_retention` are forgotten.
//
// Thread-safety: every method may be called concurrently. Destroy the hub
// before its catalog.
#ifndef SFS_FRONTEND_SERVER_PROGRESS_HUB_H_
#define SFS_FRONTEND_SERVER_PROGRESS_HUB_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sfs-frontend/catalog/catalog.h"
#include "sfs-frontend/server/progress_publisher.h"

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
  // Events kept per running transfer for watchers that lag behind.
  size_t history = 64;
  // Transfers remembered at most; beyond, the least recently updated is
  // forgotten first.
  size_t max_transfers = 10000;
  // Transfers of one owner (the part of a key before '/', see
  // TransferKey) remembered at most; beyond, that owner's least
  // recently updated is forgotten first, so no owner can push out
  // another's.
  size_t max_transfers_per_owner = 100;
};

class ProgressHub {
 public:
  ProgressHub(Catalog* catalog, ProgressHubOptions options = {});
  ~ProgressHub();

  // Publishes to every replica, this one included; returns at once.
  void Publish(const ProgressEvent& event);

  // Blocks until the events published for transfer `id` so far have left
  // this replica, or `timeout` passes; false then.
  bool WaitUntilPublished(const std::string& id, absl::Duration timeout);

  // Where a new watcher of transfer `id` starts: just before its latest
  // event, or before its first if it has none yet (then it sees them all).
  uint64_t StartPosition(const std::string& id);

  // Blocks until transfer `id` has an event newer than `*seen` (a
  // StartPosition, then what the last call left), `timeout` passes, or
  // Shutdown is called. Returns the oldest such event still kept and
  // advances `*seen`, or nullopt.
  std::optional<ProgressEvent> WaitForNext(const std::string& id,
                                           uint64_t* seen,
                                           absl::Duration timeout);

  // Wakes every waiter for good; later waits return at once. For draining.
  void Shutdown();
  bool shut_down();

 private:
  struct Entry {
    // Oldest first, each with the hub-wide sequence number it arrived as.
    std::deque<std::pair<uint64_t, ProgressEvent>> events;
    absl::Time updated;
  };

  // How often finished and silent transfers are trimmed and forgotten, and
  // how long a finished transfer keeps its history for watchers behind.
  static constexpr absl::Duration kSweepInterval = absl::Seconds(1);
  static constexpr absl::Duration kCatchUpTime = absl::Seconds(10);

  void OnEvent(const std::string& json);
  void ForgetOldLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Before `key` is added: forgets its owner's least recently updated
  // transfer if the owner has max_transfers_per_owner already.
  void MakeRoomForOwnerLocked(const std::string& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Catalog* const catalog_;
  const ProgressHubOptions options_;
  absl::Mutex mu_;
  std::map<std::string, Entry> transfers_ ABSL_GUARDED_BY(mu_);
  uint64_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  // Declared last: unsubscribed first, so no callback runs into a dead hub.
  std::unique_ptr<ProgressSubscription> subscription_;
  // Destroyed before the subscription: it publishes what is queued first.
  ProgressPublisher publisher_;
};

// Publishes one transfer's progress as the original service did: the first
// event at once, then whenever max(64 KiB, 1 % of the total) bytes or 500 ms
// have passed, then a last progress event with the final byte count, then
// exactly one final event with done (which Finish waits to see published, so
// a watcher has it by the time the transfer's answer is sent). Progress is
// advisory and never fails a transfer. Not thread-safe; one per transfer. A
// null hub or empty id makes every call a no-op.
class ProgressReporter {
 public:
  // `start`: bytes already transferred (a resumed upload's offset).
  ProgressReporter(ProgressHub* hub, std::string id, std::string direction,
                   uint64_t total, uint64_t start = 0);
  // Reports a failure if neither Finish nor Suspend was called.
  ~ProgressReporter();

  void Update(uint64_t bytes);
  void Finish(uint64_t bytes, const std::string& error = "");
  // The transfer goes on in a later request (a resumable upload): reports
  // `bytes` and ends this reporter without done.
  void Suspend(uint64_t bytes);

 private:
  void Send(bool done);

  // Bytes between two events, unless 500 ms pass first.
  static constexpr uint64_t kMinStepBytes = 64 << 10;

  ProgressHub* const hub_;
  ProgressEvent event_;
  uint64_t sent_bytes_ = 0;
  absl::Time sent_at_ = absl::InfinitePast();
  bool finished_ = false;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_PROGRESS_HUB_H_
