#include "common/ops_server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <httplib.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace sfs {

std::string RenderMetrics(const prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

prometheus::Counter* NewCounter(prometheus::Registry* registry,
                                const std::string& name,
                                const std::string& help) {
  return &prometheus::BuildCounter()
              .Name(name)
              .Help(help)
              .Register(*registry)
              .Add({});
}

prometheus::Gauge* NewGauge(prometheus::Registry* registry,
                            const std::string& name, const std::string& help) {
  return &prometheus::BuildGauge()
              .Name(name)
              .Help(help)
              .Register(*registry)
              .Add({});
}

void EnableGrpcHealth() { grpc::EnableDefaultHealthCheckService(true); }

OpsServer::OpsServer(const prometheus::Registry* registry, ReadyCheck ready,
                     std::function<void()> refresh)
    : registry_(registry),
      ready_(std::move(ready)),
      refresh_(std::move(refresh)),
      http_(std::make_unique<httplib::Server>()) {
  // Probes and scrapes are small and rare: two threads, short time-outs.
  http_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  http_->set_read_timeout(5, 0);
  http_->set_write_timeout(5, 0);
  http_->set_keep_alive_max_count(100);
  http_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\":\"ok\"}", "application/json");
  });
  http_->Get(
      "/readyz", [this](const httplib::Request&, httplib::Response& res) {
        absl::Status ready = ready_();
        if (ready.ok()) {
          res.set_content("{\"status\":\"ready\"}", "application/json");
          return;
        }
        res.status = 503;
        res.set_content(nlohmann::json{{"status", "not ready"},
                                       {"reason", std::string(ready.message())}}
                            .dump(),
                        "application/json");
      });
  http_->Get("/metrics",
             [this](const httplib::Request&, httplib::Response& res) {
               if (refresh_) refresh_();
               res.set_content(RenderMetrics(*registry_), kMetricsContentType);
             });
}

OpsServer::~OpsServer() {
  stop_.Notify();
  if (health_thread_.joinable()) health_thread_.join();
  if (http_thread_.joinable()) {
    http_->stop();
    http_thread_.join();
  }
}

absl::Status OpsServer::Start(grpc::Server* grpc_server,
                              const std::string& address) {
  grpc::HealthCheckServiceInterface* health =
      grpc_server->GetHealthCheckService();
  if (health == nullptr) {
    return absl::FailedPreconditionError(
        "the gRPC server was built without EnableGrpcHealth()");
  }
  health->SetServingStatus(ready_().ok());
  health_thread_ = std::thread([this, health] {
    while (!stop_.WaitForNotificationWithTimeout(absl::Seconds(1))) {
      health->SetServingStatus(ready_().ok());
    }
  });
  if (address.empty()) return absl::OkStatus();
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("operations address \"", address, "\" is not host:port"));
  }
  std::string host = address.substr(0, colon);
  if (host.empty()) host = "0.0.0.0";
  if (!http_->bind_to_port(host, port)) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, " (operations port)"));
  }
  http_thread_ = std::thread([this] { http_->listen_after_bind(); });
  return absl::OkStatus();
}

}  // namespace sfs
