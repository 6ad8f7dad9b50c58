// The frontend's Prometheus counters, rendered at /metrics in the text
// exposition format. Counters live in this process only: Prometheus scrapes
// every replica and sums.
//
// Thread-safety: every method may be called concurrently.
#ifndef SFS_FRONTEND_SERVER_METRICS_H_
#define SFS_FRONTEND_SERVER_METRICS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace sfs::frontend {

enum class TransferDirection { kUpload, kDownload };

class Metrics {
 public:
  // One answered request. `route` is the route's name, not the raw path, so
  // the label set stays small whatever users request.
  void CountRequest(const std::string& route, const std::string& method,
                    int status);
  void AddBytesIn(uint64_t n) { bytes_in_ += n; }
  void AddBytesOut(uint64_t n) { bytes_out_ += n; }

  // Keeps a transfer counted as active for its lifetime.
  class ActiveTransfer {
   public:
    ActiveTransfer(Metrics* metrics, TransferDirection direction);
    ~ActiveTransfer();
    ActiveTransfer(const ActiveTransfer&) = delete;
    ActiveTransfer& operator=(const ActiveTransfer&) = delete;

   private:
    std::atomic<int64_t>* gauge_;
  };

  std::string Render();

 private:
  absl::Mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_
      ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> bytes_in_{0};
  std::atomic<uint64_t> bytes_out_{0};
  std::atomic<int64_t> active_uploads_{0};
  std::atomic<int64_t> active_downloads_{0};
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_METRICS_H_
