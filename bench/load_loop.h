// LoadLoop runs one operation over and over from N threads and reports what
// it sustained: the shared core of the metadata load generator and of the
// RocksDB baseline, so both figures of a ratio are measured the same way.
//
//   LoadSpec spec{.concurrency = 16, .duration = absl::Seconds(10)};
//   absl::StatusOr<LoadResult> r = RunLoad(spec, [&](uint64_t i) {
//     return DoOneOperation(i);
//   });
//
// The operation gets a unique index (0, 1, 2, ... across all threads) and
// must be thread-safe. The first failing operation stops the run and its
// status is returned: a run with any error yields no number.
#ifndef SFS_BENCH_LOAD_LOOP_H_
#define SFS_BENCH_LOAD_LOOP_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace sfs::bench {

struct LoadSpec {
  // Threads issuing operations at once.
  int concurrency = 1;
  // Stop issuing new operations after this long...
  absl::Duration duration = absl::Seconds(10);
  // ...or after this many operations, whichever comes first (0: no limit).
  uint64_t max_ops = 0;
};

struct LoadResult {
  int concurrency = 0;
  uint64_t ops = 0;
  double seconds = 0;
  double ops_per_sec = 0;
  double p50_us = 0;  // per-operation latency percentiles
  double p99_us = 0;
};

// The spec given by the --concurrency and --duration flags, which every
// load program takes (defined in load_loop.cc).
LoadSpec LoadSpecFromFlags();

absl::StatusOr<LoadResult> RunLoad(
    const LoadSpec& spec, const std::function<absl::Status(uint64_t)>& op);

// One JSON object on one line: {"label":..., "concurrency":..., ...}. The
// bench driver reads these lines from stdout.
std::string ToJsonLine(const std::string& label, const LoadResult& result);

// Prints the line, or the error to stderr; returns the process exit code.
int Report(const std::string& label, const absl::StatusOr<LoadResult>& result);

}  // namespace sfs::bench

#endif  // SFS_BENCH_LOAD_LOOP_H_
