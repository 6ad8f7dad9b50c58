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
//   --tls_dir=DIR           this process's cluster certificate: DIR/ca.crt,
//                           DIR/tls.crt, DIR/tls.key (common/cluster_tls.h).
//                           The master and chunkservers then serve mutual
//                           TLS only (a chunkserver's chunk bytes may go in
//                           plaintext: its --encrypt_data); the frontend
//                           presents it to them.
//                           Default empty: plaintext, unauthenticated.
//   --insecure              let the master or a chunkserver serve its gRPC
//                           plane without TLS on an address other than
//                           loopback (CheckClusterListenAddress); default
//                           off.
#ifndef SFS_COMMON_SERVER_FLAGS_H_
#define SFS_COMMON_SERVER_FLAGS_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/cluster_tls.h"

namespace sfs {

// The shared flags the caller applies itself.
struct ServerFlags {
  bool log_rpcs = false;
  // --tls_dir, and the credentials read from it (insecure without it).
  std::string tls_dir;
  std::shared_ptr<const ClusterCredentials> cluster_credentials;
};

// Parses argv (flags may be spelled with hyphens), names the log `log_name`,
// applies --log_format and loads --tls_dir. Exits 1 with a one-line reason
// on a bad flag or unreadable certificates, and 0 after parsing under
// --check_flags (before reading any certificate).
ServerFlags ParseServerCommandLine(int argc, char** argv,
                                   absl::string_view log_name);

// Without TLS the cluster plane (master and chunkserver gRPC) authenticates
// no one: anyone who reaches its port may read and delete any file. So it
// listens on loopback only (127.0.0.0/8, ::1, localhost, unix:) unless
// `credentials` are secure or --insecure says the network is closed by
// other means. FailedPrecondition, naming the flags, for any other `listen`
// address.
absl::Status CheckClusterListenAddress(absl::string_view listen,
                                       const ClusterCredentials& credentials);

}  // namespace sfs

#endif  // SFS_COMMON_SERVER_FLAGS_H_
