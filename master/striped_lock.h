// StripedLock serializes read-modify-write sequences on the same keys while
// letting unrelated ones run (and, in the metadata store, share one WAL sync):
// each key hashes to one of a fixed set of mutexes. Thread-safe.
#ifndef SFS_MASTER_STRIPED_LOCK_H_
#define SFS_MASTER_STRIPED_LOCK_H_

#include <initializer_list>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace sfs {

class StripedLock {
 public:
  // Holds the stripes of `keys` until destroyed. Stripes are taken in index
  // order, so two guards never deadlock.
  class Guard {
   public:
    Guard(StripedLock* lock, std::initializer_list<absl::string_view> keys);
    Guard(StripedLock* lock, const std::vector<std::string>& keys);
    ~Guard();
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    // Takes a set of stripes known only at run time, which the
    // thread-safety analysis cannot follow; the destructor releases them.
    void Lock(StripedLock* lock, const std::vector<size_t>& stripes)
        ABSL_NO_THREAD_SAFETY_ANALYSIS;

    std::vector<absl::Mutex*> held_;
  };

 private:
  static constexpr size_t kStripes = 64;
  absl::Mutex stripes_[kStripes];
};

}  // namespace sfs

#endif  // SFS_MASTER_STRIPED_LOCK_H_
