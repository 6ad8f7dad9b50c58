// The frontend's Prometheus metrics, rendered at /metrics in the text
// exposition format (prometheus-cpp). They live in this process only:
// Prometheus scrapes every replica and sums.
//
//   sfs_frontend_requests_total{route,method,status}   answers
//   sfs_frontend_request_duration_seconds{route,method}
//       arrival to the handler's return: a whole upload, or a download's
//       time to its first byte (the body streams after)
//   sfs_frontend_transfer_bytes{direction}              bytes per transfer
//   sfs_frontend_bytes_{received,sent}_total            file bytes
//   sfs_frontend_active_transfers{direction}            in progress
//   sfs_frontend_draining                               1 once draining
//   sfs_frontend_connections                            admitted, open
//   sfs_frontend_connections_refused_total{reason}      at admission:
//       "full" (503) or "per_client" (429)
//
// Thread-safety: every method may be called concurrently.
#ifndef SFS_FRONTEND_SERVER_METRICS_H_
#define SFS_FRONTEND_SERVER_METRICS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
class Registry;
}  // namespace prometheus

namespace sfs::frontend {

enum class TransferDirection { kUpload, kDownload };

class Metrics {
 private:
  struct TransferSeries;

 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One answered request. `route` is the route's name, not the raw path, so
  // the label set stays small whatever users request.
  void CountRequest(const std::string& route, const std::string& method,
                    int status, absl::Duration elapsed);

  void SetDraining(bool draining);

  // Connections admitted (HttpServer) and closed; one refused at
  // admission, the server being full or the client over its share.
  void ConnectionOpened();
  void ConnectionClosed();
  void CountRefusedConnection(bool server_full);

  // One transfer, counted as active for its lifetime; its size is recorded
  // when it ends.
  class ActiveTransfer {
   public:
    ActiveTransfer(Metrics* metrics, TransferDirection direction);
    ~ActiveTransfer();
    ActiveTransfer(const ActiveTransfer&) = delete;
    ActiveTransfer& operator=(const ActiveTransfer&) = delete;

    // `n` more file bytes moved.
    void Add(uint64_t n);

   private:
    const TransferSeries& series_;
    uint64_t bytes_ = 0;
  };

  std::string Render();

 private:
  std::unique_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Gauge& draining_;
  prometheus::Gauge& connections_;
  prometheus::Family<prometheus::Counter>& refused_;
  prometheus::Counter& refused_full_;
  prometheus::Counter& refused_per_client_;
  std::unique_ptr<TransferSeries> uploads_;
  std::unique_ptr<TransferSeries> downloads_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_METRICS_H_
