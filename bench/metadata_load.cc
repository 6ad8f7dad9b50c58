// sfs-bench-metadata: a gRPC load generator for the master's metadata path.
//
//   sfs-bench-metadata --master=127.0.0.1:19000 --op=populate --files=10000
//   sfs-bench-metadata --master=... --op=stat --files=10000 --concurrency=16
//   sfs-bench-metadata --master=... --op=create --concurrency=16
//
// populate: creates 0-byte files <prefix>f00000000 .. up to --files (from
//           --start), so lookups have a namespace of a known size.
// stat:     Stat of random populated files; each answer must name the file
//           asked for.
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
#include "common/cluster_tls.h"
#include "common/grpc_status.h"
#include "common/rpc_settings.h"
#include "common/status_macros.h"
#include "proto/sfs.grpc.pb.h"

ABSL_FLAG(std::string, master, "127.0.0.1:9000", "master address");
ABSL_FLAG(std::string, tls_dir, "",
          "cluster certificate to present (empty: plaintext)");
ABSL_FLAG(std::string, op, "stat", "populate | stat | create");
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
  if (op == "stat") {
    if (files == 0) return absl::InvalidArgumentError("stat needs --files");
    return RunLoad(spec, [&](uint64_t i) {
      // A cheap per-index hash spreads lookups over the whole key space
      // without a shared (locked) random generator.
      uint64_t pick = (i * 0x9E3779B97F4A7C15ULL) % files;
      return master.StatFile(IndexedPath(prefix, pick));
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
  return absl::InvalidArgumentError("--op must be populate, stat or create");
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
