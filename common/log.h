// One-line structured logs on stderr: "<time> <program> <message>".
// Kept tiny on purpose; servers log events, never secrets or file bytes.
#ifndef SFS_COMMON_LOG_H_
#define SFS_COMMON_LOG_H_

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace sfs {

// Names the program in every later line (e.g. "master", "cs-rp1").
void SetLogName(absl::string_view name);

// Writes one line; safe from any thread.
void LogLine(absl::string_view message);

template <typename... Args>
void Log(const Args&... args) {
  LogLine(absl::StrCat(args...));
}

}  // namespace sfs

#endif  // SFS_COMMON_LOG_H_
