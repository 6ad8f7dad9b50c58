#include "master/striped_lock.h"

#include <algorithm>
#include <set>

#include "absl/hash/hash.h"

namespace sfs {

StripedLock::Guard::Guard(StripedLock* lock,
                          std::initializer_list<absl::string_view> keys) {
  std::vector<size_t> stripes;
  for (absl::string_view key : keys) {
    stripes.push_back(absl::HashOf(key) % kStripes);
  }
  Lock(lock, stripes);
}

StripedLock::Guard::Guard(StripedLock* lock,
                          const std::vector<std::string>& keys) {
  std::vector<size_t> stripes;
  for (absl::string_view key : keys) {
    stripes.push_back(absl::HashOf(key) % kStripes);
  }
  Lock(lock, stripes);
}

void StripedLock::Guard::Lock(StripedLock* lock,
                              const std::vector<size_t>& stripes) {
  const std::set<size_t> ordered(stripes.begin(), stripes.end());
  for (size_t stripe : ordered) {  // ascending: a global lock order
    lock->stripes_[stripe].Lock();
    held_.push_back(&lock->stripes_[stripe]);
  }
}

StripedLock::Guard::~Guard() {
  for (auto it = held_.rbegin(); it != held_.rend(); ++it) (*it)->Unlock();
}

}  // namespace sfs
