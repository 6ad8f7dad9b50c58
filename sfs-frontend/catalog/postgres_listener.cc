#include "sfs-frontend/catalog/postgres_listener.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace sfs::frontend {
namespace {

constexpr int kFirstRetryMs = 100;
constexpr int kMaxRetryMs = 5000;

}  // namespace

absl::StatusOr<std::unique_ptr<PgListener>> PgListener::Start(
    std::string conninfo, std::string channel, Callback callback) {
  ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn,
                   ConnectAndListen(conninfo, channel));
  int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) {
    return absl::InternalError(absl::StrCat("eventfd: errno ", errno));
  }
  return std::unique_ptr<PgListener>(
      new PgListener(std::move(conninfo), std::move(channel),
                     std::move(callback), wake_fd, std::move(conn)));
}

PgListener::PgListener(std::string conninfo, std::string channel,
                       Callback callback, int wake_fd,
                       std::unique_ptr<PgConnection> conn)
    : conninfo_(std::move(conninfo)),
      channel_(std::move(channel)),
      callback_(std::move(callback)),
      wake_fd_(wake_fd),
      conn_(std::move(conn)),
      thread_([this] { Run(); }) {}

PgListener::~PgListener() {
  uint64_t one = 1;
  // The eventfd stays readable from here on, so every later wait ends too.
  (void)!write(wake_fd_, &one, sizeof(one));
  thread_.join();
  close(wake_fd_);
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgListener::ConnectAndListen(
    const std::string& conninfo, const std::string& channel) {
  ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn,
                   PgConnection::Connect(conninfo));
  RETURN_IF_ERROR(conn->Exec(absl::StrCat("LISTEN ", channel)).status());
  return conn;
}

bool PgListener::WaitReadable(int fd, int timeout_ms) {
  pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {fd, POLLIN, 0}};
  int n = poll(fds, fd < 0 ? 1 : 2, timeout_ms);
  return !(n > 0 && (fds[0].revents & POLLIN));
}

void PgListener::DeliverQueued() {
  while (PGnotify* notify = PQnotifies(conn_->raw())) {
    callback_(notify->extra);
    PQfreemem(notify);
  }
}

void PgListener::Run() {
  int retry_ms = kFirstRetryMs;
  while (true) {
    if (conn_ == nullptr) {
      absl::StatusOr<std::unique_ptr<PgConnection>> conn =
          ConnectAndListen(conninfo_, channel_);
      if (!conn.ok()) {
        if (!WaitReadable(-1, retry_ms)) return;
        retry_ms = std::min(2 * retry_ms, kMaxRetryMs);
        continue;
      }
      conn_ = *std::move(conn);
      retry_ms = kFirstRetryMs;
    }
    // Deliver first: libpq may have queued notifications while it read
    // other replies (such as LISTEN's), and those leave the socket quiet.
    DeliverQueued();
    int socket = PQsocket(conn_->raw());
    if (socket < 0) {
      conn_.reset();
      continue;
    }
    if (!WaitReadable(socket, -1)) return;
    if (PQconsumeInput(conn_->raw()) == 0 || !conn_->healthy()) conn_.reset();
  }
}

}  // namespace sfs::frontend
