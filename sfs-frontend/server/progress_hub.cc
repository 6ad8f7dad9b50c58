#include "sfs-frontend/server/progress_hub.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace sfs::frontend {

std::string ProgressEvent::ToJson() const {
  nlohmann::json json = {{"id", id},
                         {"direction", direction},
                         {"bytes", bytes},
                         {"total", total},
                         {"done", done}};
  if (!error.empty()) json["error"] = error;
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<ProgressEvent> ProgressEvent::FromJson(const std::string& text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object() || !json.value("id", nlohmann::json()).is_string()) {
    return absl::InvalidArgumentError("not a progress event");
  }
  try {
    ProgressEvent event;
    event.id = json.at("id").get<std::string>();
    event.direction = json.value("direction", "");
    event.bytes = json.value("bytes", uint64_t{0});
    event.total = json.value("total", uint64_t{0});
    event.done = json.value("done", false);
    event.error = json.value("error", "");
    return event;
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
}

ProgressHub::ProgressHub(Catalog* catalog, ProgressHubOptions options)
    : catalog_(catalog),
      options_(options),
      subscription_(catalog->Subscribe(
          [this](const std::string& json) { OnEvent(json); })),
      publisher_(catalog) {}

ProgressHub::~ProgressHub() = default;

void ProgressHub::Publish(const ProgressEvent& event) {
  publisher_.Publish(event.id, event.ToJson(), event.done);
}

bool ProgressHub::WaitUntilPublished(const std::string& id,
                                     absl::Duration timeout) {
  return publisher_.WaitUntilPublished(id, timeout);
}

void ProgressHub::OnEvent(const std::string& json) {
  auto event = ProgressEvent::FromJson(json);
  if (!event.ok()) return;
  absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  if (transfers_.find(event->id) == transfers_.end()) {
    MakeRoomForOwnerLocked(event->id);
  }
  Entry& entry = transfers_[event->id];
  const bool was_done =
      !entry.events.empty() && entry.events.back().second.done;
  if (was_done) {
    // A replica's events arrive in order, but a done from one replica must
    // not be undone by a stray late event for the same id. A zero-byte event
    // is a new transfer reusing the id, which starts the record afresh.
    if (!event->done && event->bytes != 0) return;
    if (!event->done) entry.events.clear();
  }
  entry.events.emplace_back(++sequence_, std::move(*event));
  while (entry.events.size() > std::max<size_t>(options_.history, 2)) {
    entry.events.pop_front();
  }
  entry.updated = now;
  if (now - last_sweep_ >= kSweepInterval) {
    last_sweep_ = now;
    ForgetOldLocked(now);
  }
  // Memory is bounded however many ids clients make up.
  while (transfers_.size() > options_.max_transfers) {
    auto oldest = std::min_element(transfers_.begin(), transfers_.end(),
                                   [](const auto& a, const auto& b) {
                                     return a.second.updated < b.second.updated;
                                   });
    transfers_.erase(oldest);
  }
}

void ProgressHub::MakeRoomForOwnerLocked(const std::string& key) {
  // One owner's keys are adjacent in the map: "owner/" up to "owner0".
  const std::string owner = key.substr(0, key.find('/'));
  auto first = transfers_.lower_bound(owner + "/");
  auto end = transfers_.lower_bound(owner + "0");
  if (static_cast<size_t>(std::distance(first, end)) <
      options_.max_transfers_per_owner) {
    return;
  }
  transfers_.erase(
      std::min_element(first, end, [](const auto& a, const auto& b) {
        return a.second.updated < b.second.updated;
      }));
}

void ProgressHub::ForgetOldLocked(absl::Time now) {
  for (auto it = transfers_.begin(); it != transfers_.end();) {
    Entry& entry = it->second;
    absl::Duration age = now - entry.updated;
    const bool done = entry.events.back().second.done;
    if (done ? age > options_.finished_retention
             : age > options_.stalled_retention) {
      it = transfers_.erase(it);
      continue;
    }
    // Once watchers have had time to catch up, a finished transfer keeps
    // its final progress and its done event.
    if (done && age > kCatchUpTime) {
      while (entry.events.size() > 2) entry.events.pop_front();
    }
    ++it;
  }
}

uint64_t ProgressHub::StartPosition(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = transfers_.find(id);
  return it == transfers_.end() ? 0 : it->second.events.back().first - 1;
}

std::optional<ProgressEvent> ProgressHub::WaitForNext(const std::string& id,
                                                      uint64_t* seen,
                                                      absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (shut_down_) return true;
    auto it = transfers_.find(id);
    return it != transfers_.end() && it->second.events.back().first > *seen;
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  auto it = transfers_.find(id);
  if (shut_down_ || it == transfers_.end() ||
      it->second.events.back().first <= *seen) {
    return std::nullopt;
  }
  for (const auto& [sequence, event] : it->second.events) {
    if (sequence > *seen) {
      *seen = sequence;
      return event;
    }
  }
  return std::nullopt;  // unreachable: the last event is newer than *seen
}

void ProgressHub::Shutdown() {
  absl::MutexLock lock(&mu_);
  shut_down_ = true;
}

bool ProgressHub::shut_down() {
  absl::MutexLock lock(&mu_);
  return shut_down_;
}

ProgressReporter::ProgressReporter(ProgressHub* hub, std::string id,
                                   std::string direction, uint64_t total,
                                   uint64_t start)
    : hub_(id.empty() ? nullptr : hub) {
  event_.id = std::move(id);
  event_.direction = std::move(direction);
  event_.total = total;
  event_.bytes = start;
  sent_bytes_ = start;
  Send(false);
}

void ProgressReporter::Suspend(uint64_t bytes) {
  if (finished_) return;
  finished_ = true;
  event_.bytes = bytes;
  if (bytes != sent_bytes_) Send(false);
}

ProgressReporter::~ProgressReporter() {
  if (!finished_) Finish(event_.bytes, "transfer interrupted");
}

void ProgressReporter::Update(uint64_t bytes) {
  event_.bytes = bytes;
  uint64_t step = std::max<uint64_t>(event_.total / 100, kMinStepBytes);
  if (bytes - sent_bytes_ >= step ||
      absl::Now() - sent_at_ >= absl::Milliseconds(500)) {
    Send(false);
  }
}

void ProgressReporter::Finish(uint64_t bytes, const std::string& error) {
  if (finished_) return;
  finished_ = true;
  event_.bytes = bytes;
  if (error.empty() && event_.total == 0) event_.total = bytes;
  // Clients hide their progress bar on done: the final count comes first.
  if (bytes != sent_bytes_) Send(false);
  event_.error = error;
  Send(true);
  // Bounded: a catalog that hangs must not hold the transfer's answer.
  if (hub_ != nullptr) {
    hub_->WaitUntilPublished(event_.id, absl::Seconds(5));
  }
}

void ProgressReporter::Send(bool done) {
  if (hub_ == nullptr) return;
  event_.done = done;
  sent_bytes_ = event_.bytes;
  sent_at_ = absl::Now();
  hub_->Publish(event_);
}

}  // namespace sfs::frontend
