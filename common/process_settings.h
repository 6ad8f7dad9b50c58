// Settings of the C and Abseil run-times that every SFS process with a data
// or metadata path applies first thing in main, before any thread starts.
#ifndef SFS_COMMON_PROCESS_SETTINGS_H_
#define SFS_COMMON_PROCESS_SETTINGS_H_

namespace sfs {

// Makes glibc's allocator hand large buffers back to the kernel.
//
// SFS bounds the buffers each transfer holds (client-lib/client.h), but
// glibc's defaults let freed buffers stay resident: every thread that
// allocates gets an arena of its own, and after the first large free the
// mmap threshold rises, so later MiB-sized segment and message buffers come
// from arenas that fragment and keep their pages. Few arenas and a fixed
// threshold make every buffer of 256 KiB or more an mmap that munmap
// returns, so resident memory follows the buffers actually in use.
//
// Smaller buffers stay in the two arenas, whose free top is handed back
// only beyond 8 MiB (at most 16 MiB kept per process). glibc's default of
// 128 KiB returned and refaulted the pages of nearly every freed 155 KB
// message: page faults and madvise's TLB shootdowns were a tenth of a
// chunkserver's profile of small uploads.
void ReturnLargeBuffersToTheKernel();

// Turns off absl::Mutex's run-time deadlock detection. Debian builds Abseil
// without NDEBUG, which leaves it on: every lock and unlock of every mutex
// then updates one process-wide lock graph under a global lock (1–2% of the
// frontend's and master's CPU on small reads and creates, and a point every
// thread serializes on). Lock discipline is checked at compile time
// (ABSL_GUARDED_BY), and unit tests, which do not call this, keep the
// run-time check.
void SkipMutexDeadlockDetection();

}  // namespace sfs

#endif  // SFS_COMMON_PROCESS_SETTINGS_H_
