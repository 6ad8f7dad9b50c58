#include "sfs-frontend/server/progress_handler.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "sfs-frontend/files/file_service.h"

namespace sfs::frontend {

void ProgressHandler::Register(Router& router) {
  router.Add({"GET"}, "/sse/progress", "progress",
             [this](const HttpCall& call) { return Watch(call); });
  router.Add({"POST"}, "/sse/progress/watch-token", "progress_watch_token",
             [this](const HttpCall& call) { return IssueWatchToken(call); });
}

std::string ProgressHandler::CallerName(const HttpCall& call) const {
  // A credential that does not verify watches as nobody, like none.
  absl::StatusOr<Identity> caller = Authenticate(*services_, call);
  return caller.ok() ? caller->user : "";
}

absl::Status ProgressHandler::IssueWatchToken(const HttpCall& call) {
  constexpr int64_t kDefaultSeconds = 3600;
  ASSIGN_OR_RETURN(const std::string id, RequestedTransferId(call));
  if (id.empty()) return absl::InvalidArgumentError("id is required");
  ASSIGN_OR_RETURN(const std::string text, ReadSmallBody(call));
  int64_t seconds = kDefaultSeconds;
  if (!text.empty()) {
    const nlohmann::json body =
        nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    const nlohmann::json expires_in =
        body.is_object()
            ? body.value("expires_in", nlohmann::json(kDefaultSeconds))
            : nlohmann::json();
    if (!expires_in.is_number_integer()) {
      return absl::InvalidArgumentError(
          "body is {\"expires_in\": seconds}, or empty for an hour");
    }
    seconds = expires_in.get<int64_t>();
  }
  ASSIGN_OR_RETURN(const std::string key, TransferKey(CallerName(call), call));
  ASSIGN_OR_RETURN(
      FileService::SignedToken token,
      services_->files->SignTransferWatch(key, absl::Seconds(seconds)));
  nlohmann::json answer = {
      {"token", token.token},
      {"expires_at", token.expires_at},
      {"url", absl::StrCat("/sse/progress?watch_token=", token.token)}};
  WriteJson(call, 200, answer.dump());
  return absl::OkStatus();
}

absl::Status ProgressHandler::Watch(const HttpCall& call) {
  std::string id, key;
  if (call.req.has_param("watch_token")) {
    ASSIGN_OR_RETURN(key, services_->files->RedeemTransferWatch(
                              call.req.get_param_value("watch_token")));
    id = key.substr(key.rfind('/') + 1);  // ids hold no '/'
  } else {
    ASSIGN_OR_RETURN(id, RequestedTransferId(call));
    if (id.empty()) return absl::InvalidArgumentError("id is required");
    ASSIGN_OR_RETURN(key, TransferKey(CallerName(call), call));
  }
  absl::StatusOr<std::unique_ptr<ClientBudget::Slot>> slot =
      streams_->TryAcquire(call.req.remote_addr);
  if (!slot.ok()) {
    call.res.set_header("Retry-After", "1");
    return slot.status();
  }
  // Given back when httplib destroys the provider, after the stream.
  std::shared_ptr<ClientBudget::Slot> held = std::move(*slot);
  call.res.set_header("Cache-Control", "no-cache");
  call.res.set_header("X-Accel-Buffering", "no");
  ProgressHub* hub = services_->progress;
  const absl::Duration keepalive = keepalive_;
  // Taken before the stream opens: a client that starts its transfer once
  // it sees the stream open gets every event of it.
  auto seen = std::make_shared<uint64_t>(hub->StartPosition(key));
  auto opened = std::make_shared<bool>(false);
  call.res.set_chunked_content_provider(
      "text/event-stream", [hub, id, key, keepalive, seen, opened, held](
                               size_t, httplib::DataSink& sink) {
        if (!*opened) {
          *opened = true;
          return sink.write(": keepalive\n\n", 13);
        }
        std::optional<ProgressEvent> event =
            hub->WaitForNext(key, seen.get(), keepalive);
        if (hub->shut_down()) {
          sink.done();
          return true;
        }
        if (!event.has_value()) return sink.write(": keepalive\n\n", 13);
        event->id = id;  // the watcher's id, without the owner
        std::string frame = absl::StrCat("data: ", event->ToJson(), "\n\n");
        if (!sink.write(frame.data(), frame.size())) return false;
        if (event->done) sink.done();
        return true;
      });
  return absl::OkStatus();
}

}  // namespace sfs::frontend
