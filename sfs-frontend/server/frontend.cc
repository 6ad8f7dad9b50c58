#include "sfs-frontend/server/frontend.h"

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "sfs-frontend/server/account_handlers.h"
#include "sfs-frontend/server/file_handlers.h"
#include "sfs-frontend/server/http_error.h"
#include "sfs-frontend/server/multipart_reader.h"
#include "sfs-frontend/server/namespace_handlers.h"
#include "sfs-frontend/server/progress_handler.h"
#include "sfs-frontend/server/request_body.h"
#include "sfs-frontend/server/single_page_app.h"
#include "sfs-frontend/server/tus_handler.h"
#include "sfs-frontend/supabase/supabase_handlers.h"

namespace sfs::frontend {
namespace {

template <typename T>
std::shared_ptr<T> Registered(Router& router, std::shared_ptr<T> handlers) {
  handlers->Register(router);
  return handlers;
}

// The legacy query-parameter routes name no namespace and mean "default"
// (the seed's namespace for unauthenticated access): it exists from the
// first start, readable by anyone, written only by admins. Replicas racing
// to create it all succeed.
absl::Status EnsureDefaultNamespace(Catalog& catalog) {
  NamespaceRecord record;
  record.name = "default";
  record.owner_id = kSystemOwner;
  record.visibility = Visibility::kPublic;
  record.created_at = absl::ToUnixMicros(absl::Now());
  absl::Status status = catalog.CreateNamespace(record);
  return absl::IsAlreadyExists(status) ? absl::OkStatus() : status;
}

std::string CurrentException() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Frontend>> Frontend::Create(
    const FrontendOptions& options, std::unique_ptr<Client> client,
    std::unique_ptr<Catalog> catalog, std::optional<JwtVerifier> verifier) {
  RETURN_IF_ERROR(EnsureDefaultNamespace(*catalog));
  std::unique_ptr<Frontend> frontend(new Frontend(
      options, std::move(client), std::move(catalog), std::move(verifier)));
  if (!options.static_dir.empty()) {
    if (!frontend->server_->set_mount_point("/", options.static_dir)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "static folder ", options.static_dir, " does not exist"));
    }
    auto app = std::make_shared<SinglePageApp>(options.static_dir);
    frontend->router_.SetFallback(
        "web_ui", [app](const HttpCall& call) { return app->Serve(call); });
  }
  return frontend;
}

Frontend::Frontend(const FrontendOptions& options,
                   std::unique_ptr<Client> client,
                   std::unique_ptr<Catalog> catalog,
                   std::optional<JwtVerifier> verifier)
    : options_(options),
      client_(std::move(client)),
      catalog_(std::move(catalog)),
      authenticator_(catalog_.get(), std::move(verifier)),
      audit_(catalog_.get(), &authenticator_, options.audit_retention),
      progress_(catalog_.get()),
      files_(client_.get(), catalog_.get(), Retention(options.retention_day)),
      resumable_(&files_, client_.get(), &progress_),
      services_{&files_,
                &resumable_,
                client_.get(),
                catalog_.get(),
                &authenticator_,
                &progress_,
                &metrics_,
                &audit_,
                options.jwt_secret,
                &options_.content_origin},
      router_(&metrics_),
      sweeper_(client_.get(), catalog_.get(), files_.retention(),
               options.lifecycle_interval),
      progress_streams_(
          "progress streams",
          options.max_progress_streams > 0
              ? options.max_progress_streams
              : std::max(1, options.connections.max_connections / 4),
          options.max_progress_streams_per_client),
      server_(std::make_unique<HttpServer>(options.connections, &metrics_)),
      request_id_prefix_(
          absl::StrCat(absl::Hex(absl::ToUnixMicros(absl::Now())))) {
  RegisterRoutes();
  router_.SetObserver(&audit_);
  httplib::Server& s = *server_;
  s.set_payload_max_length(std::numeric_limits<size_t>::max());
  // Set on the listening socket, inherited by every accepted connection
  // (Linux): TCP_NODELAY, so a small answer on a kept-alive connection is
  // not held back by Nagle's algorithm until the client's delayed ACK. And
  // SO_REUSEADDR for quick restarts, where httplib's default sets
  // SO_REUSEPORT, which would let a second process bind the same port. The
  // socket is kept to enlarge its backlog once bound (Start).
  s.set_socket_options([this](socket_t sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    listen_socket_ = sock;
  });
  auto plain = [this](const httplib::Request& req, httplib::Response& res) {
    ScopedRequestId request_id(res.get_header_value("X-Request-Id"));
    router_.Dispatch(req, res, nullptr);
  };
  auto with_body = [this](const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader& body) {
    ScopedRequestId request_id(res.get_header_value("X-Request-Id"));
    WholeBodyReader whole(body, WholeBodyReader::kMaxDropped);
    httplib::ContentReader reader = whole.reader();
    router_.Dispatch(req, res, &reader);
    // httplib marks a body it fails to read as a 400 in `res`; the answer
    // already decided stands.
    const int status = res.status;
    // A client waiting for "100 Continue" sends no body to drop.
    if (HttpServer::ContinueWithheld() || !whole.Finish()) {
      CloseConnectionAfter(res);
    }
    res.status = status;
  };
  s.Get(".*", plain);
  s.Options(".*", plain);
  s.Post(".*", with_body);
  s.Put(".*", with_body);
  s.Patch(".*", with_body);
  s.Delete(".*", with_body);
  // Every answer carries a request id, which the access log line repeats, so
  // a client's report can be matched to the log. The log has the path but
  // never the query, where `?token=` credentials travel. CORS preflights
  // are answered here, before any route.
  s.set_pre_routing_handler([this](const httplib::Request& req,
                                   httplib::Response& res) {
    res.set_header("X-Request-Id",
                   absl::StrCat(request_id_prefix_, "-", ++requests_));
    ++in_flight_;
    // httplib hands this hook the request it is about to read the body
    // of as const, though the object is its own mutable local: the only
    // place to move a multipart type aside before it reads the body.
    SetAsideMultipartType(const_cast<httplib::Request&>(req));
    if (options_.content_origin.Receives(req)) {
      if (!ContentOrigin::Serves(req)) {
        WriteError(res,
                   {404, "not_found", "this origin serves file content only"});
        return httplib::Server::HandlerResponse::Handled;
      }
      ContentOrigin::DropCredentials(const_cast<httplib::Request&>(req));
    }
    // httplib would apply parsed ranges to any answer, building a
    // multi-range one in memory; the routes that serve ranges resolve
    // the Range header themselves (DownloadHandler).
    const_cast<httplib::Request&>(req).ranges.clear();
    return options_.cors.Apply(req, res)
               ? httplib::Server::HandlerResponse::Handled
               : httplib::Server::HandlerResponse::Unhandled;
  });
  s.set_logger(
      [this](const httplib::Request& req, const httplib::Response& res) {
        // After the whole response, a download's streamed body included; only
        // requests that were parsed (and so counted) have an id.
        if (res.has_header("X-Request-Id")) --in_flight_;
        Log(res.get_header_value("X-Request-Id"), " ", req.method, " ",
            req.path, " ", res.status);
      });
  // Library exceptions (std::regex, allocation) end at this edge as a 500.
  // What is left of the request body is unknown, so the connection ends.
  s.set_exception_handler([](const httplib::Request& req,
                             httplib::Response& res, std::exception_ptr) {
    Log(req.method, " ", req.path, " failed: ", CurrentException());
    const std::string request_id = res.get_header_value("X-Request-Id");
    res = httplib::Response();
    res.set_header("X-Request-Id", request_id);
    WriteError(res, {500, "internal", "internal error"});
    CloseConnectionAfter(res);
  });
}

