#include "sfs-frontend/server/lingering_closer.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace sfs::frontend {
namespace {

// How often new sockets are picked up and deadlines checked.
constexpr int kPollMillis = 50;
// The most one socket's Drop reads per pass.
constexpr size_t kSliceBytes = 256 << 10;

}  // namespace

LingeringCloser::LingeringCloser(absl::Duration linger, size_t max_bytes,
                                 size_t max_sockets)
    : linger_(linger),
      max_bytes_(max_bytes),
      max_sockets_(max_sockets),
      thread_([this] { Run(); }) {}

LingeringCloser::~LingeringCloser() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void LingeringCloser::Close(int sock) {
  ::shutdown(sock, SHUT_WR);
  {
    absl::MutexLock lock(&mu_);
    if (!stop_ && added_.size() + lingering_count_ < max_sockets_) {
      added_.push_back({sock, absl::Now() + linger_});
      return;
    }
  }
  ::close(sock);
}

bool LingeringCloser::HasWork() const { return stop_ || !added_.empty(); }

bool LingeringCloser::Drop(Lingering& socket) {
  char buffer[64 << 10];
  for (size_t read = 0; read < kSliceBytes;) {
    ssize_t n = ::recv(socket.sock, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n > 0) {
      read += static_cast<size_t>(n);
      socket.dropped += static_cast<size_t>(n);
      if (socket.dropped > max_bytes_) return true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
  }
  return false;  // more next pass
}

void LingeringCloser::Run() {
  std::vector<pollfd> fds;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      // Idle until there is something to close.
      if (lingering_.empty()) {
        mu_.Await(absl::Condition(this, &LingeringCloser::HasWork));
      }
      if (stop_) break;
      lingering_.insert(lingering_.end(), added_.begin(), added_.end());
      added_.clear();
      lingering_count_ = lingering_.size();
    }
    fds.clear();
    for (const Lingering& socket : lingering_) {
      fds.push_back({socket.sock, POLLIN, 0});
    }
    ::poll(fds.data(), fds.size(), kPollMillis);
    const absl::Time now = absl::Now();
    size_t kept = 0;
    for (size_t i = 0; i < lingering_.size(); ++i) {
      Lingering& socket = lingering_[i];
      const bool done =
          (fds[i].revents != 0 && Drop(socket)) || now >= socket.deadline;
      if (done) {
        ::close(socket.sock);
      } else {
        lingering_[kept++] = socket;
      }
    }
    lingering_.resize(kept);
  }
  for (const Lingering& socket : lingering_) ::close(socket.sock);
  absl::MutexLock lock(&mu_);
  for (const Lingering& socket : added_) ::close(socket.sock);
  added_.clear();
}

}  // namespace sfs::frontend
