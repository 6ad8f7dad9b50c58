#include "sfs-frontend/server/router.h"

#include <httplib.h>

#include <algorithm>

#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "sfs-frontend/server/http_error.h"

namespace sfs::frontend {
namespace {

bool Serves(const std::vector<std::string>& methods, const std::string& m) {
  const std::string& wanted = m == "HEAD" ? std::string("GET") : m;
  return std::find(methods.begin(), methods.end(), wanted) != methods.end();
}

}  // namespace

void WriteJsonError(const HttpCall& call, const absl::Status& error) {
  WriteStatusError(call.res, error);
}

void WriteErrorForBrowsers(const HttpCall& call, const absl::Status& error) {
  if (call.req.method == "GET" &&
      PrefersHtml(call.req.get_header_value("Accept"))) {
    WriteHtmlError(call.res, ToHttpError(error));
  } else {
    WriteStatusError(call.res, error);
  }
}

void Router::Add(std::vector<std::string> methods, const std::string& pattern,
                 std::string route_name, RouteHandler handler,
                 ErrorWriter errors) {
  routes_.push_back(Route{std::move(methods), std::regex(pattern),
                          std::move(route_name), std::move(handler), errors});
}

void Router::SetFallback(std::string route_name, RouteHandler handler) {
  fallback_name_ = std::move(route_name);
  fallback_ = std::move(handler);
}

void Router::Dispatch(const httplib::Request& req, httplib::Response& res,
                      const httplib::ContentReader* body) const {
  const absl::Time start = absl::Now();
  for (const Route& route : routes_) {
    std::smatch match;
    if (!std::regex_match(req.path, match, route.pattern)) continue;
    if (!Serves(route.methods, req.method)) {
      std::vector<std::string> allowed = route.methods;
      if (Serves(allowed, "GET")) allowed.push_back("HEAD");
      res.set_header("Allow", absl::StrJoin(allowed, ", "));
      WriteError(res, {405, "method_not_allowed",
                       req.method + " is not allowed here"});
    } else {
      const HttpCall call{req, res, body, match};
      absl::Status status = route.handler(call);
      if (!status.ok()) route.errors(call, status);
      if (observer_ != nullptr) observer_->Answered(call, route.name, status);
    }
    metrics_->CountRequest(route.name, req.method, res.status,
                           absl::Now() - start);
    return;
  }
  absl::Status status = absl::NotFoundError("no such route");
  if (fallback_) {
    const std::smatch no_match;
    status = fallback_(HttpCall{req, res, body, no_match});
  }
  if (!status.ok()) WriteStatusError(res, status);
  metrics_->CountRequest(fallback_name_, req.method, res.status,
                         absl::Now() - start);
}

}  // namespace sfs::frontend
