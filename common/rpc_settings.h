// The gRPC settings every SFS process uses, in one place: keepalives, so a
// dead or frozen peer is noticed on a quiet or blocked stream instead of
// hanging it, and fixed HTTP/2 flow-control windows, so the bytes gRPC may
// buffer per stream are a constant and not a function of the link speed.
#ifndef SFS_COMMON_RPC_SETTINGS_H_
#define SFS_COMMON_RPC_SETTINGS_H_

#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <memory>
#include <string>

#include "common/cluster_tls.h"

namespace sfs {

// Bytes a receiver lets a sender have in flight on one stream (the HTTP/2
// stream window). gRPC's default lets bandwidth-delay probing grow it with
// the measured throughput, which on loopback reached tens of MiB per stream
// and made a reader's memory depend on how fast the disks were; it is fixed
// here with probing off. 4 MiB keeps a 1 MiB-message stream at full speed
// on any LAN (it covers 32 ms at 1 GB/s).
inline constexpr int kStreamWindowBytes = 4 << 20;

// The largest message SFS sends is a 4 MiB data segment plus its header.
inline constexpr int kMaxMessageBytes = 16 << 20;

// A peer that answers no keepalive ping within kKeepaliveTimeoutMs after
// kKeepaliveTimeMs of silence has its connection closed, failing every
// stream on it: at most ~20 s to notice a frozen or vanished process.
inline constexpr int kKeepaliveTimeMs = 10000;
inline constexpr int kKeepaliveTimeoutMs = 10000;

// Idle threads a server keeps for the next calls, and how often each wakes
// to see whether it is one too many (ConfigureServer).
inline constexpr int kIdleServerThreads = 32;
inline constexpr int kIdleServerThreadWakeMs = 1000;

// Metadata key of the request id that travels with a call from process to
// process (the frontend's X-Request-Id), so one request's log lines can be
// found in every process it touched.
inline constexpr char kRequestIdKey[] = "x-request-id";

// A channel to another SFS process, with the windows and keepalives above
// and quick reconnects after a peer restarts, authenticated with
// `credentials` and requiring the server to hold `peer`'s role (both
// unchecked when `credentials` are insecure). Every call on it carries the
// calling thread's request id (CurrentRequestId in common/log.h), when it
// has one, as kRequestIdKey metadata.
std::shared_ptr<grpc::Channel> NewChannel(const std::string& address,
                                          const ClusterCredentials& credentials,
                                          ClusterRole peer);

// Sets the same windows and keepalives on a server, and lets clients ping
// as often as NewChannel's channels do (gRPC's default would answer
// such pings with GOAWAY and cut the streams in flight).
void ConfigureServer(grpc::ServerBuilder* builder);

}  // namespace sfs

#endif  // SFS_COMMON_RPC_SETTINGS_H_
