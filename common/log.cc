#include "common/log.h"

#include <cstdio>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace sfs {
namespace {

absl::Mutex log_mu;
std::string* log_name ABSL_GUARDED_BY(log_mu) = new std::string("sfs");

}  // namespace

void SetLogName(absl::string_view name) {
  absl::MutexLock lock(&log_mu);
  *log_name = std::string(name);
}

void LogLine(absl::string_view message) {
  std::string line = absl::StrCat(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3S", absl::Now(), absl::UTCTimeZone()),
      " ");
  absl::MutexLock lock(&log_mu);
  absl::StrAppend(&line, *log_name, " ", message, "\n");
  fputs(line.c_str(), stderr);
}

}  // namespace sfs
