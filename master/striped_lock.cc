#include "master/striped_lock.h"

#include <algorithm>
#include <set>

#include "absl/hash/hash.h"

namespace sfs {

StripedLock::Guard::Guard(StripedLock* lock,
                          std::initializer_list<absl::string_view> keys) {
  std::set<size_t> stripes;
  for (absl::string_view key : keys) {
    stripes.insert(absl::HashOf(key) % kStripes);
  }
  for (size_t stripe : stripes) {  // ascending: a global lock order
    lock->stripes_[stripe].Lock();
    held_.push_back(&lock->stripes_[stripe]);
  }
}

StripedLock::Guard::~Guard() {
  for (auto it = held_.rbegin(); it != held_.rend(); ++it) (*it)->Unlock();
}

}  // namespace sfs
