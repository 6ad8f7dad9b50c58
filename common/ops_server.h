// The health and metrics of a gRPC server process (master, chunkserver):
//
// - The standard gRPC health service (grpc.health.v1.Health) on the gRPC
//   port, SERVING while `ready` returns OK and NOT_SERVING otherwise,
//   checked every second: what Kubernetes' grpc probes ask.
// - An operations HTTP port beside the gRPC port, so that probes and
//   scrapes never queue behind data transfers:
//     GET /healthz  200 while the process runs (liveness).
//     GET /readyz   200 when `ready` says so, else 503 with its reason.
//     GET /metrics  the registry in Prometheus's text format, after
//                   `refresh` has updated the gauges computed on demand.
//
// EnableGrpcHealth must be called before the gRPC server is built.
//
// Thread-safety: Start and the destructor from one thread; the callbacks
// run on the server's own threads and must be thread-safe.
#ifndef SFS_COMMON_OPS_SERVER_H_
#define SFS_COMMON_OPS_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"

namespace grpc {
class Server;
}
namespace httplib {
class Server;
}
namespace prometheus {
class Counter;
class Gauge;
class Registry;
}  // namespace prometheus

namespace sfs {

// `registry` in the Prometheus text exposition format (version 0.0.4).
std::string RenderMetrics(const prometheus::Registry& registry);

// The Content-Type of RenderMetrics's text.
inline constexpr char kMetricsContentType[] = "text/plain; version=0.0.4";

// An unlabelled counter or gauge named `name` in `registry`, which owns it.
prometheus::Counter* NewCounter(prometheus::Registry* registry,
                                const std::string& name,
                                const std::string& help);
prometheus::Gauge* NewGauge(prometheus::Registry* registry,
                            const std::string& name, const std::string& help);

// Makes every gRPC server built from now on serve the health service.
void EnableGrpcHealth();

class OpsServer {
 public:
  using ReadyCheck = std::function<absl::Status()>;

  // `registry` must outlive the server. `refresh` may be empty.
  OpsServer(const prometheus::Registry* registry, ReadyCheck ready,
            std::function<void()> refresh);
  // Stops serving and joins the server's threads.
  ~OpsServer();
  OpsServer(const OpsServer&) = delete;
  OpsServer& operator=(const OpsServer&) = delete;

  // Keeps `grpc_server`'s health status current (it must outlive this), and
  // serves HTTP on `http_address` ("host:port"; empty: no HTTP port) on two
  // threads of its own.
  absl::Status Start(grpc::Server* grpc_server,
                     const std::string& http_address);

 private:
  const prometheus::Registry* const registry_;
  const ReadyCheck ready_;
  const std::function<void()> refresh_;
  std::unique_ptr<httplib::Server> http_;
  std::thread http_thread_;
  absl::Notification stop_;
  std::thread health_thread_;
};

}  // namespace sfs

#endif  // SFS_COMMON_OPS_SERVER_H_
