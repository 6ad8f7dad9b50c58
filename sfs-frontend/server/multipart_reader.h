// A streaming parser of multipart/form-data request bodies (RFC 7578, with
// RFC 2046's framing). Part headers are parsed and handed over whole; part
// bodies are handed on in pieces as they arrive. Memory is bounded by
// kMaxPartHeaderBytes and the boundary's length, whatever the body's size.
//
// It accepts what RFC 2046 allows and real clients send: a preamble before
// the first boundary, transport padding after a boundary, and nothing (or
// an epilogue) after the close delimiter. Node.js 18's fetch ends bodies
// with "--boundary--" and no CRLF, which httplib 0.11's own parser refuses;
// that is why the frontend parses multipart bodies itself.
//
// Not thread-safe: one per body.
#ifndef SFS_FRONTEND_SERVER_MULTIPART_READER_H_
#define SFS_FRONTEND_SERVER_MULTIPART_READER_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace httplib {
struct Request;
}

namespace sfs::frontend {

class MultipartReader {
 public:
  struct PartHeader {
    std::string name;          // Content-Disposition's name
    std::string filename;      // its filename; empty for plain fields
    std::string content_type;  // the part's Content-Type, or empty
  };
  // Called at each part's start; false stops the parse.
  using PartStart = std::function<bool(const PartHeader&)>;
  // Called with the next piece of the current part's body; false stops.
  using PartData = std::function<bool(const char* data, size_t n)>;

  // A part's headers may take at most this many bytes.
  static constexpr size_t kMaxPartHeaderBytes = 16 << 10;

  // A reader for a body of `content_type` (a Content-Type header value).
  // InvalidArgument unless it is multipart/form-data with a boundary.
  static absl::StatusOr<MultipartReader> Create(absl::string_view content_type,
                                                PartStart on_part,
                                                PartData on_data);

  // Parses the next piece of the body. False when a handler stopped or the
  // body is malformed (then Finish says why); nothing more is parsed.
  bool Feed(const char* data, size_t n);

  // After the last piece: OK iff the close delimiter was seen and nothing
  // stopped the parse; else InvalidArgument.
  absl::Status Finish() const;

 private:
  enum class State { kPreamble, kAfterBoundary, kHeaders, kBody, kEpilogue };

  MultipartReader(std::string boundary, PartStart on_part, PartData on_data);
  // Parses what the buffer holds; false when the parse must stop.
  bool Parse();
  bool ParseHeaders(absl::string_view block);
  bool Fail(std::string why);

  // "\r\n--" + boundary: every boundary, the first one included (the
  // buffer starts with a CRLF of our own for it).
  const std::string delimiter_;
  const PartStart on_part_;
  const PartData on_data_;
  State state_ = State::kPreamble;
  std::string buffer_ = "\r\n";
  bool stopped_ = false;
  std::string error_;
};

// httplib would parse a multipart body itself and give handlers no raw
// bytes of it. Before it reads a body, the frontend moves a multipart
// Content-Type aside into this header (one a client sent is dropped), so the
// body reaches handlers as plain bytes for MultipartReader.
inline constexpr char kMultipartTypeHeader[] = "X-Sfs-Multipart-Type";
void SetAsideMultipartType(httplib::Request& req);

// The multipart/form-data Content-Type `req`'s body came with, or "".
std::string MultipartType(const httplib::Request& req);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_MULTIPART_READER_H_
