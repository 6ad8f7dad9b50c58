// Conversions between gRPC and absl statuses. Both use the same canonical
// codes, so an error keeps its meaning across a process boundary: a chunk's
// DataLoss on a chunkserver is still DataLoss in the client.
#ifndef SFS_COMMON_GRPC_STATUS_H_
#define SFS_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sfs {

// Trailing-metadata key on a failed WriteChunk: the address of the replica
// the failure is blamed on, so the client can drop exactly that one from the
// chain and carry on with the others.
inline constexpr char kFailedReplicaKey[] = "sfs-failed-replica";

// How a master's quota refusal begins: RESOURCE_EXHAUSTED also means a
// cluster out of space, and the message is all a status carries across.
inline constexpr absl::string_view kQuotaExceededPrefix =
    "namespace quota exceeded";

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace sfs

#endif  // SFS_COMMON_GRPC_STATUS_H_
