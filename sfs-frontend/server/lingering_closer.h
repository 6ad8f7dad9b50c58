// Closes sockets the way a server must when the client may still be
// sending: first only our sending direction (shutdown SHUT_WR), then,
// reading and dropping whatever arrives, until the client closes too or a
// deadline passes. Closing at once while the client's data is unread makes
// the kernel answer with a reset, and the client may lose the answer we
// just sent it (a 413 for a body we refused, a 503 at admission).
//
// A client that sends its whole body before it reads (Python's
// http.client, many scripts) only sees an answer given before the body was
// read if the body is drained while the answer waits: so a socket lingers
// until the client has sent up to `max_bytes`, which covers the bodies
// people send in one request, or until `linger` passed, which bounds the
// cost of the largest.
//
// One background thread polls every lingering socket and reads at most a
// slice of each per pass, so one fast sender cannot hold it. Their number
// is bounded: beyond `max_sockets` a socket is closed at once.
//
// Thread-safety: Close may be called concurrently from any thread.
#ifndef SFS_FRONTEND_SERVER_LINGERING_CLOSER_H_
#define SFS_FRONTEND_SERVER_LINGERING_CLOSER_H_

#include <cstddef>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace sfs::frontend {

class LingeringCloser {
 public:
  // Each socket lingers at most `linger` and drops at most `max_bytes`.
  explicit LingeringCloser(absl::Duration linger = absl::Seconds(2),
                           size_t max_bytes = size_t{64} << 20,
                           size_t max_sockets = 1024);
  // Closes every socket still lingering.
  ~LingeringCloser();

  // Takes ownership of `sock` and closes it, lingering first.
  void Close(int sock);

 private:
  struct Lingering {
    int sock;
    absl::Time deadline;
    size_t dropped = 0;
  };
  void Run();
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reads what `socket` has, up to a slice; true when it is done (EOF,
  // error, max_bytes dropped).
  bool Drop(Lingering& socket);

  const absl::Duration linger_;
  const size_t max_bytes_;
  const size_t max_sockets_;
  absl::Mutex mu_;
  std::vector<Lingering> added_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  // lingering_.size() as of the thread's last pass.
  size_t lingering_count_ ABSL_GUARDED_BY(mu_) = 0;
  // Owned by the thread.
  std::vector<Lingering> lingering_;
  std::thread thread_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_LINGERING_CLOSER_H_
