// The single byte range of an HTTP `Range` header (RFC 9110 section 14.2)
// resolved against a file size. Multi-range requests are answered with the
// whole file, which the RFC allows, because no SFS client asks for them and
// multipart/byteranges would double the response code.
#ifndef SFS_FRONTEND_SERVER_RANGE_HEADER_H_
#define SFS_FRONTEND_SERVER_RANGE_HEADER_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sfs::frontend {

struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
};

// nullopt when the whole file should be sent: no header, a syntax the RFC
// says to ignore, or several ranges. OutOfRange (→ 416) when the range is
// well-formed but no byte of it lies in a file of `size` bytes. Ends past the
// file are clipped, as the RFC requires.
absl::StatusOr<std::optional<ByteRange>> ResolveRange(absl::string_view header,
                                                      uint64_t size);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_RANGE_HEADER_H_
