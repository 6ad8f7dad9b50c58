// Routes of API.md "Namespaces": list, create, update and delete namespace
// records. Records live in the catalog; a namespace's files live in the
// cluster under /<name>/.
#ifndef SFS_FRONTEND_SERVER_NAMESPACE_HANDLERS_H_
#define SFS_FRONTEND_SERVER_NAMESPACE_HANDLERS_H_

#include "sfs-frontend/server/frontend_services.h"
#include "sfs-frontend/server/router.h"

namespace sfs::frontend {

class NamespaceHandlers {
 public:
  // `services` must outlive this.
  explicit NamespaceHandlers(const FrontendServices* services)
      : services_(services) {}

  void Register(Router& router);

 private:
  absl::Status List(const HttpCall& call);
  absl::Status Create(const HttpCall& call);
  absl::Status Update(const HttpCall& call);
  absl::Status Delete(const HttpCall& call);

  const FrontendServices* const services_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_NAMESPACE_HANDLERS_H_
