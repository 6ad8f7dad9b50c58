// Receives PostgreSQL NOTIFY payloads on one channel and hands them to a
// callback: the receiving half of PostgresCatalog's progress fan-out.
//
// It owns a dedicated connection (a LISTENing session cannot be shared with
// queries from a pool) and a thread that sleeps in poll() on that
// connection's socket and on a wake-up eventfd. When the connection breaks
// the thread reconnects with backoff and LISTENs again; notifications sent
// in between are lost, which progress events tolerate.

#ifndef SFS_FRONTEND_CATALOG_POSTGRES_LISTENER_H_
#define SFS_FRONTEND_CATALOG_POSTGRES_LISTENER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "sfs-frontend/catalog/postgres_connection.h"

namespace sfs::frontend {

class PgListener {
 public:
  using Callback = std::function<void(const std::string& payload)>;

  // Connects and LISTENs on `channel` (an SQL identifier, never user input)
  // before returning, so every notification sent after Start returns is
  // delivered. `callback` runs on the listener's thread, one payload at a
  // time, in the order the server delivers them.
  static absl::StatusOr<std::unique_ptr<PgListener>> Start(std::string conninfo,
                                                           std::string channel,
                                                           Callback callback);

  // Stops and joins the thread; `callback` is not running once this returns.
  ~PgListener();

  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

 private:
  PgListener(std::string conninfo, std::string channel, Callback callback,
             int wake_fd, std::unique_ptr<PgConnection> conn);

  static absl::StatusOr<std::unique_ptr<PgConnection>> ConnectAndListen(
      const std::string& conninfo, const std::string& channel);

  void Run();
  // Waits until the socket is readable or Stop is requested; false on stop.
  // A negative `fd` waits only for stop (or `timeout_ms`).
  bool WaitReadable(int fd, int timeout_ms);
  // Hands every notification libpq has already read to the callback.
  void DeliverQueued();

  const std::string conninfo_;
  const std::string channel_;
  const Callback callback_;
  const int wake_fd_;
  std::unique_ptr<PgConnection> conn_;  // touched only by the thread
  std::thread thread_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_CATALOG_POSTGRES_LISTENER_H_
