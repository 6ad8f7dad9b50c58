#include "sfs-frontend/server/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "common/ops_server.h"
#include "common/rpc_observer.h"

namespace sfs::frontend {
namespace {

// Transfer sizes: 1 KiB to 16 GiB in powers of four.
prometheus::Histogram::BucketBoundaries SizeBuckets() {
  prometheus::Histogram::BucketBoundaries bounds;
  for (double b = 1024; b <= 16.0 * (1ull << 30); b *= 4) bounds.push_back(b);
  return bounds;
}

}  // namespace

// The series one direction's transfers update.
struct Metrics::TransferSeries {
  prometheus::Counter& bytes;
  prometheus::Gauge& active;
  prometheus::Histogram& sizes;
};

Metrics::Metrics()
    : registry_(std::make_unique<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name("sfs_frontend_requests_total")
                    .Help("HTTP requests answered")
                    .Register(*registry_)),
      durations_(prometheus::BuildHistogram()
                     .Name("sfs_frontend_request_duration_seconds")
                     .Help("arrival to the handler's return (a download's "
                           "body streams after)")
                     .Register(*registry_)),
      draining_(prometheus::BuildGauge()
                    .Name("sfs_frontend_draining")
                    .Help("1 once the replica drains for shutdown")
                    .Register(*registry_)
                    .Add({})),
      connections_(prometheus::BuildGauge()
                       .Name("sfs_frontend_connections")
                       .Help("connections admitted and open")
                       .Register(*registry_)
                       .Add({})),
      refused_(prometheus::BuildCounter()
                   .Name("sfs_frontend_connections_refused_total")
                   .Help("connections refused at admission")
                   .Register(*registry_)),
      refused_full_(refused_.Add({{"reason", "full"}})),
      refused_per_client_(refused_.Add({{"reason", "per_client"}})) {
  auto& bytes_in = prometheus::BuildCounter()
                       .Name("sfs_frontend_bytes_received_total")
                       .Help("file bytes received")
                       .Register(*registry_);
  auto& bytes_out = prometheus::BuildCounter()
                        .Name("sfs_frontend_bytes_sent_total")
                        .Help("file bytes sent")
                        .Register(*registry_);
  auto& active = prometheus::BuildGauge()
                     .Name("sfs_frontend_active_transfers")
                     .Help("transfers in progress")
                     .Register(*registry_);
  auto& sizes = prometheus::BuildHistogram()
                    .Name("sfs_frontend_transfer_bytes")
                    .Help("file bytes moved per transfer")
                    .Register(*registry_);
  uploads_.reset(new TransferSeries{
      bytes_in.Add({}), active.Add({{"direction", "upload"}}),
      sizes.Add({{"direction", "upload"}}, SizeBuckets())});
  downloads_.reset(new TransferSeries{
      bytes_out.Add({}), active.Add({{"direction", "download"}}),
      sizes.Add({{"direction", "download"}}, SizeBuckets())});
}

Metrics::~Metrics() = default;

void Metrics::CountRequest(const std::string& route, const std::string& method,
                           int status, absl::Duration elapsed) {
  requests_
      .Add({{"route", route},
            {"method", method},
            {"status", std::to_string(status)}})
      .Increment();
  durations_.Add({{"route", route}, {"method", method}}, LatencyBuckets())
      .Observe(absl::ToDoubleSeconds(elapsed));
}

void Metrics::SetDraining(bool draining) { draining_.Set(draining ? 1 : 0); }

void Metrics::ConnectionOpened() { connections_.Increment(); }

void Metrics::ConnectionClosed() { connections_.Decrement(); }

void Metrics::CountRefusedConnection(bool server_full) {
  (server_full ? refused_full_ : refused_per_client_).Increment();
}

Metrics::ActiveTransfer::ActiveTransfer(Metrics* metrics,
                                        TransferDirection direction)
    : series_(direction == TransferDirection::kUpload ? *metrics->uploads_
                                                      : *metrics->downloads_) {
  series_.active.Increment();
}

Metrics::ActiveTransfer::~ActiveTransfer() {
  series_.active.Decrement();
  series_.sizes.Observe(static_cast<double>(bytes_));
}

void Metrics::ActiveTransfer::Add(uint64_t n) {
  bytes_ += n;
  series_.bytes.Increment(static_cast<double>(n));
}

std::string Metrics::Render() { return RenderMetrics(*registry_); }

}  // namespace sfs::frontend
