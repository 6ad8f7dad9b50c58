// File paths in the cluster namespace: "/<namespace>/<segment>/.../<name>".
// Every path that crosses a process boundary is checked here first, so no
// component ever sees traversal, NUL bytes or invalid UTF-8.
#ifndef SFS_COMMON_PATH_H_
#define SFS_COMMON_PATH_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sfs {

// The longest path accepted, in bytes of UTF-8.
inline constexpr size_t kMaxPathBytes = 1024;
// The longest namespace name accepted.
inline constexpr size_t kMaxNamespaceBytes = 63;

// OK when `name` matches [A-Za-z0-9._-]{1,63} and is not "." or "..".
absl::Status ValidateNamespaceName(absl::string_view name);

// OK when `path` is "/" + a valid namespace + one or more "/segment"s, at most
// kMaxPathBytes, valid UTF-8, with no empty, "." or ".." segment and no
// control character. Errors are InvalidArgument with the reason.
absl::Status ValidateFilePath(absl::string_view path);

// OK for a listing prefix: "/" + a valid namespace + "/" + any string that
// could begin a valid path (it may end mid-segment or with "/").
absl::Status ValidateListPrefix(absl::string_view prefix);

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(absl::string_view text);

// `text` with every byte percent-encoded ("%2F") but ASCII letters, digits
// and the characters in `keep`.
std::string PercentEncode(absl::string_view text, absl::string_view keep);

// `path` as it goes in a URL: all but unreserved characters and '/'
// percent-encoded.
inline std::string UrlPath(absl::string_view path) {
  return PercentEncode(path, "-._~/");
}

}  // namespace sfs

#endif  // SFS_COMMON_PATH_H_
