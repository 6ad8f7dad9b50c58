// Settings of the C and Abseil run-times that every SFS process with a data
// or metadata path applies first thing in main, before any thread starts.
#ifndef SFS_COMMON_PROCESS_SETTINGS_H_
#define SFS_COMMON_PROCESS_SETTINGS_H_

namespace sfs {

// Sets glibc's allocator up for buffers of up to a few MiB that come and
// go all the time (segments, messages), with memory still bounded.
//
// SFS bounds the buffers each transfer holds (client-lib/client.h), but
// glibc's defaults let freed buffers stay resident: every thread that
// allocates gets an arena of its own (up to 16 here), and the thresholds
// move with the sizes freed. So: two arenas, and fixed thresholds.
//  - Buffers below 4 MiB (every 1 MiB segment and its messages) come from
//    the arenas and are reused. As mmaps (the threshold was 256 KiB), each
//    one's pages were faulted in and unmapped again, with TLB-shootdown
//    IPIs: four faults per page moved by `sfs put`, and 5–6x the CPU of
//    the client and the frontend per GiB uploaded.
//  - An arena's free top goes back to the kernel beyond 8 MiB. glibc's
//    128 KiB default gave back and refaulted the pages of nearly every
//    freed 155 KB message. Freed buffers inside an arena stay resident for
//    reuse, so RSS follows the peak of buffers in use, not the current
//    use: chunkservers under 400 concurrent writes peaked about half
//    higher (bench/README.md, "fourth steps").
//  - Larger buffers are mmaps that munmap returns.
void ConfigureMalloc();

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
