#include "sfs-frontend/server/metrics.h"

#include "absl/strings/str_cat.h"

namespace sfs::frontend {

void Metrics::CountRequest(const std::string& route, const std::string& method,
                           int status) {
  absl::MutexLock lock(&mu_);
  ++requests_[{route, method, status}];
}

Metrics::ActiveTransfer::ActiveTransfer(Metrics* metrics,
                                        TransferDirection direction)
    : gauge_(direction == TransferDirection::kUpload
                 ? &metrics->active_uploads_
                 : &metrics->active_downloads_) {
  ++*gauge_;
}

Metrics::ActiveTransfer::~ActiveTransfer() { --*gauge_; }

std::string Metrics::Render() {
  std::string out =
      "# HELP sfs_frontend_requests_total HTTP requests answered.\n"
      "# TYPE sfs_frontend_requests_total counter\n";
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [key, count] : requests_) {
      const auto& [route, method, status] = key;
      absl::StrAppend(&out, "sfs_frontend_requests_total{route=\"", route,
                      "\",method=\"", method, "\",status=\"", status, "\"} ",
                      count, "\n");
    }
  }
  absl::StrAppend(
      &out,
      "# HELP sfs_frontend_bytes_received_total File bytes received.\n"
      "# TYPE sfs_frontend_bytes_received_total counter\n"
      "sfs_frontend_bytes_received_total ",
      bytes_in_.load(), "\n",
      "# HELP sfs_frontend_bytes_sent_total File bytes sent.\n"
      "# TYPE sfs_frontend_bytes_sent_total counter\n"
      "sfs_frontend_bytes_sent_total ",
      bytes_out_.load(), "\n",
      "# HELP sfs_frontend_active_transfers Transfers in progress.\n"
      "# TYPE sfs_frontend_active_transfers gauge\n"
      "sfs_frontend_active_transfers{direction=\"upload\"} ",
      active_uploads_.load(), "\n",
      "sfs_frontend_active_transfers{direction=\"download\"} ",
      active_downloads_.load(), "\n");
  return out;
}

}  // namespace sfs::frontend
