// Attacks on the cluster plane: the master's and chunkservers' gRPC. The
// review read a chunk and Stat'ed a private file with a plaintext client,
// and could have re-pointed a chunkserver id, diverted a write chain to its
// own address or deleted files. Each test attacks a real TLS cluster
// (tests/test_cluster.h) with real certificates: plaintext, a foreign CA,
// every role on every RPC, a stolen chunkserver id, and forged, expired,
// misdirected and missing block tokens.
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/block_token.h"
#include "common/cert_authority.h"
#include "common/channel_pool.h"
#include "common/checksum.h"
#include "common/rpc_settings.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "proto/sfs.grpc.pb.h"
#include "tests/test_cluster.h"

namespace sfs {
namespace {

constexpr char kMaster[] = "/sfs.proto.Master/";

class ClusterPlaneTest : public ::testing::Test {
 protected:
  virtual TestClusterOptions Options() const { return {}; }

  void SetUp() override {
    cluster_ = std::make_unique<TestCluster>(Options());
    // Two more certificates from the cluster's CA, and an admin one from a
    // CA nobody trusts.
    ASSERT_TRUE(EnsureClusterCertificates(
                    cluster_->dir() + "/tls",
                    {{ClusterRole::kChunkserver, "rogue"}}, absl::Hours(1))
                    .ok());
    ASSERT_TRUE(EnsureClusterCertificates(cluster_->dir() + "/foreign",
                                          {{ClusterRole::kAdmin, "admin"}},
                                          absl::Hours(1))
                    .ok());
    ASSERT_TRUE(cluster_->Start().ok());
  }

  std::shared_ptr<grpc::Channel> Channel(const std::string& address,
                                         ClusterRole peer,
                                         const std::string& identity) {
    return cluster_->NewChannel(address, peer, identity);
  }

  std::shared_ptr<grpc::Channel> MasterAs(const std::string& identity) {
    return Channel(cluster_->master_address(), ClusterRole::kMaster, identity);
  }

  // Uploads `size` bytes to `path`; returns the file's first chunk.
  ChunkInfo UploadOneChunk(const std::string& path, uint64_t size) {
    std::unique_ptr<Client> client = cluster_->NewClient();
    auto writer = client->Create(path);
    EXPECT_TRUE(writer.ok());
    EXPECT_TRUE((*writer)->Append(std::string(size, 'x')).ok());
    EXPECT_TRUE((*writer)->Close().ok());
    auto info = client->Stat(path);
    EXPECT_TRUE(info.ok());
    EXPECT_EQ(info->chunks.size(), 1u);
    return info->chunks[0];
  }

