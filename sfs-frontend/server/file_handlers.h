// Routes of API.md "Files": the path routes (/storage/{ns}/{path} and
// /storage/download/{ns}/{path}), listing, cluster status, and the legacy
// query-parameter forms (/storage/upload, /storage/download,
// /storage/delete; `namespace` defaults to "default", the file is `name`).
#ifndef SFS_FRONTEND_SERVER_FILE_HANDLERS_H_
#define SFS_FRONTEND_SERVER_FILE_HANDLERS_H_

#include <string>

#include "sfs-frontend/server/download_handler.h"
#include "sfs-frontend/server/frontend_services.h"
#include "sfs-frontend/server/router.h"
#include "sfs-frontend/server/upload_handler.h"

namespace sfs::frontend {

class FileHandlers {
 public:
  // `services` must outlive this.
  explicit FileHandlers(const FrontendServices* services)
      : services_(services), uploads_(services), downloads_(services) {}

  // Registers the specific routes, then the catch-all /storage/{ns}/{path}:
  // call after every other /storage/ route is registered.
  void Register(Router& router);

 private:
  absl::Status List(const HttpCall& call);
  // Every version of one file, newest (current) first.
  absl::Status ListVersions(const HttpCall& call);
  absl::Status Delete(const HttpCall& call, const std::string& ns,
                      const std::string& path);
  absl::Status ClusterStatus(const HttpCall& call);
  // POST /storage/copy (`copy`) and /storage/move.
  absl::Status CopyOrMove(const HttpCall& call, bool copy);
  // POST /storage/files/delete: many paths of one namespace.
  absl::Status DeleteMany(const HttpCall& call);
  // POST /storage/sign/{ns}/{path}: a signed GET or PUT URL.
  absl::Status Sign(const HttpCall& call, const std::string& ns,
                    const std::string& path);
  // The (namespace, name) of a legacy query-parameter request.
  static std::pair<std::string, std::string> LegacyTarget(const HttpCall& call);
  const Retention& retention() const { return services_->files->retention(); }

  const FrontendServices* const services_;
  UploadHandler uploads_;
  DownloadHandler downloads_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_FILE_HANDLERS_H_
