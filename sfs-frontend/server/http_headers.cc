#include "sfs-frontend/server/http_headers.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace sfs::frontend {
namespace {

constexpr char kHttpDateFormat[] = "%a, %d %b %Y %H:%M:%S GMT";

// RFC 5987 attr-char: the bytes that need no percent-encoding.
bool IsAttrChar(unsigned char c) {
  return absl::ascii_isalnum(c) ||
         absl::string_view("!#$&+-.^_`|~").find(c) != absl::string_view::npos;
}

}  // namespace

std::string AttachmentDisposition(absl::string_view path) {
  absl::string_view name = path.substr(path.rfind('/') + 1);
  std::string fallback;
  std::string encoded;
  for (unsigned char c : name) {
    bool plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    fallback.push_back(plain ? static_cast<char>(c) : '_');
    if (IsAttrChar(c)) {
      encoded.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&encoded, absl::StrFormat("%%%02X", c));
    }
  }
  return absl::StrCat("attachment; filename=\"", fallback,
                      "\"; filename*=UTF-8''", encoded);
}

std::string FormatHttpDate(absl::Time time) {
  return absl::FormatTime(kHttpDateFormat, time, absl::UTCTimeZone());
}

std::optional<absl::Time> ParseHttpDate(absl::string_view text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(kHttpDateFormat, std::string(text), absl::UTCTimeZone(),
                       &time, &error)) {
    return std::nullopt;
  }
  return time;
}

}  // namespace sfs::frontend
