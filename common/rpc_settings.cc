#include "common/rpc_settings.h"

#include <grpcpp/support/client_interceptor.h>

#include <vector>

#include "common/log.h"

namespace sfs {
namespace {

// Adds the request id of the thread that started a call to its metadata.
// The id is taken when the call is created, on the caller's thread.
class RequestIdForwarder : public grpc::experimental::Interceptor {
 public:
  explicit RequestIdForwarder(std::string id) : id_(std::move(id)) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::
                PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace(kRequestIdKey, id_);
    }
    methods->Proceed();
  }

 private:
  const std::string id_;
};

class RequestIdForwarderFactory
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override {
    const std::string& id = CurrentRequestId();
    return id.empty() ? nullptr : new RequestIdForwarder(id);
  }
};

grpc::ChannelArguments ClientChannelArguments() {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveTimeMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, kStreamWindowBytes);
  args.SetInt(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, kMaxMessageBytes);
  // Reconnect quickly after a restart instead of backing off for minutes.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return args;
}

}  // namespace

std::shared_ptr<grpc::Channel> NewChannel(const std::string& address,
                                          const ClusterCredentials& credentials,
                                          ClusterRole peer) {
  std::vector<
      std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(std::make_unique<RequestIdForwarderFactory>());
  grpc::ChannelArguments args = ClientChannelArguments();
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials =
      credentials.ForChannel(peer, &args);
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      address, std::move(channel_credentials), args, std::move(interceptors));
}

void ConfigureServer(grpc::ServerBuilder* builder) {
  // gRPC sets SO_REUSEPORT by default: a second server on a taken port
  // would start and silently share its connections (a chunkserver once
  // answered a master's RPCs that way). Refuse to start instead.
  builder->AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveTimeMs);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                              kKeepaliveTimeoutMs);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  builder->AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      kKeepaliveTimeMs / 2);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES,
                              kStreamWindowBytes);
  builder->SetMaxReceiveMessageSize(kMaxMessageBytes);
  // The sync server's threads: gRPC starts a thread whenever a request
  // takes its last idle one, and by default keeps at most 2 idle, so under
  // concurrent calls threads were created and torn down by the hundred a
  // second (clone, an 8 MiB stack mapped and unmapped). Up to
  // kIdleServerThreads idle threads are kept; an idle one wakes every
  // kIdleServerThreadWakeMs to see whether it is surplus.
  builder->SetSyncServerOption(
      grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, kIdleServerThreads);
  builder->SetSyncServerOption(
      grpc::ServerBuilder::SyncServerOption::CQ_TIMEOUT_MSEC,
      kIdleServerThreadWakeMs);
}

}  // namespace sfs
