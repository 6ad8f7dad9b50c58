#include "sfs-frontend/server/content_origin.h"

#include <httplib.h>

#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sfs::frontend {

absl::StatusOr<ContentOrigin> ContentOrigin::Parse(absl::string_view origin) {
  ContentOrigin parsed;
  if (origin.empty()) return parsed;
  const std::string lower = absl::AsciiStrToLower(origin);
  // scheme://host[:port], a host of letters, digits, dots and dashes.
  static const std::regex kOrigin(
      R"(^(https?)://([a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:([0-9]{1,5}))?$)");
  std::smatch match;
  if (!std::regex_match(lower, match, kOrigin)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "content origin \"", origin,
        "\" is not scheme://host[:port] (like https://usercontent.example)"));
  }
  parsed.origin_ = lower;
  parsed.host_ = lower.substr(match[1].length() + 3);
  return parsed;
}

bool ContentOrigin::Receives(const httplib::Request& req) const {
  return enabled() &&
         absl::EqualsIgnoreCase(req.get_header_value("Host"), host_);
}

bool ContentOrigin::Serves(const httplib::Request& req) {
  static const std::regex kFile(R"(^/storage/[^/]+/.+$)");
  return (req.method == "GET" || req.method == "HEAD") &&
         std::regex_match(req.path, kFile);
}

void ContentOrigin::DropCredentials(httplib::Request& req) {
  // Everything Presented (frontend_services.h) reads.
  req.headers.erase("Authorization");
  req.headers.erase("Cookie");
  req.params.erase("token");
}

std::string ContentOrigin::Url(absl::string_view target) const {
  return absl::StrCat(origin_, target);
}

}  // namespace sfs::frontend
