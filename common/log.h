// One-line logs on stderr, one line per event: by default
// "<time> <program> [<request id>] <message>", or with SetLogFormat(kJson)
// one JSON object per line: {"time","process","request_id","message"}.
// Kept tiny on purpose; servers log events, never secrets or file bytes.
#ifndef SFS_COMMON_LOG_H_
#define SFS_COMMON_LOG_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace sfs {

enum class LogFormat { kText, kJson };

// Names the program in every later line (e.g. "master", "cs-rp1").
void SetLogName(absl::string_view name);

// Text (the default) or JSON lines from now on.
void SetLogFormat(LogFormat format);

// Writes one line; safe from any thread.
void LogLine(absl::string_view message);

template <typename... Args>
void Log(const Args&... args) {
  LogLine(absl::StrCat(args...));
}

// The request this thread is serving, set for a scope: every line logged on
// the thread meanwhile carries it, and RPCs the thread starts send it on
// (common/rpc_observer.h). Scopes nest; the inner one wins.
class ScopedRequestId {
 public:
  explicit ScopedRequestId(std::string id);
  ~ScopedRequestId();
  ScopedRequestId(const ScopedRequestId&) = delete;
  ScopedRequestId& operator=(const ScopedRequestId&) = delete;

 private:
  std::string previous_;
};

// The innermost ScopedRequestId's id on this thread, or "".
const std::string& CurrentRequestId();

}  // namespace sfs

#endif  // SFS_COMMON_LOG_H_
