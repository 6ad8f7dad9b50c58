#include "client-lib/stat_batcher.h"

#include <algorithm>
#include <utility>

#include "client-lib/master_connection.h"

namespace sfs {

StatBatcher::StatBatcher(MasterConnection* master, int max_in_flight,
                         size_t max_group)
    : master_(master), max_in_flight_(max_in_flight), max_group_(max_group) {}

bool StatBatcher::CanProceed(Waiting* waiting) {
  return waiting->lookup->done ||
         waiting->batcher->in_flight_ < waiting->batcher->max_in_flight_;
}

absl::StatusOr<proto::StatResponse> StatBatcher::Stat(
    const proto::StatRequest& request) {
  Lookup lookup;
  lookup.request = &request;
  Waiting waiting{this, &lookup};
  mu_.Lock();
  queue_.push_back(&lookup);
  while (true) {
    // Answered by another thread's call, or a call of our own may go out.
    mu_.Await(absl::Condition(&CanProceed, &waiting));
    if (lookup.done) break;
    // Lead: send the oldest queued lookups (ours among them, unless more
    // than max_group_ are ahead of it: then we lead again).
    std::deque<Lookup*> group;
    while (!queue_.empty() && group.size() < max_group_) {
      group.push_back(queue_.front());
      queue_.pop_front();
    }
    ++in_flight_;
    mu_.Unlock();
    Send(group);
    mu_.Lock();
    --in_flight_;
    for (Lookup* l : group) l->done = true;
  }
  mu_.Unlock();
  return std::move(lookup.result);
}

void StatBatcher::Send(const std::deque<Lookup*>& group) {
  if (group.size() == 1) {
    group[0]->result =
        master_->Call(&proto::Master::Stub::Stat, *group[0]->request);
    return;
  }
  proto::StatManyRequest request;
  for (const Lookup* l : group) *request.add_requests() = *l->request;
  absl::StatusOr<proto::StatManyResponse> response =
      master_->Call(&proto::Master::Stub::StatMany, request);
  for (size_t i = 0; i < group.size(); ++i) {
    if (!response.ok()) {
      group[i]->result = response.status();
    } else if (static_cast<int>(i) >= response->results_size()) {
      group[i]->result =
          absl::InternalError("the master answered fewer lookups than asked");
    } else {
      proto::StatManyResponse::Result* result =
          response->mutable_results(static_cast<int>(i));
      if (result->code() == 0) {
        group[i]->result = std::move(*result->mutable_response());
      } else {
        group[i]->result = absl::Status(
            static_cast<absl::StatusCode>(result->code()), result->message());
      }
    }
  }
}

}  // namespace sfs
