// The web UI folder (--static) as a single-page app: httplib's mount point
// serves the folder's files as they are; this answers a browser navigation
// to any other path outside the API with the folder's index.html, so a
// reload or a shared deep link (e.g. /storage/photos) opens the app, which
// then routes on the client.
//
// API paths (/api/, /sse/, the health and metrics routes, the reserved
// /storage/v1/ and /storage/uploads) never fall back: scripts that ask for
// something unknown there get the JSON 404.
//
// Thread-safety: immutable; Serve may run on any number of threads.
#ifndef SFS_FRONTEND_SERVER_SINGLE_PAGE_APP_H_
#define SFS_FRONTEND_SERVER_SINGLE_PAGE_APP_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "sfs-frontend/server/router.h"

namespace sfs::frontend {

class SinglePageApp {
 public:
  explicit SinglePageApp(std::string static_dir)
      : index_path_(std::move(static_dir) + "/index.html") {}

  // A Router fallback: index.html for a GET or HEAD that asks for HTML
  // first, outside the API; NotFound otherwise.
  absl::Status Serve(const HttpCall& call) const;

  // True for paths that belong to the API, however unknown.
  static bool IsApiPath(absl::string_view path);

 private:
  const std::string index_path_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_SINGLE_PAGE_APP_H_
