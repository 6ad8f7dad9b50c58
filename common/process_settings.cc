#include "common/malloc_settings.h"

#include <malloc.h>

namespace sfs {

void ReturnLargeBuffersToTheKernel() {
  mallopt(M_ARENA_MAX, 2);
  mallopt(M_MMAP_THRESHOLD, 256 << 10);
}

}  // namespace sfs
