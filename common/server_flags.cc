#include "common/server_flags.h"

#include <arpa/inet.h>

#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/flags.h"
#include "common/log.h"

ABSL_FLAG(std::string, log_format, "text",
          "log lines as \"text\" or as \"json\" objects");
ABSL_FLAG(bool, log_rpcs, false,
          "log every gRPC call answered, with its status and latency");
ABSL_FLAG(bool, check_flags, false,
          "parse the command line, then exit 0 without serving");
ABSL_FLAG(bool, insecure, false,
          "serve the gRPC plane without TLS on a non-loopback address "
          "(only where the network is closed to strangers)");
ABSL_FLAG(std::string, tls_dir, "",
          "directory of this process's cluster certificate: ca.crt, tls.crt, "
          "tls.key (empty: plaintext, unauthenticated)");

namespace sfs {

ServerFlags ParseServerCommandLine(int argc, char** argv,
                                   absl::string_view log_name) {
  NormalizeFlagNames(argc, argv);
  absl::ParseCommandLine(argc, argv);
  SetLogName(log_name);
  const std::string format = absl::GetFlag(FLAGS_log_format);
  if (format == "json") {
    SetLogFormat(LogFormat::kJson);
  } else if (format != "text") {
    Log("fatal: --log_format must be text or json, not \"", format, "\"");
    std::exit(1);
  }
  if (absl::GetFlag(FLAGS_check_flags)) std::exit(0);
  const std::string tls_dir = absl::GetFlag(FLAGS_tls_dir);
  auto credentials = ClusterCredentials::Load(tls_dir);
  if (!credentials.ok()) {
    Log("fatal: ", credentials.status().message());
    std::exit(1);
  }
  return ServerFlags{absl::GetFlag(FLAGS_log_rpcs), tls_dir,
                     std::move(*credentials)};
}

namespace {

bool IsLoopback(absl::string_view listen) {
  if (absl::StartsWith(listen, "unix:")) return true;
  absl::string_view host = listen.substr(0, listen.rfind(':'));
  if (absl::ConsumePrefix(&host, "[")) host = absl::StripSuffix(host, "]");
  const std::string name(host);
  if (name == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, name.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  return inet_pton(AF_INET6, name.c_str(), &v6) == 1 &&
         IN6_IS_ADDR_LOOPBACK(&v6);
}

}  // namespace

absl::Status CheckClusterListenAddress(absl::string_view listen,
                                       const ClusterCredentials& credentials) {
  if (credentials.secure() || IsLoopback(listen) ||
      absl::GetFlag(FLAGS_insecure)) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "refusing to serve the cluster plane without TLS on ", listen,
      ": give --tls_dir, listen on loopback, or pass --insecure where only "
      "the cluster's own processes can reach this address"));
}

}  // namespace sfs