Frontend::~Frontend() {
  if (serve_thread_.joinable()) {
    server_->stop();
    serve_thread_.join();
  }
}

void Frontend::RegisterRoutes() {
  router_.Add({"GET"}, "/healthz", "healthz", [](const HttpCall& call) {
    WriteJson(call, 200, "{\"status\":\"ok\"}");
    return absl::OkStatus();
  });
  router_.Add({"GET"}, "/readyz", "readyz",
              [this](const HttpCall& call) { return Ready(call); });
  router_.Add({"GET"}, "/metrics", "metrics", [this](const HttpCall& call) {
    call.res.set_content(metrics_.Render(), "text/plain; version=0.0.4");
    return absl::OkStatus();
  });
  handlers_.push_back(
      Registered(router_, std::make_shared<AccountHandlers>(
                              &services_, options_.session_lifetime)));
  handlers_.push_back(Registered(
      router_, std::make_shared<ProgressHandler>(&services_, &progress_streams_,
                                                 options_.sse_keepalive)));
  handlers_.push_back(
      Registered(router_, std::make_shared<TusHandler>(&services_)));
  handlers_.push_back(Registered(
      router_, std::make_shared<TusHandler>(&services_, SupabaseTusDialect())));
  // Before every route that matches /storage/*: the /storage/v1 dialect.
  handlers_.push_back(
      Registered(router_, std::make_shared<SupabaseHandlers>(&services_)));
  handlers_.push_back(
      Registered(router_, std::make_shared<NamespaceHandlers>(&services_)));
  // Last: it owns the catch-all /storage/{ns}/{path}.
  handlers_.push_back(
      Registered(router_, std::make_shared<FileHandlers>(&services_)));
}

absl::Status Frontend::Ready(const HttpCall& call) {
  if (draining_) return absl::UnavailableError("draining");
  auto status = client_->Status();
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("master unreachable: ", status.status().message()));
  }
  WriteJson(call, 200, "{\"status\":\"ready\"}");
  return absl::OkStatus();
}

absl::Status Frontend::Start() {
  if (!server_->bind_to_port(options_.host, options_.port)) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.host, ":", options_.port));
  }
  // Debian's httplib is built to listen with a backlog of 5: a burst of new
  // connections beyond the free threads would see their SYNs dropped and
  // retried a second later. listen() on a listening socket sets a new one.
  if (::listen(listen_socket_, options_.listen_backlog) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot set the listen backlog: ", strerror(errno)));
  }
  serve_thread_ = std::thread([this] {
    server_->listen_after_bind();
    stopped_.Notify();
  });
  sweeper_.Start();
  return absl::OkStatus();
}

Frontend::DrainOutcome Frontend::Drain(absl::Duration bound) {
  draining_ = true;
  metrics_.SetDraining(true);
  absl::SleepFor(options_.drain_delay);
  sweeper_.Stop();
  // Progress streams would otherwise hold their threads until keep-alive.
  progress_.Shutdown();
  // Stops accepting: accept() on the shut-down listening socket fails, so
  // httplib closes it and listen_after_bind returns once every connection's
  // thread has finished. Not server_->stop(): that marks the server as
  // shutting down, and httplib then cuts streamed response bodies (a
  // download in flight) at their next piece. Kept-alive connections close
  // at their next wait for a request.
  ::shutdown(listen_socket_, SHUT_RDWR);
  server_->StopKeepingAlive();
  if (!stopped_.WaitForNotificationWithTimeout(bound)) {
    return DrainOutcome{false, in_flight_.load()};
  }
  serve_thread_.join();
  return DrainOutcome{true, 0};
}

}  // namespace sfs::frontend
