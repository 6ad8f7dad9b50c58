// sfs-frontend: the HTTP API over an SFS cluster (docs/http-api.md).
//
//   sfs-frontend -addr=:8080 -master=localhost:9000 --catalog=DIR|postgres://
//                [--jwt-secret-file=F | --jwt-public-key=PEM] [-static=DIR]

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "client-lib/client.h"
#include "common/log.h"
#include "common/process_settings.h"
#include "common/server_flags.h"
#include "common/signals.h"
#include "common/status_macros.h"
#include "sfs-frontend/catalog/open_catalog.h"
#include "sfs-frontend/server/frontend.h"

ABSL_FLAG(std::string, addr, "127.0.0.1:8080",
          "listen address, [host]:port (\":8080\": every interface)");
ABSL_FLAG(std::string, master, "localhost:9000", "master address");
ABSL_FLAG(std::string, static, "", "web UI folder served at /");
ABSL_FLAG(std::string, cors_origins, "",
          "origins allowed to call the API from scripts, with credentials: "
          "comma-separated https://host[:port] and https://*.domain");
ABSL_FLAG(std::string, catalog, "./.sfs-data/frontend",
          "catalog: a folder (embedded) or a postgres:// URL");
ABSL_FLAG(std::string, jwt_secret_file, "",
          "file holding the HS256 secret (also signs login sessions)");
ABSL_FLAG(std::string, jwt_public_key, "",
          "PEM file of the RS256/ES256 public key of the token issuer");
ABSL_FLAG(std::string, jwt_issuer, "",
          "the \"iss\" tokens must carry (required with --jwt_public_key)");
ABSL_FLAG(std::string, jwt_audience, "",
          "the audience tokens' \"aud\" must name (required with "
          "--jwt_public_key)");
ABSL_FLAG(int, threads, 256,
          "connections served at once, one thread each (an active transfer "
          "or progress stream holds one); more are answered 503");
ABSL_FLAG(int, max_connections_per_client, 64,
          "connections one client address may hold, more are answered 429 "
          "(0: no cap; behind a proxy all clients share its address)");
ABSL_FLAG(std::string, content_origin, "",
          "origin (scheme://host[:port]) user files shown inline are served "
          "from, through short-lived signed links; it serves nothing else "
          "and ignores credentials. Empty: files are shown from here");
ABSL_FLAG(std::string, trusted_proxies, "",
          "comma-separated addresses and CIDR blocks of proxies whose "
          "X-Forwarded-For names the client (login throttle, anonymous "
          "transfer owners, progress stream caps, audit log); empty: none");
ABSL_FLAG(int, max_progress_streams, 0,
          "progress streams open at once (0: a quarter of --threads)");
ABSL_FLAG(int, max_progress_streams_per_client, 8,
          "progress streams one client address may hold (0: no cap)");
ABSL_FLAG(int, chunk_cache_mib, 64,
          "MiB of small chunks (up to 1 MiB each, so files up to 1 MiB) kept "
          "in memory for repeated downloads; always current, as a download "
          "first asks the master which chunks the file has (0: none)");
ABSL_FLAG(int, upload_window_kib, 1024,
          "KiB of an upload that may be on its way to the replicas, not yet "
          "acknowledged by all; an upload holds about this plus 2 MiB "
          "(its 1 MiB segment being filled and the one being sent) plus "
          "gRPC's copies of what is in flight; at least 64");
ABSL_FLAG(absl::Duration, head_timeout, absl::Seconds(10),
          "a request's line and headers must arrive within this");
ABSL_FLAG(absl::Duration, keep_alive_timeout, absl::Seconds(5),
          "how long an idle connection waits for its next request");
ABSL_FLAG(absl::Duration, io_timeout, absl::Seconds(30),
          "drop a connection idle or stalled this long");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(30),
          "on SIGTERM, how long in-flight requests may still run");
ABSL_FLAG(absl::Duration, drain_delay, absl::ZeroDuration(),
          "on SIGTERM, how long to keep serving while /readyz says 503, "
          "before accepting no more connections (cover the load "
          "balancer's health checks)");
ABSL_FLAG(absl::Duration, sse_keepalive, absl::Seconds(15),
          "comment keep-alive interval of progress streams");
ABSL_FLAG(absl::Duration, audit_retention, absl::Hours(24 * 90),
          "how long audit events (GET /api/audit) are kept");
ABSL_FLAG(absl::Duration, lifecycle_interval, absl::Minutes(10),
          "how often files past their namespace's retention are deleted");
ABSL_FLAG(absl::Duration, retention_day, absl::Hours(24),
          "length of one retention_days day (tests shorten it)");

