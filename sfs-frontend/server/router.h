// Maps (method, path) to a handler, answering 404 for unknown paths and 405
// with `Allow` for known paths asked with the wrong method — which httplib's
// own routing cannot express. Counts every answer in Metrics by route name.
//
// Patterns are ECMAScript regexes matched against the whole decoded path;
// capture groups reach the handler as `match`. The first route whose pattern
// matches owns the path: add specific routes before general ones.
//
// Thread-safety: Add only before serving; Dispatch concurrently after.
#ifndef SFS_FRONTEND_SERVER_ROUTER_H_
#define SFS_FRONTEND_SERVER_ROUTER_H_

#include <functional>
#include <regex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "sfs-frontend/server/metrics.h"

namespace httplib {
struct Request;
struct Response;
class ContentReader;
}  // namespace httplib

namespace sfs::frontend {

// Everything a handler gets. `body` is null for methods httplib reads no
// streaming body for (GET, HEAD, OPTIONS).
struct HttpCall {
  const httplib::Request& req;
  httplib::Response& res;
  const httplib::ContentReader* body;
  const std::smatch& match;
};

// A failed handler returns the error; the router writes it, so handlers
// read as straight-line code with early returns.
using RouteHandler = std::function<absl::Status(const HttpCall& call)>;

// How a route's errors are written: each HTTP dialect has its error shape.
using ErrorWriter = void (*)(const HttpCall& call, const absl::Status& error);

// Our JSON error (http_error.h): the default.
void WriteJsonError(const HttpCall& call, const absl::Status& error);
// JSON, or an HTML page when a browser navigates to the route (file routes,
// which links and iframes open).
void WriteErrorForBrowsers(const HttpCall& call, const absl::Status& error);

// Told of every request a named route answered (AuditLog).
class RouteObserver {
 public:
  virtual ~RouteObserver() = default;
  // `status` is what the handler returned (already written to call.res).
  virtual void Answered(const HttpCall& call, const std::string& route,
                        const absl::Status& status) = 0;
};

class Router {
 public:
  explicit Router(Metrics* metrics) : metrics_(metrics) {}

  // `methods` lists every method the handler serves ("GET" implies HEAD).
  void Add(std::vector<std::string> methods, const std::string& pattern,
           std::string route_name, RouteHandler handler,
           ErrorWriter errors = WriteJsonError);

  // What answers paths no route matches, counted as `route_name`; by
  // default they get 404 "no such route". A fallback's errors are JSON.
  void SetFallback(std::string route_name, RouteHandler handler);

  // `observer` (outliving the router) hears of every answered request of
  // a route added with Add; none by default.
  void SetObserver(RouteObserver* observer) { observer_ = observer; }

  void Dispatch(const httplib::Request& req, httplib::Response& res,
                const httplib::ContentReader* body) const;

 private:
  struct Route {
    std::vector<std::string> methods;
    std::regex pattern;
    std::string name;
    RouteHandler handler;
    ErrorWriter errors;
  };
  Metrics* const metrics_;
  std::vector<Route> routes_;
  std::string fallback_name_ = "unknown";
  RouteHandler fallback_;
  RouteObserver* observer_ = nullptr;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_ROUTER_H_
