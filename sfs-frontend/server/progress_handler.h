// GET /sse/progress?id=: a transfer's progress as Server-Sent Events
// (API.md "Progress"). Opens with a comment, sends every newer state the
// ProgressHub learns of, a keep-alive comment when nothing moved for
// `keepalive`, and ends after the event with done. Each stream holds a
// connection's thread for as long as its watcher likes, so streams are
// counted against a ClientBudget: 503 or 429 beyond it.
//
// A transfer is watched with the credentials it was made with
// (TransferKey), or with a watch token its owner asked for:
// POST /sse/progress/watch-token?id= answers {token, expires_at, url}, and
// GET /sse/progress?watch_token= watches that transfer with no other
// credential (a page shown to someone else, say), until the token
// expires.
#ifndef SFS_FRONTEND_SERVER_PROGRESS_HANDLER_H_
#define SFS_FRONTEND_SERVER_PROGRESS_HANDLER_H_

#include "absl/time/time.h"
#include "sfs-frontend/server/client_budget.h"
#include "sfs-frontend/server/frontend_services.h"
#include "sfs-frontend/server/router.h"

namespace sfs::frontend {

class ProgressHandler {
 public:
  // `services` and `streams` must outlive this and every stream it starts.
  ProgressHandler(const FrontendServices* services, ClientBudget* streams,
                  absl::Duration keepalive)
      : services_(services), streams_(streams), keepalive_(keepalive) {}

  void Register(Router& router);

 private:
  absl::Status Watch(const HttpCall& call);
  absl::Status IssueWatchToken(const HttpCall& call);
  // The user `call` authenticates as; empty for anonymous calls.
  std::string CallerName(const HttpCall& call) const;

  const FrontendServices* const services_;
  ClientBudget* const streams_;
  const absl::Duration keepalive_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_PROGRESS_HANDLER_H_
