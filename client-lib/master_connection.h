// Internal to client-lib. Unary calls to the master with a deadline, waiting
// for the channel to (re)connect within it, so a master restart looks like
// a slow call rather than a failure. Thread-safe.
#ifndef SFS_CLIENT_LIB_MASTER_CONNECTION_H_
#define SFS_CLIENT_LIB_MASTER_CONNECTION_H_

#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/grpc_status.h"
#include "proto/sfs.grpc.pb.h"

namespace sfs {

class MasterConnection {
 public:
  MasterConnection(std::shared_ptr<grpc::Channel> channel,
                   absl::Duration timeout)
      : stub_(proto::Master::NewStub(channel)), timeout_(timeout) {}

  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(
      grpc::Status (proto::Master::Stub::*method)(grpc::ClientContext*,
                                                  const Request&, Response*),
      const Request& request) {
    grpc::ClientContext context;
    context.set_wait_for_ready(true);
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
    Response response;
    grpc::Status status = (stub_.get()->*method)(&context, request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

 private:
  std::unique_ptr<proto::Master::Stub> stub_;
  const absl::Duration timeout_;
};

}  // namespace sfs

#endif  // SFS_CLIENT_LIB_MASTER_CONNECTION_H_
