// Internal to client-lib: wire messages to the public structs of client.h.
#ifndef SFS_CLIENT_LIB_PROTO_CONVERT_H_
#define SFS_CLIENT_LIB_PROTO_CONVERT_H_

#include "client-lib/client.h"
#include "proto/sfs.pb.h"

namespace sfs {

FileInfo FromProto(const proto::FileInfo& file);
ClusterStatus FromProto(const proto::ClusterStatusResponse& status);
FsckReport FromProto(const proto::FsckResponse& fsck);

}  // namespace sfs

#endif  // SFS_CLIENT_LIB_PROTO_CONVERT_H_
