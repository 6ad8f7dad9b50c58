// Cross-origin access for web apps served from another origin (the original
// deployment serves its UI from cloud.<host> and the API from
// storage.cloud.<host>), configured per deployment with --cors-origins.
//
// An allowed origin gets its own origin echoed with credentials allowed, on
// every answer and on preflights (OPTIONS with Access-Control-Request-
// Method), which are answered here with the methods and headers the API
// uses. Every other origin gets no CORS headers at all (a preflight from it
// is refused with 403), and so does everything when no origin is
// configured, the default.
//
// Thread-safety: immutable after Parse; use from any number of threads.
#ifndef SFS_FRONTEND_SERVER_CORS_H_
#define SFS_FRONTEND_SERVER_CORS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace sfs::frontend {

class CorsPolicy {
 public:
  // No origin allowed.
  CorsPolicy() = default;

  // `origins`: a comma-separated list of exact origins
  // ("https://cloud.example.com", "http://localhost:5173") and wildcard
  // origins ("https://*.example.com": any subdomain at any depth, not
  // example.com itself). InvalidArgument for anything else, including "*"
  // (which browsers refuse together with credentials) and paths.
  static absl::StatusOr<CorsPolicy> Parse(absl::string_view origins);

  bool Allows(absl::string_view origin) const;

  // Adds the CORS headers `req` earns to `res`. True when `req` is a
  // preflight, which `res` then answers in full (204, or 403 for an origin
  // that is not allowed).
  bool Apply(const httplib::Request& req, httplib::Response& res) const;

 private:
  struct Pattern {
    std::string scheme;  // "https://"
    std::string host;    // exact host[:port], or the suffix after "*"
    bool wildcard = false;
  };

  std::vector<Pattern> patterns_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_CORS_H_