namespace sfs::frontend {
namespace {

// The exit status of a drain that timed out and cut requests.
constexpr int kDrainCutExitCode = 3;

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// The verifier the flags ask for, if any, and the HS256 secret.
absl::StatusOr<std::optional<JwtVerifier>> LoadVerifier(std::string* secret) {
  const std::string secret_file = absl::GetFlag(FLAGS_jwt_secret_file);
  const std::string key_file = absl::GetFlag(FLAGS_jwt_public_key);
  if (!secret_file.empty() && !key_file.empty()) {
    return absl::InvalidArgumentError(
        "--jwt_secret_file and --jwt_public_key exclude each other");
  }
  JwtVerifierOptions options;
  options.issuer = absl::GetFlag(FLAGS_jwt_issuer);
  options.audience = absl::GetFlag(FLAGS_jwt_audience);
  if (!secret_file.empty()) {
    ASSIGN_OR_RETURN(std::string text, ReadWholeFile(secret_file));
    *secret = std::string(absl::StripTrailingAsciiWhitespace(text));
    ASSIGN_OR_RETURN(JwtVerifier verifier,
                     JwtVerifier::ForSharedSecret(*secret, options));
    return std::optional<JwtVerifier>(std::move(verifier));
  }
  if (!key_file.empty()) {
    // A public key is an issuer's, whose tokens may be meant for other
    // services too: only those issued by it for us are credentials here.
    if (options.issuer.empty() || options.audience.empty()) {
      return absl::InvalidArgumentError(
          "--jwt_public_key needs --jwt_issuer and --jwt_audience");
    }
    ASSIGN_OR_RETURN(std::string pem, ReadWholeFile(key_file));
    ASSIGN_OR_RETURN(JwtVerifier verifier,
                     JwtVerifier::ForPublicKeyPem(pem, options));
    return std::optional<JwtVerifier>(std::move(verifier));
  }
  return std::optional<JwtVerifier>();
}

absl::Status ParseAddress(const std::string& addr, FrontendOptions& options) {
  size_t colon = addr.rfind(':');
  std::string host = colon == std::string::npos ? "" : addr.substr(0, colon);
  if (!absl::SimpleAtoi(addr.substr(colon + 1), &options.port)) {
    return absl::InvalidArgumentError(absl::StrCat("bad -addr ", addr));
  }
  options.host = host.empty() ? "0.0.0.0" : host;
  return absl::OkStatus();
}

absl::Status Run(const ServerFlags& server_flags) {
  FrontendOptions options;
  RETURN_IF_ERROR(ParseAddress(absl::GetFlag(FLAGS_addr), options));
  options.static_dir = absl::GetFlag(FLAGS_static);
  ASSIGN_OR_RETURN(options.cors,
                   CorsPolicy::Parse(absl::GetFlag(FLAGS_cors_origins)));
  ASSIGN_OR_RETURN(options.content_origin,
                   ContentOrigin::Parse(absl::GetFlag(FLAGS_content_origin)));
  options.connections.max_connections = absl::GetFlag(FLAGS_threads);
  options.connections.max_connections_per_client =
      absl::GetFlag(FLAGS_max_connections_per_client);
  options.connections.head_timeout = absl::GetFlag(FLAGS_head_timeout);
  options.connections.keep_alive_timeout =
      absl::GetFlag(FLAGS_keep_alive_timeout);
  options.connections.io_timeout = absl::GetFlag(FLAGS_io_timeout);
  ASSIGN_OR_RETURN(options.connections.trusted_proxies,
                   TrustedProxies::Parse(absl::GetFlag(FLAGS_trusted_proxies)));
  options.max_progress_streams = absl::GetFlag(FLAGS_max_progress_streams);
  options.max_progress_streams_per_client =
      absl::GetFlag(FLAGS_max_progress_streams_per_client);
  options.sse_keepalive = absl::GetFlag(FLAGS_sse_keepalive);
  options.drain_delay = absl::GetFlag(FLAGS_drain_delay);
  options.lifecycle_interval = absl::GetFlag(FLAGS_lifecycle_interval);
  options.audit_retention = absl::GetFlag(FLAGS_audit_retention);
  options.retention_day = absl::GetFlag(FLAGS_retention_day);
  ASSIGN_OR_RETURN(std::optional<JwtVerifier> verifier,
                   LoadVerifier(&options.jwt_secret));

  ClientOptions client_options;
  client_options.master_address = absl::GetFlag(FLAGS_master);
  client_options.tls_dir = server_flags.tls_dir;
  client_options.write_window_bytes =
      size_t{static_cast<uint32_t>(
          std::max(64, absl::GetFlag(FLAGS_upload_window_kib)))}
      << 10;
  client_options.chunk_cache_bytes =
      size_t{static_cast<uint32_t>(
          std::max(0, absl::GetFlag(FLAGS_chunk_cache_mib)))}
      << 20;
  ASSIGN_OR_RETURN(std::unique_ptr<Client> client,
                   Client::Connect(client_options));
  ASSIGN_OR_RETURN(std::unique_ptr<Catalog> catalog,
                   OpenCatalog(absl::GetFlag(FLAGS_catalog)));
  ASSIGN_OR_RETURN(std::unique_ptr<Frontend> frontend,
                   Frontend::Create(options, std::move(client),
                                    std::move(catalog), std::move(verifier)));
  RETURN_IF_ERROR(frontend->Start());
  Log("serving http on ", options.host, ":", options.port, ", master ",
      client_options.master_address);
  int signal = WaitForTerminationSignal();
  Log("signal ", signal, ": draining");
  const Frontend::DrainOutcome drained =
      frontend->Drain(absl::GetFlag(FLAGS_drain_timeout));
  if (!drained.complete) {
    // Cut transfers are failures: say so in the exit status, and skip the
    // destructors that would wait for them.
    Log("drain timed out with ", drained.in_flight,
        " requests still running; exiting with status ", kDrainCutExitCode);
    std::_Exit(kDrainCutExitCode);
  }
  Log("stopped: the drain let every request finish");
  return absl::OkStatus();
}

}  // namespace
}  // namespace sfs::frontend

int main(int argc, char** argv) {
  sfs::ConfigureMalloc();
  sfs::SkipMutexDeadlockDetection();
  sfs::BlockTerminationSignals();
  const sfs::ServerFlags server_flags =
      sfs::ParseServerCommandLine(argc, argv, "frontend");
  absl::Status status = sfs::frontend::Run(server_flags);
  if (!status.ok()) {
    sfs::Log("fatal: ", status.ToString());
    return 1;
  }
  return 0;
}
