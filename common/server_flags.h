// The command line every SFS server (master, chunkserver, frontend) shares.
// Beside each binary's own flags:
//   --log_format=text|json  one line per event, as text or as JSON objects
//                           (common/log.h); default text.
//   --log_rpcs              log every gRPC call the process answers, with
//                           its status, latency and the caller's request
//                           id (an access log of the cluster plane; the
//                           master and chunkservers, which serve gRPC);
//                           default off.
//   --check_flags           parse the whole command line, then exit 0
//                           without doing anything: how the deploy
//                           manifests are checked against the binaries.
//   --insecure              let the master or a chunkserver serve its
//                           unauthenticated gRPC plane on an address other
//                           than loopback (CheckClusterListenAddress);
//                           default off.
#ifndef SFS_COMMON_SERVER_FLAGS_H_
#define SFS_COMMON_SERVER_FLAGS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sfs {

// The shared flags the caller applies itself.
struct ServerFlags {
  bool log_rpcs = false;
};

// Parses argv (flags may be spelled with hyphens), names the log `log_name`
// and applies --log_format. Exits 1 with a one-line reason on a bad flag,
// and 0 after parsing under --check_flags.
ServerFlags ParseServerCommandLine(int argc, char** argv,
                                   absl::string_view log_name);

// The cluster plane (master and chunkserver gRPC) authenticates no one yet:
// anyone who reaches its port may read and delete any file. So it listens
// on loopback only (127.0.0.0/8, ::1, localhost, unix:) unless --insecure
// says the network is closed by other means (deploy/k8s: NetworkPolicies).
// FailedPrecondition, naming the flag, for any other `listen` address.
absl::Status CheckClusterListenAddress(absl::string_view listen);

}  // namespace sfs

#endif  // SFS_COMMON_SERVER_FLAGS_H_
