// sfs-bench-metadata: a gRPC load generator for the master's metadata path.
//
//   sfs-bench-metadata --master=127.0.0.1:19000 --op=populate --files=10000
//   sfs-bench-metadata --master=... --op=stat --files=10000 --concurrency=16
//   sfs-bench-metadata --master=... --op=create --concurrency=16
//
// populate: creates 0-byte files <prefix>f00000000 .. up to --files (from
//           --start), so lookups have a namespace of a known size.
// stat:     Stat of random populated files, one RPC each; each answer must
//           name the file asked for.
// client-stat: the same lookups through client-lib's Client::Stat, as a
//           frontend makes them: concurrent ones share StatMany calls
//           (client-lib/stat_batcher.h).
// create:   CreateUpload + CompleteUpload of a new 0-byte file: two synced
//           RocksDB mutations, the smallest complete create the master has.
// Prints one JSON line per run (see load_loop.h); any failed RPC fails the
// run with exit status 1 and no number.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/load_loop.h"
#include "client-lib/client.h"
#include "common/cluster_tls.h"
#include "common/grpc_status.h"
#include "common/rpc_settings.h"
#include "common/status_macros.h"
#include "proto/sfs.grpc.pb.h"

ABSL_FLAG(std::string, master, "127.0.0.1:9000", "master address");
ABSL_FLAG(std::string, tls_dir, "",
          "cluster certificate to present (empty: plaintext)");
ABSL_FLAG(std::string, op, "stat", "populate | stat | client-stat | create");
ABSL_FLAG(std::string, prefix, "/benchmeta/", "folder of the files");
ABSL_FLAG(uint64_t, files, 10000, "populate: up to this many; stat: among");
ABSL_FLAG(uint64_t, start, 0, "populate: first index to create");

namespace sfs::bench {
namespace {

// SHA-256 of zero bytes: what a real client would record for an empty file.
constexpr char kEmptySha256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string IndexedPath(const std::string& prefix, uint64_t index) {
  return absl::StrFormat("%sf%08d", prefix, index);
}

class MetadataOps {
 public:
  MetadataOps(const std::string& master, const ClusterCredentials& credentials)
      : stub_(proto::Master::NewStub(
            NewChannel(master, credentials, ClusterRole::kMaster))) {}

  absl::Status CreateEmptyFile(const std::string& path) {
    proto::CreateUploadRequest create;
    create.set_path(path);
    proto::CreateUploadResponse upload;
    RETURN_IF_ERROR(Call(&Stub::CreateUpload, create, &upload));
    proto::CompleteUploadRequest complete;
    complete.set_upload_id(upload.upload_id());
    complete.set_size(0);
    complete.set_sha256(kEmptySha256);
    proto::CompleteUploadResponse done;
    return Call(&Stub::CompleteUpload, complete, &done);
  }

  absl::Status StatFile(const std::string& path) {
    proto::StatRequest request;
    request.set_path(path);
    proto::StatResponse response;
    RETURN_IF_ERROR(Call(&Stub::Stat, request, &response));
    if (response.file().path() != path) {
      return absl::DataLossError(
          absl::StrCat("asked for ", path, ", got ", response.file().path()));
    }
    return absl::OkStatus();
  }

 private:
  using Stub = proto::Master::Stub;

  // One unary RPC with a deadline, its outcome as an absl::Status.
  template <typename Request, typename Response>
  absl::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                 const Request&, Response*),
                    const Request& request, Response* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    return FromGrpcStatus((stub_.get()->*method)(&context, request, response));
  }

  std::unique_ptr<Stub> stub_;
};

// The path of the i-th lookup among `files` populated ones. A cheap
// per-index hash spreads lookups over the whole key space without a shared
// (locked) random generator.
std::string LookupPath(const std::string& prefix, uint64_t files, uint64_t i) {
  return IndexedPath(prefix, (i * 0x9E3779B97F4A7C15ULL) % files);
}

absl::StatusOr<LoadResult> ClientLookups(const std::string& prefix,
                                         uint64_t files) {
  ClientOptions options;
  options.master_address = absl::GetFlag(FLAGS_master);
  options.tls_dir = absl::GetFlag(FLAGS_tls_dir);
  ASSIGN_OR_RETURN(std::unique_ptr<Client> client, Client::Connect(options));
  return RunLoad(LoadSpecFromFlags(), [&](uint64_t i) -> absl::Status {
    const std::string path = LookupPath(prefix, files, i);
    ASSIGN_OR_RETURN(FileInfo file, client->Stat(path));
    if (file.path != path) {
      return absl::DataLossError(
          absl::StrCat("asked for ", path, ", got ", file.path));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<LoadResult> Run(const std::string& op, MetadataOps& master) {
  const std::string prefix = absl::GetFlag(FLAGS_prefix);
  const uint64_t files = absl::GetFlag(FLAGS_files);
  LoadSpec spec = LoadSpecFromFlags();
  if (op == "populate") {
    const uint64_t start = absl::GetFlag(FLAGS_start);
    if (start >= files) return LoadResult{};
    spec.duration = absl::InfiniteDuration();
    spec.max_ops = files - start;
    return RunLoad(spec, [&](uint64_t i) {
      return master.CreateEmptyFile(IndexedPath(prefix, start + i));
    });
  }
  if (op == "stat" || op == "client-stat") {
    if (files == 0) return absl::InvalidArgumentError("stat needs --files");
    if (op == "client-stat") return ClientLookups(prefix, files);
    return RunLoad(spec, [&](uint64_t i) {
      return master.StatFile(LookupPath(prefix, files, i));
    });
  }
  if (op == "create") {
    // A fresh folder per run, so re-runs never collide with earlier files.
    const std::string folder =
        absl::StrCat(prefix, "create-", absl::ToUnixMicros(absl::Now()), "/");
    return RunLoad(spec, [&](uint64_t i) {
      return master.CreateEmptyFile(IndexedPath(folder, i));
    });
  }
  return absl::InvalidArgumentError(
      "--op must be populate, stat, client-stat or create");
}

}  // namespace
}  // namespace sfs::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string op = absl::GetFlag(FLAGS_op);
  auto credentials =
      sfs::ClusterCredentials::Load(absl::GetFlag(FLAGS_tls_dir));
  if (!credentials.ok()) {
    fprintf(stderr, "%s\n", credentials.status().ToString().c_str());
    return 1;
  }
  sfs::bench::MetadataOps master(absl::GetFlag(FLAGS_master), **credentials);
  return sfs::bench::Report(op, sfs::bench::Run(op, master));
}
