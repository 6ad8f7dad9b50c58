// ContentOrigin is where user content is shown inline when a deployment
// serves it from an origin of its own (--content-origin), as large hosts
// serve user uploads from a separate domain. Inline content is already
// limited to passive types and sandboxed (DownloadHandler); a separate
// origin is defence in depth: should a browser ever run something in a
// user's file, it runs where no session, cookie or API lives.
//
//  - On the API's origin, a file that would be shown inline is answered
//    with a redirect to the same file on the content origin: through a
//    signed read link (pinned to the version, short-lived) when the caller
//    needed credentials, as is for public files and signed links.
//  - On the content origin (recognised by its Host header) only file GETs
//    and HEADs are served, and any credentials (Authorization, cookies) are
//    dropped before routing: a request there acts as nobody.
//
// Immutable after Parse; thread-safe.
#ifndef SFS_FRONTEND_SERVER_CONTENT_ORIGIN_H_
#define SFS_FRONTEND_SERVER_CONTENT_ORIGIN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace httplib {
struct Request;
}  // namespace httplib

namespace sfs::frontend {

class ContentOrigin {
 public:
  ContentOrigin() = default;  // none: content is shown on the API's origin

  // "https://usercontent.example.com" or "http://host:port" (no path);
  // InvalidArgument otherwise. Empty: none.
  static absl::StatusOr<ContentOrigin> Parse(absl::string_view origin);

  bool enabled() const { return !origin_.empty(); }
  // Whether `req` arrived on the content origin.
  bool Receives(const httplib::Request& req) const;
  // Whether the content origin serves `req` (a file GET or HEAD).
  static bool Serves(const httplib::Request& req);
  // Strips the credentials of a request that arrived on the content origin.
  static void DropCredentials(httplib::Request& req);
  // The content origin's URL of `target` ("/storage/ns/p?signature=…").
  std::string Url(absl::string_view target) const;

 private:
  std::string origin_;  // scheme://host[:port], lower case
  std::string host_;    // host[:port], as a Host header names it
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_CONTENT_ORIGIN_H_
