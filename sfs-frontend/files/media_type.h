// Media types of stored files: what to label a file by its name, which
// types a browser would execute (and so must be sandboxed when shown inline),
// and namespace allow-lists with "image/*" wildcards.
#ifndef SFS_FRONTEND_FILES_MEDIA_TYPE_H_
#define SFS_FRONTEND_FILES_MEDIA_TYPE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sfs::frontend {

// The media type for `path` by its extension (case-insensitive);
// "application/octet-stream" when unknown.
std::string MediaTypeForPath(absl::string_view path);

// True for the passive types a browser may show inline: raster images,
// plain text, audio, video and PDF. Everything else (HTML, SVG, XML,
// scripts, anything unknown) is served as an attachment of type
// application/octet-stream, so uploaded content never renders, let alone
// runs script, in the API's origin.
bool IsPassiveInlineType(absl::string_view media_type);

// `declared`, a content type a client sent, as it is stored: one
// type/subtype of token characters, lowercased, with at most a charset
// parameter ("text/plain; charset=utf-8"). InvalidArgument for anything
// else: lists of types, other parameters, missing parts. Browsers parse
// such values in ways an allow-list check would not expect.
absl::StatusOr<std::string> CanonicalMediaType(absl::string_view declared);

// True iff `media_type` (parameters ignored, case-insensitive) matches one of
// `allowed`, which may hold "type/*" wildcards; an empty list allows all.
bool MediaTypeAllowed(absl::string_view media_type,
                      const std::vector<std::string>& allowed);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_FILES_MEDIA_TYPE_H_