  std::unique_ptr<TestCluster> cluster_;
};

// Reads a whole chunk from `address` with `token`; returns the call's
// status and, in *bytes, what arrived.
grpc::Status ReadChunk(const std::shared_ptr<grpc::Channel>& channel,
                       const ChunkInfo& chunk, const proto::BlockToken& token,
                       std::string* bytes = nullptr) {
  auto stub = proto::Chunkserver::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  proto::ReadChunkRequest request;
  request.set_handle(chunk.handle);
  request.set_version(chunk.version);
  *request.mutable_token() = token;
  auto stream = stub->ReadChunk(&context, request);
  proto::ReadChunkResponse response;
  while (stream->Read(&response)) {
    if (bytes != nullptr) bytes->append(response.data());
  }
  return stream->Finish();
}

// Opens a write of `handle` with `header`'s chain and token, sends one
// segment and finishes; returns the status.
grpc::Status WriteChunk(const std::shared_ptr<grpc::Channel>& channel,
                        const proto::WriteChunkHeader& header) {
  auto stub = proto::Chunkserver::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  auto stream = stub->WriteChunk(&context);
  proto::WriteChunkRequest request;
  *request.mutable_header() = header;
  request.set_data("attack");
  request.set_data_crc32c(ComputeCrc32c("attack"));
  request.set_finish(true);
  stream->Write(request);
  stream->WritesDone();
  proto::WriteChunkAck ack;
  while (stream->Read(&ack)) {
  }
  return stream->Finish();
}

TEST_F(ClusterPlaneTest, PlaintextAndForeignCertificatesAreRefused) {
  proto::StatRequest stat;
  stat.set_path("/ns/missing");
  const std::string request = stat.SerializeAsString();
  std::string answer;
  // The admin certificate works: the master answers (no such file).
  EXPECT_EQ(RawUnaryCall(MasterAs("admin"), absl::StrCat(kMaster, "Stat"),
                         request, &answer)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);

  // Plaintext, a certificate from another CA, and a server that holds the
  // wrong role (a chunkserver answering where the master is expected) all
  // fail the handshake: the call never reaches a handler.
  auto plaintext =
      sfs::NewChannel(cluster_->master_address(),
                      *ClusterCredentials::Insecure(), ClusterRole::kMaster);
  auto foreign = ClusterCredentials::Load(cluster_->dir() + "/foreign/admin");
  ASSERT_TRUE(foreign.ok());
  auto foreign_channel = sfs::NewChannel(cluster_->master_address(), **foreign,
                                         ClusterRole::kMaster);
  auto impostor =
      Channel(cluster_->chunkserver_address(0), ClusterRole::kMaster, "admin");
  for (auto [name, channel] :
       {std::pair{"plaintext", plaintext},
        std::pair{"foreign CA", foreign_channel},
        std::pair{"chunkserver posing as master", impostor}}) {
    grpc::Status status =
        RawUnaryCall(channel, absl::StrCat(kMaster, "Stat"), request, &answer);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
        << name << ": " << status.error_message();
  }
  // The CLI with a foreign certificate fails with a reason, not a bare
  // "Deadline Exceeded".
  CommandResult cli =
      RunCommand({BinDir() + "/sfs", "--master=" + cluster_->master_address(),
                  "--tls_dir=" + cluster_->dir() + "/foreign/admin",
                  "--timeout=2s", "status"});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_NE(cli.err.find("certificate"), std::string::npos) << cli.err;
  auto plaintext_chunkserver = sfs::NewChannel(cluster_->chunkserver_address(0),
                                               *ClusterCredentials::Insecure(),
                                               ClusterRole::kChunkserver);
  EXPECT_EQ(RawUnaryCall(plaintext_chunkserver, "/sfs.proto.Chunkserver/Ping",
                         "", &answer)
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(ClusterPlaneTest, EveryRpcChecksTheCallersRole) {
  // Who may call what, admins aside. Every method of both services must be
  // listed: a new RPC fails this test until its roles are decided.
  const std::set<std::string> file = {"frontend"};
  const std::map<std::string, std::set<std::string>> master_roles = {
      {"CreateUpload", file},
      {"AllocateChunk", file},
      {"CommitChunk", file},
      {"CompleteUpload", file},
      {"AbandonUpload", file},
      {"GetUpload", file},
      {"Stat", file},
      {"StatMany", file},
      {"List", file},
      {"Delete", file},
      {"DeleteNamespace", file},
      {"Copy", file},
      {"Move", file},
      {"ListVersions", file},
      {"Usage", file},
      {"ClusterStatus", file},
      {"Fsck", {}},
      {"Register", {"chunkserver"}},
      {"Heartbeat", {"chunkserver"}},
      {"Checkpoint", {}}};
  // Certificates holding each role but admin.
  const std::map<std::string, std::string> holders = {
      {"master", "master"}, {"chunkserver", "rp1"}, {"frontend", "frontend"}};

  const google::protobuf::ServiceDescriptor* master =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          "sfs.proto.Master");
  ASSERT_NE(master, nullptr);
  int refused = 0;
  for (int i = 0; i < master->method_count(); ++i) {
    const std::string method = master->method(i)->name();
    auto roles = master_roles.find(method);
    ASSERT_NE(roles, master_roles.end()) << method << " has no roles listed";
    for (const auto& [role, identity] : holders) {
      std::string answer;
      grpc::Status status = RawUnaryCall(
          MasterAs(identity), absl::StrCat(kMaster, method), "", &answer);
      if (roles->second.count(role) == 0) {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << role << " called " << method << ": " << status.error_message();
        ++refused;
      } else {
        EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << role << " called " << method << ": " << status.error_message();
      }
    }
  }
  EXPECT_GE(refused, 2 * master->method_count());

  // A chunkserver serves writers, readers and its peers; not the master.
  const google::protobuf::ServiceDescriptor* chunkserver =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          "sfs.proto.Chunkserver");
  ASSERT_NE(chunkserver, nullptr);
  ASSERT_EQ(chunkserver->method_count(), 3);
  auto as_master = Channel(cluster_->chunkserver_address(0),
                           ClusterRole::kChunkserver, "master");
  std::string answer;
  EXPECT_EQ(RawUnaryCall(as_master, "/sfs.proto.Chunkserver/Ping", "", &answer)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const ChunkInfo chunk = UploadOneChunk("/ns/private", 1000);
  EXPECT_EQ(
      ReadChunk(as_master, chunk,
                cluster_->SignBlockToken(chunk.handle, proto::BlockToken::READ))
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  proto::WriteChunkHeader header;
  header.set_handle(999999);
  header.set_version(1);
  *header.mutable_token() = cluster_->SignBlockToken(
      999999, proto::BlockToken::WRITE, {cluster_->chunkserver_address(0)});
  EXPECT_EQ(WriteChunk(as_master, header).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ClusterPlaneTest, AChunkserverIdBelongsToItsCertificate) {
  const std::string address = cluster_->chunkserver_address(1);
  auto rogue = proto::Master::NewStub(MasterAs("rogue"));
  // rp2 is taken by the certificate "rp2": re-registering it elsewhere, or
  // reporting its replicas corrupt, is refused.
  proto::RegisterRequest hijack;
  hijack.set_server_id("rp2");
  hijack.set_address("127.0.0.1:1");
  proto::RegisterResponse registered;
  grpc::ClientContext register_context;
  grpc::Status status = rogue->Register(&register_context, hijack, &registered);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << status.error_message();
  proto::HeartbeatRequest lie;
  lie.set_server_id("rp2");
  lie.add_corrupt(1);
  proto::HeartbeatResponse heartbeat;
  grpc::ClientContext heartbeat_context;
  EXPECT_EQ(rogue->Heartbeat(&heartbeat_context, lie, &heartbeat).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auto status_now = cluster_->NewClient()->Status();
  ASSERT_TRUE(status_now.ok());
  for (const ChunkserverStatus& server : status_now->chunkservers) {
    if (server.server_id == "rp2") {
      EXPECT_EQ(server.address, address);
    }
  }
  // Its own, new id registers: the certificate is a chunkserver's.
  proto::RegisterRequest own;
  own.set_server_id("rogue-1");
  own.set_address("127.0.0.1:1");
  grpc::ClientContext own_context;
  EXPECT_TRUE(rogue->Register(&own_context, own, &registered).ok());
}

// Attacks the first replica of a fresh chunk through `channels` (as the
// frontend, or with no certificate where chunk bytes go in plaintext): a
// chunk is read and written only with a valid token of its own.
void ExpectChunksNeedAValidBlockToken(TestCluster* cluster,
                                      const ChunkInfo& chunk,
                                      ChannelPool* channels) {
  ASSERT_FALSE(chunk.replicas.empty());
  const std::string replica = chunk.replicas[0].address;
  auto frontend = channels->Get(replica);

  proto::BlockToken issued;
  ASSERT_TRUE(issued.ParseFromString(chunk.block_token));
  std::string bytes;
  ASSERT_TRUE(ReadChunk(frontend, chunk, issued, &bytes).ok());
  EXPECT_EQ(bytes, std::string(100000, 'x'));

  proto::BlockToken forged = issued;
  forged.set_expires_unix_micros(forged.expires_unix_micros() + 1);
  proto::BlockToken wrong_key = issued;
  {
    proto::BlockKey key;
    key.set_id(issued.key_id());
    key.set_secret(std::string(32, 'k'));
    wrong_key =
        BlockTokenSigner(key, absl::Hours(1))
            .Sign(chunk.handle, proto::BlockToken::READ, {}, absl::Now());
  }
  const std::map<std::string, proto::BlockToken> refused = {
      {"none", proto::BlockToken()},
      {"forged", forged},
      {"another key", wrong_key},
      {"expired", cluster->SignBlockToken(chunk.handle, proto::BlockToken::READ,
                                          {}, absl::Now() - absl::Seconds(1))},
      {"another chunk",
       cluster->SignBlockToken(chunk.handle + 1, proto::BlockToken::READ)},
      {"write mode", cluster->SignBlockToken(
                         chunk.handle, proto::BlockToken::WRITE, {replica})}};
  for (const auto& [name, token] : refused) {
    std::string leaked;
    grpc::Status status = ReadChunk(frontend, chunk, token, &leaked);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << name << ": " << status.error_message();
    EXPECT_TRUE(leaked.empty()) << name;
  }

  // A write may not be forwarded beyond the chain its token names: the
  // chunkserver must not even connect to the attacker's address.
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in any = {};
  any.sin_family = AF_INET;
  any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&any), sizeof(any)), 0);
  ASSERT_EQ(listen(listener, 8), 0);
  socklen_t length = sizeof(any);
  getsockname(listener, reinterpret_cast<sockaddr*>(&any), &length);
  const std::string attacker = absl::StrCat("127.0.0.1:", ntohs(any.sin_port));
  proto::WriteChunkHeader header;
  header.set_handle(chunk.handle + 1000);
  header.set_version(1);
  header.add_downstream(attacker);
  *header.mutable_token() = cluster->SignBlockToken(
      chunk.handle + 1000, proto::BlockToken::WRITE, {replica});
  grpc::Status status = WriteChunk(frontend, header);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << status.error_message();
  pollfd ready = {listener, POLLIN, 0};
  EXPECT_EQ(poll(&ready, 1, 500), 0) << "the chunkserver dialled " << attacker;
  close(listener);

  // Nor may it write a chunk under a read token, or without one.
  header.clear_downstream();
  *header.mutable_token() =
      cluster->SignBlockToken(chunk.handle + 1000, proto::BlockToken::READ);
  EXPECT_EQ(WriteChunk(frontend, header).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  header.clear_token();
  EXPECT_EQ(WriteChunk(frontend, header).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // With the right token the same write goes through.
  *header.mutable_token() = cluster->SignBlockToken(
      chunk.handle + 1000, proto::BlockToken::WRITE, {replica});
  EXPECT_TRUE(WriteChunk(frontend, header).ok());
}

TEST_F(ClusterPlaneTest, ChunksNeedAValidBlockToken) {
  const ChunkInfo chunk = UploadOneChunk("/ns/private", 100000);
  auto credentials = ClusterCredentials::Load(cluster_->tls_dir("frontend"));
  ASSERT_TRUE(credentials.ok());
  ChannelPool channels(*credentials);
  ExpectChunksNeedAValidBlockToken(cluster_.get(), chunk, &channels);
}

// Chunkservers with --encrypt_data=false: chunk bytes in plaintext, the
// rest of the cluster plane still on mutual TLS.
class PlaintextDataTest : public ClusterPlaneTest {
 protected:
  TestClusterOptions Options() const override {
    TestClusterOptions options;
    options.encrypt_data = false;
    return options;
  }
};

TEST_F(PlaintextDataTest, BlockTokensAreTheOnlyCredentialOfChunkBytes) {
  // A file goes through the whole pipeline, every hop in plaintext, and
  // reads back; its replicas say how they are reached.
  const ChunkInfo chunk = UploadOneChunk("/ns/private", 100000);
  ASSERT_EQ(chunk.replicas.size(), 3u);
  for (const ReplicaInfo& replica : chunk.replicas) {
    EXPECT_TRUE(absl::StartsWith(replica.address, "plaintext:"))
        << replica.address;
  }
  uint64_t bytes = 0;
  auto sha = ReadFileSha(cluster_->NewClient().get(), "/ns/private", &bytes);
  ASSERT_TRUE(sha.ok()) << sha.status();
  EXPECT_EQ(bytes, 100000u);
  Sha256 expected;
  expected.Update(std::string(100000, 'x'));
  EXPECT_EQ(*sha, expected.FinishHex());

  // A client with no certificate at all reaches the chunkservers, and gets
  // nothing without a valid token.
  ChannelPool anonymous(ClusterCredentials::Insecure());
  ExpectChunksNeedAValidBlockToken(cluster_.get(), chunk, &anonymous);

  // The master, which holds the token keys, still takes mutual TLS only.
  proto::StatRequest stat;
  stat.set_path("/ns/private");
  std::string answer;
  auto plaintext =
      sfs::NewChannel(cluster_->master_address(),
                      *ClusterCredentials::Insecure(), ClusterRole::kMaster);
  EXPECT_EQ(RawUnaryCall(plaintext, absl::StrCat(kMaster, "Stat"),
                         stat.SerializeAsString(), &answer)
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace sfs
