// Internal to client-lib. Unary calls to the master with a deadline, waiting
// for the channel to (re)connect within it, so a master restart looks like
// a slow call rather than a failure. A call that ran out of time without
// ever connecting says so, and names the likely causes (a master that is
// down, or a certificate it does not accept). Thread-safe.
#ifndef SFS_CLIENT_LIB_MASTER_CONNECTION_H_
#define SFS_CLIENT_LIB_MASTER_CONNECTION_H_

#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/grpc_status.h"
#include "proto/sfs.grpc.pb.h"

namespace sfs {

class MasterConnection {
 public:
  MasterConnection(std::shared_ptr<grpc::Channel> channel,
                   absl::Duration timeout)
      : channel_(channel),
        stub_(proto::Master::NewStub(channel)),
        timeout_(timeout) {}

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
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
        channel_->GetState(false) == GRPC_CHANNEL_TRANSIENT_FAILURE) {
      return absl::DeadlineExceededError(absl::StrCat(
          "no connection to the master within ", absl::FormatDuration(timeout_),
          ": is it running at that address, and does it accept this "
          "client's certificate (--tls_dir)?"));
    }
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

 private:
  const std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<proto::Master::Stub> stub_;
  const absl::Duration timeout_;
};

}  // namespace sfs

#endif  // SFS_CLIENT_LIB_MASTER_CONNECTION_H_
