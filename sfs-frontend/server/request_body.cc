#include "sfs-frontend/server/request_body.h"

#include <memory>
#include <string>

namespace sfs::frontend {

httplib::ContentReader WholeBodyReader::reader() {
  return httplib::ContentReader(
      [this](httplib::ContentReceiver receiver) {
        used_ = true;
        bool refused = false;
        complete_ = Read(Forward(receiver, refused));
        return complete_ && !refused;
      },
      // Multipart bodies reach handlers as plain bytes, for
      // MultipartReader (SetAsideMultipartType): httplib's parser is not
      // used.
      [](httplib::MultipartContentHeader, httplib::ContentReceiver) {
        return false;
      });
}

bool WholeBodyReader::Finish() {
  if (used_) return complete_;
  used_ = true;
  complete_ = Read([this](const char*, size_t n) { return Drop(n); });
  return complete_;
}

bool WholeBodyReader::Read(httplib::ContentReceiver receiver) {
  return body_(std::move(receiver));
}

httplib::ContentReceiver WholeBodyReader::Forward(
    httplib::ContentReceiver& receiver, bool& refused) {
  // A handler that read part of the body had let the request through:
  // the rest is dropped whole, so that the client, which may only read
  // the answer once it has sent everything, gets it.
  return [&receiver, &refused](const char* data, size_t n) {
    if (!refused) refused = !receiver(data, n);
    return true;
  };
}

bool WholeBodyReader::Drop(size_t n) {
  dropped_ += n;
  return dropped_ <= max_dropped_;
}

void CloseConnectionAfter(httplib::Response& res) {
  res.set_header("Connection", "close");
  auto body = std::make_shared<std::string>(std::move(res.body));
  res.body.clear();
  const std::string type = res.get_header_value("Content-Type");
  if (body->empty()) {
    res.set_content_provider(type,
                             [](size_t, httplib::DataSink&) { return false; });
    return;
  }
  res.set_content_provider(
      body->size(), type,
      [body](size_t offset, size_t length, httplib::DataSink& sink) {
        sink.write(body->data() + offset, length);
        return false;
      });
}

}  // namespace sfs::frontend
