// Makes glibc's allocator hand large buffers back to the kernel.
//
// SFS bounds the buffers each transfer holds (client-lib/client.h), but
// glibc's defaults let freed buffers stay resident: every thread that
// allocates gets an arena of its own, and after the first large free the
// mmap threshold rises, so later MiB-sized segment and message buffers come
// from arenas that fragment and keep their pages. Few arenas and a fixed
// threshold make every buffer of 256 KiB or more an mmap that munmap
// returns, so resident memory follows the buffers actually in use.
#ifndef SFS_COMMON_MALLOC_SETTINGS_H_
#define SFS_COMMON_MALLOC_SETTINGS_H_

namespace sfs {

// Call first thing in main, before any thread starts.
void ReturnLargeBuffersToTheKernel();

}  // namespace sfs

#endif  // SFS_COMMON_MALLOC_SETTINGS_H_
