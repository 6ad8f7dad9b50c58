#include "common/rpc_observer.h"

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <optional>
#include <string>

#include "absl/time/clock.h"
#include "common/log.h"
#include "common/rpc_settings.h"

namespace sfs {
namespace {

using grpc::experimental::InterceptionHookPoints;

struct RpcMetrics {
  prometheus::Family<prometheus::Counter>* requests;
  prometheus::Family<prometheus::Histogram>* duration;
  bool log_calls;
};

// Codes that are ordinary answers rather than trouble.
bool Ordinary(grpc::StatusCode code) {
  return code == grpc::StatusCode::OK || code == grpc::StatusCode::NOT_FOUND ||
         code == grpc::StatusCode::ALREADY_EXISTS ||
         code == grpc::StatusCode::FAILED_PRECONDITION ||
         code == grpc::StatusCode::CANCELLED;
}

// One per call: times it from creation to its status.
class RpcObserver : public grpc::experimental::Interceptor {
 public:
  // `sync`: the call is answered by a sync-server handler, which runs on the
  // thread of these hooks.
  RpcObserver(const RpcMetrics* metrics, std::string method, bool sync)
      : metrics_(metrics), method_(std::move(method)), sync_(sync) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (sync_ && methods->QueryInterceptionHookPoint(
                     InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      auto* metadata = methods->GetRecvInitialMetadata();
      auto it = metadata->find(kRequestIdKey);
      if (it != metadata->end()) {
        // The sync server runs these hooks on the handler's thread.
        request_id_.emplace(std::string(it->second.data(), it->second.size()));
      }
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const absl::Duration elapsed = absl::Now() - start_;
      if (metrics_->log_calls || !Ordinary(status.error_code())) {
        Log("rpc ", method_, " code=", status.error_code(), " ",
            absl::FormatDuration(elapsed),
            status.ok() ? "" : ": " + status.error_message());
      }
      metrics_->requests
          ->Add({{"method", method_},
                 {"code", std::to_string(status.error_code())}})
          .Increment();
      metrics_->duration->Add({{"method", method_}}, LatencyBuckets())
          .Observe(absl::ToDoubleSeconds(elapsed));
      request_id_.reset();
    }
    methods->Proceed();
  }

 private:
  const RpcMetrics* const metrics_;
  const std::string method_;
  const bool sync_;
  const absl::Time start_ = absl::Now();
  std::optional<ScopedRequestId> request_id_;
};

class RpcObserverFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  RpcObserverFactory(prometheus::Registry* registry, bool log_calls)
      : metrics_{&prometheus::BuildCounter()
                      .Name("sfs_rpc_requests_total")
                      .Help("gRPC calls answered, by method and status code")
                      .Register(*registry),
                 &prometheus::BuildHistogram()
                      .Name("sfs_rpc_duration_seconds")
                      .Help("gRPC call latency, arrival to status")
                      .Register(*registry),
                 log_calls} {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    // "/sfs.proto.Master/Stat" is labelled "Master/Stat".
    std::string method = info->method();
    const size_t dot = method.rfind('.');
    if (dot != std::string::npos) method.erase(0, dot + 1);
    const bool sync =
        dynamic_cast<grpc::ServerContext*>(info->server_context()) != nullptr;
    return new RpcObserver(&metrics_, std::move(method), sync);
  }

 private:
  const RpcMetrics metrics_;
};

}  // namespace

std::string RequestIdOf(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kRequestIdKey);
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

const std::vector<double>& LatencyBuckets() {
  static const auto* buckets = new std::vector<double>{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
      0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30,    60};
  return *buckets;
}

void ObserveRpcs(grpc::ServerBuilder* builder, prometheus::Registry* registry,
                 bool log_calls) {
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      factories;
  factories.push_back(
      std::make_unique<RpcObserverFactory>(registry, log_calls));
  builder->experimental().SetInterceptorCreators(std::move(factories));
}

}  // namespace sfs
