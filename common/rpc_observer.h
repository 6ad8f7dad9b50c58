// What every SFS gRPC server records about the calls it answers: a count by
// method and status code (sfs_rpc_requests_total) and a latency histogram by
// method (sfs_rpc_duration_seconds: from the call's arrival to its status,
// so a stream counts for its whole life). It also makes the caller's request
// id (kRequestIdKey metadata) the handler thread's log context for a sync
// method; a callback method's hooks may run on different threads, so its
// handler scopes the id itself (RequestIdOf). Calls that
// fail with a code that signals trouble (not NOT_FOUND, ALREADY_EXISTS,
// FAILED_PRECONDITION or CANCELLED, which are ordinary answers) are logged,
// and with `log_calls` every call is.
#ifndef SFS_COMMON_RPC_OBSERVER_H_
#define SFS_COMMON_RPC_OBSERVER_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

namespace prometheus {
class Registry;
}

namespace sfs {

// Installs the observer on a server being built. `registry` must outlive the
// server.
void ObserveRpcs(grpc::ServerBuilder* builder, prometheus::Registry* registry,
                 bool log_calls);

// The caller's request id (kRequestIdKey metadata), or "".
std::string RequestIdOf(const grpc::ServerContextBase& context);

// The bucket bounds, in seconds, of every SFS latency histogram: 100 µs to
// one minute, about three per decade.
const std::vector<double>& LatencyBuckets();

}  // namespace sfs

#endif  // SFS_COMMON_RPC_OBSERVER_H_
