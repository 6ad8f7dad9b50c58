#include "sfs-frontend/server/http_headers.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/path.h"

namespace sfs::frontend {
namespace {

constexpr char kHttpDateFormat[] = "%a, %d %b %Y %H:%M:%S GMT";

// RFC 5987 attr-chars besides letters and digits: what needs no
// percent-encoding in a filename* parameter.
constexpr absl::string_view kAttrChars = "!#$&+-.^_`|~";

}  // namespace

std::string AttachmentDisposition(absl::string_view path) {
  absl::string_view name = path.substr(path.rfind('/') + 1);
  std::string fallback;
  for (unsigned char c : name) {
    bool plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    fallback.push_back(plain ? static_cast<char>(c) : '_');
  }
  return absl::StrCat("attachment; filename=\"", fallback,
                      "\"; filename*=UTF-8''", PercentEncode(name, kAttrChars));
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
