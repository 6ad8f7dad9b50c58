// Header values the file routes compute: RFC 6266 attachment names and
// HTTP dates (RFC 9110 IMF-fixdate).
#ifndef SFS_FRONTEND_SERVER_HTTP_HEADERS_H_
#define SFS_FRONTEND_SERVER_HTTP_HEADERS_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace sfs::frontend {

// `attachment; filename="<ascii fallback>"; filename*=UTF-8''<pct-encoded>`
// for the last segment of `path`. The fallback replaces non-ASCII and quote
// characters with '_' so old clients still get a usable name.
std::string AttachmentDisposition(absl::string_view path);

// "Sun, 06 Nov 1994 08:49:37 GMT".
std::string FormatHttpDate(absl::Time time);
// nullopt for anything that is not an IMF-fixdate.
std::optional<absl::Time> ParseHttpDate(absl::string_view text);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_HTTP_HEADERS_H_
