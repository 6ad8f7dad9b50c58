#include "sfs-frontend/server/single_page_app.h"

#include <httplib.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "sfs-frontend/server/http_error.h"

namespace sfs::frontend {

bool SinglePageApp::IsApiPath(absl::string_view path) {
  for (absl::string_view prefix :
       {"/api/", "/sse/", "/storage/v1/", "/storage/uploads"}) {
    if (absl::StartsWith(path, prefix)) return true;
  }
  for (absl::string_view exact : {"/healthz", "/readyz", "/metrics"}) {
    if (path == exact) return true;
  }
  return false;
}

absl::Status SinglePageApp::Serve(const HttpCall& call) const {
  const httplib::Request& req = call.req;
  if ((req.method != "GET" && req.method != "HEAD") ||
      !PrefersHtml(req.get_header_value("Accept")) || IsApiPath(req.path)) {
    return absl::NotFoundError("no such route");
  }
  // Read per request: the page is small, and a redeployed UI is served
  // without a restart.
  std::ifstream in(index_path_, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("no such route (the web UI has no ", "index.html)"));
  }
  std::stringstream page;
  page << in.rdbuf();
  call.res.status = 200;
  call.res.set_header("Cache-Control", "no-cache");
  call.res.set_content(page.str(), "text/html; charset=utf-8");
  return absl::OkStatus();
}

}  // namespace sfs::frontend
