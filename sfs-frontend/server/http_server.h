// The frontend's HTTP server: httplib parses and routes requests, over a
// connection layer of our own that decides who is served and for how long.
// httplib 0.11 as Debian builds it serves every accepted connection, queues
// those beyond its threads without bound, and lets a client take as long as
// it likes over a request's headers, a byte per read timeout. Here:
//
//  - Admission, on the accepting thread: a connection beyond
//    `max_connections` (each is served on a thread of its own) is answered
//    503, one beyond its client address's `max_connections_per_client` 429,
//    at once, and closed. Nothing queues: an admitted connection has a
//    thread.
//  - A request's line and headers must arrive within `head_timeout` of its
//    first byte and fit in `max_head_bytes`, else the connection is closed.
//  - Between requests a kept-alive connection waits `keep_alive_timeout`
//    for the next one, and serves at most `keep_alive_requests`;
//    StopKeepingAlive ends them at their next wait (a drain).
//  - Every read and write must make progress within `io_timeout`.
//  - "100 Continue" is sent only when a handler starts reading the body,
//    that is once the request has been authorized; a refusal comes
//    instead of it, and the body is never asked for.
//  - Connections are closed lingering (LingeringCloser), so a client still
//    sending gets our answer rather than a reset.
//  - A request from a trusted proxy gets the client it names as its
//    remote_addr.
//
// Thread-safety: configure and listen as an httplib::Server;
// StopKeepingAlive may be called from any thread.
#ifndef SFS_FRONTEND_SERVER_HTTP_SERVER_H_
#define SFS_FRONTEND_SERVER_HTTP_SERVER_H_

#include <httplib.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "sfs-frontend/server/client_budget.h"
#include "sfs-frontend/server/lingering_closer.h"
#include "sfs-frontend/server/metrics.h"
#include "sfs-frontend/server/trusted_proxies.h"

namespace sfs::frontend {

struct ConnectionLimits {
  // Connections served at once, one thread each.
  int max_connections = 256;
  // Connections one client address may hold; 0: no cap. Behind a proxy
  // every client has the proxy's address: cap there, not here.
  int max_connections_per_client = 64;
  absl::Duration head_timeout = absl::Seconds(10);
  size_t max_head_bytes = 64 << 10;
  absl::Duration keep_alive_timeout = absl::Seconds(5);
  size_t keep_alive_requests = 1000;
  // A connection that sends or accepts nothing for this long is dropped.
  // No deadline applies to a transfer that keeps moving.
  absl::Duration io_timeout = absl::Seconds(30);
  // Requests from these peers name their client in X-Forwarded-For: that
  // client becomes the request's remote_addr, for everything after
  // admission (trusted_proxies.h). Admission itself sees only the peer.
  TrustedProxies trusted_proxies;
};

class HttpServer : public httplib::Server {
 public:
  // `metrics` (outliving the server) counts admitted and refused
  // connections.
  HttpServer(const ConnectionLimits& limits, Metrics* metrics);
  ~HttpServer() override;

  // Kept-alive connections close at their next wait for a request; the
  // requests in flight finish.
  void StopKeepingAlive() { stopping_ = true; }

  // True on a serving thread whose request's client waits for "100
  // Continue" that no handler has asked for: its body must not be read
  // (the client would not send it); close the connection after the
  // answer instead.
  static bool ContinueWithheld();

 private:
  class Queue;
  class ConnectionStream;

  // Called by httplib's accepting thread through Queue: admits `sock` and
  // hands it to a serving thread, or refuses it.
  bool process_and_close_socket(socket_t sock) override;
  // Serves requests on `stream` until it closes, on a serving thread.
  void Serve(ConnectionStream& stream);
  // Waits for the first byte of the next request (the connection's
  // `first`); false when the connection should close instead.
  bool WaitForRequest(ConnectionStream& stream, bool first) const;
  // Replaces the remote_addr of a request from a trusted proxy with the
  // client it names.
  void NameClient(httplib::Request& req) const;
  // Answers `refusal` and closes `sock`, without waiting for anything.
  void Refuse(socket_t sock, const absl::Status& refusal);

  const ConnectionLimits limits_;
  Metrics* const metrics_;
  ClientBudget connections_;
  std::atomic<bool> stopping_{false};
  // Set by new_task_queue for the duration of listen_after_bind.
  Queue* queue_ = nullptr;
  // Declared last: destroyed first, closing what still lingers.
  LingeringCloser closer_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_HTTP_SERVER_H_
