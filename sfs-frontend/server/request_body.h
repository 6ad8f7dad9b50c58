// The request body of a POST/PUT/PATCH/DELETE as the frontend's handlers see
// it, and what happens to the part they do not read.
//
// httplib parses the next request of a kept-alive connection from whatever
// bytes follow the previous answer, so a body a handler leaves unread (it
// refused the request: 401, 404, 409, 413, ...) would be parsed as requests
// of its own and answered 400. WholeBodyReader therefore reads the rest of a
// body, in constant memory, forwarding to the handler what it wants and
// dropping the rest. A body the handler never read (refused before it was
// let through: unauthorized, no such namespace) is dropped only up to
// `max_dropped` bytes: a stranger must not make us read gigabytes we
// refused. Once a handler has read part of a body the rest is dropped
// whole, so that a client that reads the answer only after sending
// everything (most do) gets it. When the body is not read to its end
// (too much left to drop, malformed multipart, cut short, timed out), the
// connection is no longer in a known state: the caller closes it after the
// answer with CloseConnectionAfter (and HttpServer closes it lingering, so
// the client still gets the answer).
//
// Not thread-safe: one per request, on the request's thread.
#ifndef SFS_FRONTEND_SERVER_REQUEST_BODY_H_
#define SFS_FRONTEND_SERVER_REQUEST_BODY_H_

#include <httplib.h>

namespace sfs::frontend {

class WholeBodyReader {
 public:
  // `body` must outlive this.
  WholeBodyReader(const httplib::ContentReader& body, size_t max_dropped)
      : body_(body), max_dropped_(max_dropped) {}

  // What the handler reads through; it may stop whenever it likes (its
  // receiver returning false), and the rest is still read and dropped.
  httplib::ContentReader reader();

  // Reads and drops the body if the handler never asked for it. True when
  // the whole body was read; false when the connection must be closed.
  bool Finish();

  // Bodies dropped beyond this close the connection instead.
  static constexpr size_t kMaxDropped = 64 << 10;

 private:
  // Reads the whole body into `receiver`, whatever its encoding (a
  // multipart body as plain bytes: SetAsideMultipartType).
  bool Read(httplib::ContentReceiver receiver);
  // Passes data to `receiver` until it refuses once, then drops.
  static httplib::ContentReceiver Forward(httplib::ContentReceiver& receiver,
                                          bool& refused);
  // Drops `n` bytes; false once more than max_dropped_ have been.
  bool Drop(size_t n);

  const httplib::ContentReader& body_;
  const size_t max_dropped_;
  size_t dropped_ = 0;
  bool used_ = false;
  bool complete_ = true;
};

// Makes httplib close the connection once `res` has been sent in full (it
// has no other way for a handler to ask): the body is sent by a content
// provider that reports failure after its last byte. `res` must not have a
// content provider already.
void CloseConnectionAfter(httplib::Response& res);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_REQUEST_BODY_H_
