#include "sfs-frontend/server/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sfs-frontend/server/http_error.h"

namespace sfs::frontend {
namespace {

// How often a kept-alive connection's wait looks at StopKeepingAlive.
constexpr absl::Duration kStopCheck = absl::Milliseconds(100);

// poll() on one socket for `events`, up to `timeout` (not below zero).
// True when an event (or an error, which the next call reports) came.
bool PollOne(int sock, short events, absl::Duration timeout) {
  const int millis = static_cast<int>(std::max<int64_t>(
      0,
      absl::ToInt64Milliseconds(absl::Ceil(timeout, absl::Milliseconds(1)))));
  pollfd fd{sock, events, 0};
  int ready;
  do {
    ready = ::poll(&fd, 1, millis);
  } while (ready < 0 && errno == EINTR);
  return ready > 0;
}

// The numeric host and port of a socket address.
void NumericAddress(const sockaddr_storage& address, socklen_t length,
                    std::string& ip, int& port) {
  char host[NI_MAXHOST] = "";
  char service[NI_MAXSERV] = "";
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&address), length, host,
                    sizeof(host), service, sizeof(service),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    ip.clear();
    port = 0;
    return;
  }
  ip = host;
  port = std::atoi(service);
}

// The connection this thread serves, for ContinueWithheld.
thread_local const void* current_stream = nullptr;

}  // namespace

// httplib's task queue, reduced to admission: the accepting thread runs each
// accepted connection's task (process_and_close_socket) itself, and that
// admits the connection to `pool`, whose threads serve.
class HttpServer::Queue : public httplib::TaskQueue {
 public:
  explicit Queue(int threads) : pool(threads) {}

  void enqueue(std::function<void()> fn) override { fn(); }
  // Waits for every admitted connection to be served.
  void shutdown() override { pool.shutdown(); }

  httplib::ThreadPool pool;
};

// One connection as httplib reads and writes it: a buffered socket with
// poll()ed timeouts, and the deadline and size bound of a request's head.
class HttpServer::ConnectionStream : public httplib::Stream {
 public:
  ConnectionStream(socket_t sock, const ConnectionLimits& limits)
      : sock_(sock), limits_(limits) {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    if (::getpeername(sock, reinterpret_cast<sockaddr*>(&address), &length) ==
        0) {
      NumericAddress(address, length, peer_ip_, peer_port_);
    }
  }

  const std::string& peer_ip() const { return peer_ip_; }
  socket_t sock() const { return sock_; }
  bool has_buffered() const { return offset_ < filled_; }

  // A request starts: its line and headers must be read by head_timeout
  // from now, within max_head_bytes.
  void BeginHead() {
    in_head_ = true;
    expects_continue_ = false;
    continue_withheld_ = false;
    head_deadline_ = absl::Now() + limits_.head_timeout;
    head_bytes_ = 0;
  }
  // httplib has parsed the head: the body has only the I/O timeout.
  // `expects_continue`: the client waits for "100 Continue" before it
  // sends the body.
  void EndHead(bool expects_continue) {
    in_head_ = false;
    expects_continue_ = expects_continue;
  }
  bool continue_withheld() const { return continue_withheld_; }
  bool in_head() const { return in_head_; }

  bool is_readable() const override {
    return has_buffered() || PollOne(sock_, POLLIN, ReadWait());
  }

  bool is_writable() const override {
    if (!PollOne(sock_, POLLOUT, limits_.io_timeout)) return false;
    // Alive unless the peer has closed or reset: readable with nothing to
    // read (as httplib's own check).
    if (!PollOne(sock_, POLLIN, absl::ZeroDuration())) return true;
    char byte;
    const ssize_t n = ::recv(sock_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
  }

  ssize_t read(char* ptr, size_t size) override {
    // A handler reads the body: it has let the request through, so the
    // client may send it now.
    if (continue_withheld_) {
      continue_withheld_ = false;
      static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      if (SendAll(kContinue, sizeof(kContinue) - 1) < 0) return -1;
    }
    if (!has_buffered()) {
      if (!is_readable()) return -1;
      ssize_t n;
      do {
        n = ::recv(sock_, buffer_, sizeof(buffer_), 0);
      } while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
      offset_ = 0;
      filled_ = static_cast<size_t>(n);
    }
    size = std::min(size, filled_ - offset_);
    if (in_head_) {
      // httplib reads a head a byte at a time: this counts it exactly.
      head_bytes_ += size;
      if (head_bytes_ > limits_.max_head_bytes) return -1;
    }
    std::memcpy(ptr, buffer_ + offset_, size);
    offset_ += size;
    return static_cast<ssize_t>(size);
  }

  ssize_t write(const char* ptr, size_t size) override {
    // httplib answers "Expect: 100-continue" before any route has looked at
    // the request; the answer waits until a handler reads the body (read),
    // and is dropped when the final answer comes first.
    if (expects_continue_ &&
        absl::StartsWith(absl::string_view(ptr, size), "HTTP/1.1 100 ")) {
      expects_continue_ = false;
      continue_withheld_ = true;
      return static_cast<ssize_t>(size);
    }
    continue_withheld_ = false;
    if (!is_writable()) return -1;
    ssize_t n;
    do {
      n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = peer_ip_;
    port = peer_port_;
  }

  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&address), &length) ==
        0) {
      NumericAddress(address, length, ip, port);
    }
  }

  // httplib asks only to refuse descriptors beyond its select()'s reach;
  // this stream never select()s, so it names a descriptor that passes.
  socket_t socket() const override { return 0; }

 private:
  // Sends all of `data` or fails (-1).
  ssize_t SendAll(const char* data, size_t size) {
    while (size > 0) {
      if (!PollOne(sock_, POLLOUT, limits_.io_timeout)) return -1;
      const ssize_t n = ::send(sock_, data, size, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return -1;
      data += n;
      size -= static_cast<size_t>(n);
    }
    return 0;
  }

  // How long a read may wait now: the I/O timeout, less in a head.
  absl::Duration ReadWait() const {
    if (!in_head_) return limits_.io_timeout;
    return std::min(limits_.io_timeout, head_deadline_ - absl::Now());
  }

  const socket_t sock_;
  const ConnectionLimits& limits_;
  std::string peer_ip_;
  int peer_port_ = 0;
  bool in_head_ = false;
  bool expects_continue_ = false;
  bool continue_withheld_ = false;
  absl::Time head_deadline_;
  size_t head_bytes_ = 0;
  char buffer_[4096];
  size_t offset_ = 0;
  size_t filled_ = 0;
};

