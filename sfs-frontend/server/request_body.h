// The request body of a POST/PUT/PATCH/DELETE as the frontend's handlers see
// it, and what happens to the part they do not read.
//
// httplib parses the next request of a kept-alive connection from whatever
// bytes follow the previous answer, so a body a handler leaves unread (it
// refused the request: 401, 404, 409, 413, ...) would be parsed as requests
// of its own and answered 400. WholeBodyReader therefore reads every body to
// its end, in constant memory, forwarding to the handler what it wants and
// dropping the rest; a stalled sender is cut by the I/O timeout. When the
// body cannot be read to its end (malformed multipart, cut short, timed
// out), the connection is no longer in a known state: the caller closes it
// after the answer with CloseConnectionAfter.
//
// Not thread-safe: one per request, on the request's thread.
#ifndef SFS_FRONTEND_SERVER_REQUEST_BODY_H_
#define SFS_FRONTEND_SERVER_REQUEST_BODY_H_

#include <httplib.h>

namespace sfs::frontend {

class WholeBodyReader {
 public:
  // `req` and `body` must outlive this.
  WholeBodyReader(const httplib::Request& req,
                  const httplib::ContentReader& body)
      : req_(req), body_(body) {}

  // What the handler reads through; it may stop whenever it likes (its
  // receiver returning false), and the rest is still read and dropped.
  httplib::ContentReader reader();

  // Reads and drops the body if the handler never asked for it. True when
  // the whole body was read; false when the connection must be closed.
  bool Finish();

 private:
  // Reads the whole body into `receiver`, whatever its encoding (a
  // multipart body as plain bytes: SetAsideMultipartType).
  bool Read(httplib::ContentReceiver receiver);
  // Passes data to `receiver` until it refuses once; keeps reading after.
  static httplib::ContentReceiver Forward(httplib::ContentReceiver& receiver,
                                          bool& refused);

  const httplib::Request& req_;
  const httplib::ContentReader& body_;
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
