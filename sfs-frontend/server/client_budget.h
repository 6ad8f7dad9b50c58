// A bounded number of slots of one kind (connections, progress streams),
// shared by all clients with a cap per client, so one client cannot take
// them all. A client is named by its address.
//
// A slot is held by a Slot object and given back when it is destroyed. A
// refusal says which cap was hit: the global one (the server is full: 503)
// or the client's own (that client asks for too much: 429).
//
// Thread-safety: TryAcquire may be called concurrently; a Slot may be
// destroyed on any thread. The budget must outlive its slots.
#ifndef SFS_FRONTEND_SERVER_CLIENT_BUDGET_H_
#define SFS_FRONTEND_SERVER_CLIENT_BUDGET_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace sfs::frontend {

class ClientBudget {
 public:
  // One held slot.
  class Slot {
   public:
    ~Slot();
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    friend class ClientBudget;
    Slot(ClientBudget* budget, std::string client)
        : budget_(budget), client_(std::move(client)) {}

    ClientBudget* const budget_;
    const std::string client_;
  };

  // `what` names the slots in refusals ("connections"). `per_client` 0
  // means no cap per client.
  ClientBudget(std::string what, int64_t global, int64_t per_client);

  // A slot for `client`; Unavailable (503) when all `global` are taken,
  // TooManyRequestsError (429) when `client` holds `per_client` already.
  absl::StatusOr<std::unique_ptr<Slot>> TryAcquire(const std::string& client);

 private:
  void Release(const std::string& client);

  const std::string what_;
  const int64_t global_;
  const int64_t per_client_;
  absl::Mutex mu_;
  int64_t in_use_ ABSL_GUARDED_BY(mu_) = 0;
  // Only clients holding a slot: its size is bounded by `global_`.
  absl::flat_hash_map<std::string, int64_t> by_client_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_CLIENT_BUDGET_H_