HttpServer::HttpServer(const ConnectionLimits& limits, Metrics* metrics)
    : limits_(limits),
      metrics_(metrics),
      connections_("connections", limits.max_connections,
                   limits.max_connections_per_client) {
  // Also the sockets' SO_RCVTIMEO and SO_SNDTIMEO (httplib sets them at
  // accept), which bound a blocking send of a large piece.
  const int64_t io_seconds =
      std::max<int64_t>(1, absl::ToInt64Seconds(limits.io_timeout));
  set_read_timeout(io_seconds);
  set_write_timeout(io_seconds);
  // Only what httplib's Keep-Alive response header announces: Serve keeps
  // these limits.
  set_keep_alive_max_count(limits.keep_alive_requests);
  set_keep_alive_timeout(
      std::max<int64_t>(1, absl::ToInt64Seconds(limits.keep_alive_timeout)));
  new_task_queue = [this] {
    queue_ = new Queue(limits_.max_connections);
    return queue_;
  };
}

HttpServer::~HttpServer() = default;

bool HttpServer::process_and_close_socket(socket_t sock) {
  auto stream = std::make_shared<ConnectionStream>(sock, limits_);
  absl::StatusOr<std::unique_ptr<ClientBudget::Slot>> slot =
      connections_.TryAcquire(stream->peer_ip());
  if (!slot.ok()) {
    metrics_->CountRefusedConnection(absl::IsUnavailable(slot.status()));
    Refuse(sock, slot.status());
    return false;
  }
  metrics_->ConnectionOpened();
  std::shared_ptr<ClientBudget::Slot> held = std::move(*slot);
  queue_->pool.enqueue([this, stream, held] { Serve(*stream); });
  return true;
}

bool HttpServer::ContinueWithheld() {
  return current_stream != nullptr &&
         static_cast<const ConnectionStream*>(current_stream)
             ->continue_withheld();
}

void HttpServer::Serve(ConnectionStream& stream) {
  current_stream = &stream;
  for (size_t served = 0; served < limits_.keep_alive_requests; ++served) {
    if (!WaitForRequest(stream, served == 0)) break;
    const bool last = served + 1 == limits_.keep_alive_requests || stopping_;
    bool closed = false;
    stream.BeginHead();
    // A head httplib refused (too long, too slow, malformed: answered 400
    // or not at all) leaves the rest of the stream unknown: close, rather
    // than parse what follows as requests.
    if (!process_request(stream, last, closed,
                         [this, &stream](httplib::Request& req) {
                           stream.EndHead(req.get_header_value("Expect") ==
                                          "100-continue");
                           NameClient(req);
                         }) ||
        closed || last || stream.in_head()) {
      break;
    }
  }
  current_stream = nullptr;
  metrics_->ConnectionClosed();
  closer_.Close(stream.sock());
}

void HttpServer::NameClient(httplib::Request& req) const {
  const TrustedProxies& proxies = limits_.trusted_proxies;
  if (proxies.empty()) return;
  std::vector<absl::string_view> forwarded;
  auto [begin, end] = req.headers.equal_range("X-Forwarded-For");
  for (auto it = begin; it != end; ++it) forwarded.push_back(it->second);
  req.remote_addr =
      proxies.ClientAddress(req.remote_addr, absl::StrJoin(forwarded, ","));
}

bool HttpServer::WaitForRequest(ConnectionStream& stream, bool first) const {
  if (stream.has_buffered()) return true;
  const absl::Time deadline = absl::Now() + limits_.keep_alive_timeout;
  // A new connection's first request is served even while stopping: the
  // client sent it before the listening socket closed.
  while (first || (!stopping_ && svr_sock_ != INVALID_SOCKET)) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    if (PollOne(stream.sock(), POLLIN, std::min(left, kStopCheck))) {
      return true;
    }
  }
  return false;
}

void HttpServer::Refuse(socket_t sock, const absl::Status& refusal) {
  const HttpError error = ToHttpError(refusal);
  const std::string body = ErrorJson(error);
  const std::string answer = absl::StrCat(
      "HTTP/1.1 ", error.status, " ", ReasonPhrase(error.status),
      "\r\nContent-Type: application/json\r\nContent-Length: ", body.size(),
      "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n", body);
  // A new connection's send buffer is empty: this fits, or the client is
  // not worth waiting for.
  ::send(sock, answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  closer_.Close(sock);
}

}  // namespace sfs::frontend
