// Media types of stored files: what to label a file by its name, which
// types a browser would execute (and so must be sandboxed when shown inline),
// and namespace allow-lists with "image/*" wildcards.
#ifndef SFS_FRONTEND_FILES_MEDIA_TYPE_H_
#define SFS_FRONTEND_FILES_MEDIA_TYPE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace sfs::frontend {

// The media type for `path` by its extension (case-insensitive);
// "application/octet-stream" when unknown.
std::string MediaTypeForPath(absl::string_view path);

// True for types a browser renders as a document that can run script (HTML,
// SVG, XML): those are served with a CSP sandbox.
bool IsActiveContent(absl::string_view media_type);

// True iff `media_type` (parameters ignored, case-insensitive) matches one of
// `allowed`, which may hold "type/*" wildcards; an empty list allows all.
bool MediaTypeAllowed(absl::string_view media_type,
                      const std::vector<std::string>& allowed);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_FILES_MEDIA_TYPE_H_
