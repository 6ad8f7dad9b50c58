// The sfs-frontend HTTP service: one httplib::Server whose every request
// goes through a Router to the resource handlers, over one cluster Client,
// one Catalog and one ProgressHub.
//
// Lifecycle: Create, Start (binds and serves on a thread of its own), then
// Drain on SIGTERM, a gate with a bounded and visible outcome: report not
// ready while still serving (drain_delay, so load balancers stop sending new
// requests), then stop accepting, end progress streams, and wait for the
// requests in flight up to a bound. Not thread-safe itself; the handlers it
// runs are.
#ifndef SFS_FRONTEND_SERVER_FRONTEND_H_
#define SFS_FRONTEND_SERVER_FRONTEND_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "client-lib/client.h"
#include "sfs-frontend/auth/authenticator.h"
#include "sfs-frontend/catalog/catalog.h"
#include "sfs-frontend/server/audit_log.h"
#include "sfs-frontend/server/client_budget.h"
#include "sfs-frontend/server/content_origin.h"
#include "sfs-frontend/server/cors.h"
#include "sfs-frontend/server/frontend_services.h"
#include "sfs-frontend/server/http_server.h"
#include "sfs-frontend/server/metrics.h"
#include "sfs-frontend/server/progress_hub.h"
#include "sfs-frontend/server/router.h"

namespace sfs::frontend {

struct FrontendOptions {
  std::string host = "0.0.0.0";
  int port = 8080;
  // Web UI folder served at "/" when not empty, as a single-page app.
  std::string static_dir;
  // Origins whose scripts may call the API with credentials (none).
  CorsPolicy cors;
  // Where files shown inline are served (none: here).
  ContentOrigin content_origin;
  // Who is served, how many at once, and for how long (http_server.h).
  ConnectionLimits connections;
  // Connections the kernel queues before they are accepted (capped by
  // net.core.somaxconn).
  int listen_backlog = 1024;
  // Progress streams (each holds a connection's thread for as long as its
  // watcher likes) open at once, in all and per client address (0: no cap
  // per client). 0 in all: a quarter of connections.max_connections, so
  // watchers never take the threads transfers need.
  int max_progress_streams = 0;
  int max_progress_streams_per_client = 8;
  absl::Duration sse_keepalive = absl::Seconds(15);
  // How long a draining replica keeps serving every request while /readyz
  // answers 503, before it stops accepting connections: at least a load
  // balancer's health-check interval times its fall count. 0 where the
  // platform removes the endpoint itself (Kubernetes with a preStop hook).
  absl::Duration drain_delay = absl::ZeroDuration();
  absl::Duration session_lifetime = absl::Hours(12);
  // HS256 secret for login sessions (may be empty; see FrontendServices).
  std::string jwt_secret;
  // How long audit events are kept (GET /api/audit).
  absl::Duration audit_retention = absl::Hours(24 * 90);
  // Length of one `retention_days` day (shortened by tests), and how often
  // expired files are swept from the cluster.
  absl::Duration retention_day = absl::Hours(24);
  absl::Duration lifecycle_interval = absl::Minutes(10);
};

class Frontend {
 public:
  // `client` and `catalog` are owned by the frontend from now on.
  static absl::StatusOr<std::unique_ptr<Frontend>> Create(
      const FrontendOptions& options, std::unique_ptr<Client> client,
      std::unique_ptr<Catalog> catalog, std::optional<JwtVerifier> verifier);
  ~Frontend();

  // Binds the port and serves on a background thread; starts the lifecycle
  // sweeper.
  absl::Status Start();

  // What a drain ended with.
  struct DrainOutcome {
    // Every request finished: nothing was cut.
    bool complete = false;
    // Requests still running when the bound passed (when not complete).
    int64_t in_flight = 0;
  };

  // Reports not ready for drain_delay, stops accepting connections and
  // waits up to `bound` for the requests in flight. When the outcome is not
  // complete the caller must exit non-zero without destroying the frontend.
  DrainOutcome Drain(absl::Duration bound);

 private:
  Frontend(const FrontendOptions& options, std::unique_ptr<Client> client,
           std::unique_ptr<Catalog> catalog,
           std::optional<JwtVerifier> verifier);
  void RegisterRoutes();
  absl::Status Ready(const HttpCall& call);

  const FrontendOptions options_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<Catalog> catalog_;
  Authenticator authenticator_;
  Metrics metrics_;
  AuditLog audit_;
  ProgressHub progress_;
  FileService files_;
  ResumableUploads resumable_;
  FrontendServices services_;
  Router router_;
  LifecycleSweeper sweeper_;
  ClientBudget progress_streams_;
  std::vector<std::shared_ptr<void>> handlers_;
  std::unique_ptr<HttpServer> server_;
  // Request ids are "<start time of this process, hex>-<counter>": unique
  // across replicas and restarts without coordination.
  const std::string request_id_prefix_;
  std::atomic<uint64_t> requests_{0};
  std::atomic<bool> draining_{false};
  // Requests between their parsing and their access log line (a download's
  // streamed body included).
  std::atomic<int64_t> in_flight_{0};
  // The listening socket, once bind_to_port has made it.
  int listen_socket_ = -1;
  std::thread serve_thread_;
  absl::Notification stopped_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_FRONTEND_H_
