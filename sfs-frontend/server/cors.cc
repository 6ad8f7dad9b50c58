#include "sfs-frontend/server/cors.h"

#include <httplib.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "sfs-frontend/server/http_error.h"

namespace sfs::frontend {
namespace {

constexpr char kAllowedMethods[] = "GET, HEAD, POST, PUT, PATCH, DELETE";
// What the API's clients send: ours and the original's (X-File-Size,
// X-Transfer-Id, checksums, X-Meta-* metadata of ours but for its open
// key set), resumable uploads (Upload-*, Tus-*) and supabase-js (apikey,
// x-upsert, x-metadata, x-client-info, cache-control).
constexpr char kAllowedHeaders[] =
    "Authorization, Content-Type, Content-MD5, X-Content-SHA256, X-File-Size, "
    "X-Transfer-Id, X-Requested-With, Range, If-Match, If-None-Match, "
    "Upload-Offset, Upload-Length, Upload-Metadata, Upload-Defer-Length, "
    "Upload-Concat, Upload-Checksum, Tus-Resumable, apikey, x-upsert, "
    "x-metadata, x-client-info, cache-control";
// Answer headers scripts may read beyond the CORS-safelisted ones.
constexpr char kExposedHeaders[] =
    "X-Request-Id, X-Next-Cursor, ETag, Content-Disposition, Content-Range, "
    "Accept-Ranges, Location, Upload-Offset, Upload-Length, Upload-Expires, "
    "Tus-Resumable, Tus-Version, Tus-Max-Size, Tus-Extension, Upload-Metadata, "
    "Upload-Defer-Length, Tus-Checksum-Algorithm";
// How long a browser may reuse a preflight's answer.
constexpr char kPreflightMaxAgeSeconds[] = "600";

// Letters, digits, '-' and '.' (a host name) plus ':' and digits for a port.
bool IsHostPort(absl::string_view host) {
  if (host.empty()) return false;
  for (char c : host) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '.' && c != ':') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<CorsPolicy> CorsPolicy::Parse(absl::string_view origins) {
  CorsPolicy policy;
  for (absl::string_view entry :
       absl::StrSplit(origins, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    auto invalid = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("CORS origin \"", entry, "\": ", why));
    };
    Pattern pattern;
    for (absl::string_view scheme : {"https://", "http://"}) {
      if (absl::StartsWithIgnoreCase(entry, scheme)) {
        pattern.scheme = std::string(scheme);
      }
    }
    if (pattern.scheme.empty()) {
      return invalid("must be http(s)://host[:port] or https://*.domain");
    }
    std::string host =
        absl::AsciiStrToLower(entry.substr(pattern.scheme.size()));
    if (absl::StartsWith(host, "*.")) {
      pattern.wildcard = true;
      host = host.substr(1);  // keeps the dot: ".example.com"
    }
    if (!IsHostPort(host) || absl::StrContains(host, "*")) {
      return invalid("must be http(s)://host[:port] or https://*.domain");
    }
    pattern.host = std::move(host);
    policy.patterns_.push_back(std::move(pattern));
  }
  return policy;
}

bool CorsPolicy::Allows(absl::string_view origin) const {
  const std::string lower = absl::AsciiStrToLower(origin);
  for (const Pattern& pattern : patterns_) {
    absl::string_view host = lower;
    if (!absl::ConsumePrefix(&host, pattern.scheme) || !IsHostPort(host)) {
      continue;
    }
    if (!pattern.wildcard) {
      if (host == pattern.host) return true;
      continue;
    }
    // "*.example.com" matches "a.example.com" and "a.b.example.com".
    if (absl::ConsumeSuffix(&host, pattern.host) && !host.empty() &&
        !absl::StrContains(host, ':')) {
      return true;
    }
  }
  return false;
}

bool CorsPolicy::Apply(const httplib::Request& req,
                       httplib::Response& res) const {
  const bool preflight = req.method == "OPTIONS" && req.has_header("Origin") &&
                         req.has_header("Access-Control-Request-Method");
  const std::string origin = req.get_header_value("Origin");
  // Answers depend on Origin wherever CORS is on: shared caches must know.
  if (!patterns_.empty()) res.set_header("Vary", "Origin");
  const bool allowed = !origin.empty() && Allows(origin);
  if (allowed) {
    res.set_header("Access-Control-Allow-Origin", origin);
    res.set_header("Access-Control-Allow-Credentials", "true");
    res.set_header("Access-Control-Expose-Headers", kExposedHeaders);
  }
  if (!preflight) return false;
  if (!allowed) {
    WriteError(res, {403, "forbidden",
                     absl::StrCat("cross-origin requests from ", origin,
                                  " are not allowed")});
    return true;
  }
  res.status = 204;
  res.set_header("Access-Control-Allow-Methods", kAllowedMethods);
  res.set_header("Access-Control-Allow-Headers", kAllowedHeaders);
  res.set_header("Access-Control-Max-Age", kPreflightMaxAgeSeconds);
  return true;
}

}  // namespace sfs::frontend
