// End-to-end tests of the GFS core against real processes on loopback:
// round trips through the CLI and client-lib, crash recovery of the master,
// concurrent writers, bad input, bounded client memory.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/checksum.h"
#include "gtest/gtest.h"
#include "proto/sfs.grpc.pb.h"
#include "tests/test_cluster.h"

namespace sfs {
namespace {

constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kChunk = 64 * kMiB;

std::string Pattern(uint64_t size, uint64_t seed) {
  std::string data(size, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 7;
  for (char& c : data) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    c = static_cast<char>(x >> 56);
  }
  return data;
}

absl::Status Put(Client* client, const std::string& path,
                 const std::string& data, uint64_t reserve_bytes = 0) {
  CreateOptions options;
  options.reserve_bytes = reserve_bytes;
  auto writer = client->Create(path, options);
  if (!writer.ok()) return writer.status();
  for (size_t off = 0; off < data.size(); off += 3 * kMiB + 17) {
    absl::Status s =
        (*writer)->Append(absl::string_view(data).substr(off, 3 * kMiB + 17));
    if (!s.ok()) return s;
  }
  return (*writer)->Close().status();
}

std::string ShaOf(const std::string& data) {
  Sha256 sha;
  sha.Update(data);
  return sha.FinishHex();
}

class ClusterTest : public ClusterTestBase {
 protected:
  void SetUp() override { StartCluster(); }

  // Writes `data` to `path`, declaring `declared` bytes (0: none), reads it
  // back and checks its bytes and its number of chunks.
  void ExpectRoundTrip(const std::string& path, const std::string& data,
                       uint64_t declared = 0) {
    absl::Status put = Put(client_.get(), path, data, declared);
    ASSERT_TRUE(put.ok()) << path << ": " << put;
    uint64_t bytes = 0;
    auto sha = ReadFileSha(client_.get(), path, &bytes);
    ASSERT_TRUE(sha.ok()) << path << ": " << sha.status();
    EXPECT_EQ(bytes, data.size()) << path;
    EXPECT_EQ(*sha, ShaOf(data)) << path;
    auto info = client_->Stat(path);
    ASSERT_TRUE(info.ok()) << path << ": " << info.status();
    EXPECT_EQ(info->chunks.size(), (data.size() + kChunk - 1) / kChunk) << path;
  }
};

TEST_F(ClusterTest, OneGibThroughTheCliIsByteIdenticalWithBoundedMemory) {
  std::string local = cluster_->dir() + "/big.in";
  std::string back = cluster_->dir() + "/big.out";
  std::string sha = WriteRandomFile(local, 1024 * kMiB, 42);

  CommandResult put = cluster_->RunCli({"put", local, "/ns/big"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  std::filesystem::remove(local);
  CommandResult get = cluster_->RunCli({"get", "/ns/big", back});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(Sha256OfFile(back), sha);
  std::filesystem::remove(back);

  // Memory is per stream, not per file: far below the file's size.
  EXPECT_LT(put.peak_rss_kib, 64 * 1024) << "sfs put peak RSS";
  EXPECT_LT(get.peak_rss_kib, 64 * 1024) << "sfs get peak RSS";
  printf("peak RSS: put %ld KiB, get %ld KiB\n", put.peak_rss_kib,
         get.peak_rss_kib);

  CommandResult stat = cluster_->RunCli({"stat", "--json", "/ns/big"});
  ASSERT_EQ(stat.exit_code, 0) << stat.err;
  nlohmann::json info = nlohmann::json::parse(stat.out);
  EXPECT_EQ(info["size"], 1024 * kMiB);
  EXPECT_EQ(info["sha256"], sha);
  ASSERT_EQ(info["chunks"].size(), 16u);
  for (const auto& chunk : info["chunks"]) {
    EXPECT_EQ(chunk["length"], kChunk);
    std::set<std::string> servers;
    for (const auto& replica : chunk["replicas"])
      servers.insert(replica["server_id"]);
    EXPECT_EQ(servers.size(), 3u) << chunk.dump();
  }
}

TEST_F(ClusterTest, EdgeSizesRoundTrip) {
  for (uint64_t size :
       {uint64_t{0}, uint64_t{1}, kChunk - 1, kChunk, kChunk + 1}) {
    ExpectRoundTrip(absl::StrCat("/edge/f", size), Pattern(size, size));
  }
  // The CLI handles the empty file through stdin and stdout too.
  CommandResult get = cluster_->RunCli({"get", "/edge/f0", "-"});
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_TRUE(get.out.empty());
}

// A writer that declares a size gets its first chunk with the upload
// (CreateUploadRequest.allocate_chunk); one that then writes nothing drops
// that chunk, and every file reads back whole with nothing left pending.
TEST_F(ClusterTest, DeclaredSizesGetTheirFirstChunkWithTheUpload) {
  for (uint64_t size : {uint64_t{0}, uint64_t{1}, uint64_t{155000}}) {
    for (uint64_t declared : {size, size + 1}) {
      ExpectRoundTrip(absl::StrCat("/declared/f", size, "-", declared),
                      Pattern(size, declared), declared);
    }
  }
  auto fsck = client_->Fsck();
  ASSERT_TRUE(fsck.ok()) << fsck.status();
  EXPECT_EQ(fsck->pending_uploads, 0u);
  EXPECT_EQ(fsck->chunks, 4u);  // the sizes 1 and 155000, twice each
}

TEST_F(ClusterTest, RangedReadsAcrossTheChunkBoundary) {
  std::string data = Pattern(kChunk + 5 * kMiB, 3);
  ASSERT_TRUE(Put(client_.get(), "/ns/r", data).ok());
  for (auto [offset, length] : std::vector<std::pair<uint64_t, uint64_t>>{
           {kChunk - 100, 200},
           {kChunk - 1, 2},
           {0, 1},
           {kChunk + 5 * kMiB - 3, 100}}) {
    auto reader = client_->Open("/ns/r", offset, length);
    ASSERT_TRUE(reader.ok());
    std::string got, buf(64 * 1024, '\0');
    while (true) {
      auto n = (*reader)->Read(buf.data(), buf.size());
      ASSERT_TRUE(n.ok()) << n.status();
      if (*n == 0) break;
      got.append(buf.data(), *n);
    }
    EXPECT_EQ(got, data.substr(offset, length)) << offset;
  }
  EXPECT_EQ(client_->Open("/ns/r", data.size() + 1).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST_F(ClusterTest, MasterSigkillLosesNothingCompleteAndShowsNothingPending) {
  std::map<std::string, std::string> files;
  for (int i = 0; i < 5; ++i) {
    std::string path = absl::StrCat("/ns/file", i);
    files[path] = Pattern(i * 20 * kMiB + 123, i);
    ASSERT_TRUE(Put(client_.get(), path, files[path]).ok());
  }
  // An upload in flight when the master dies, and one pending overwrite.
  auto pending = client_->Create("/ns/pending");
  ASSERT_TRUE(pending.ok());
  ASSERT_TRUE((*pending)->Append(Pattern(70 * kMiB, 9)).ok());
  auto overwrite = client_->Create("/ns/file1");
  ASSERT_TRUE(overwrite.ok());
  ASSERT_TRUE((*overwrite)->Append(Pattern(10 * kMiB, 10)).ok());

  cluster_->KillMaster(SIGKILL);
  ASSERT_TRUE(cluster_->StartMaster().ok());
  ASSERT_TRUE(cluster_->WaitForAliveChunkservers(4, absl::Seconds(30)).ok());

  for (const auto& [path, data] : files) {
    auto sha = ReadFileSha(client_.get(), path);
    ASSERT_TRUE(sha.ok()) << path << ": " << sha.status();
    EXPECT_EQ(*sha, ShaOf(data)) << path;
  }
  EXPECT_EQ(client_->Stat("/ns/pending").status().code(),
            absl::StatusCode::kNotFound);
  auto listing = client_->List("/ns/");
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->files.size(), files.size());

  // The writers that straddled the crash either finish whole or fail; the
  // pending one is finished here, the overwrite abandoned.
  ASSERT_TRUE((*pending)->Append("tail").ok());
  auto done = (*pending)->Close();
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->size, 70 * kMiB + 4);
  overwrite->reset();  // abandoned
  auto sha1 = ReadFileSha(client_.get(), "/ns/file1");
  ASSERT_TRUE(sha1.ok());
  EXPECT_EQ(*sha1, ShaOf(files["/ns/file1"]));

  // New uploads work after the restart.
  ASSERT_TRUE(Put(client_.get(), "/ns/after", Pattern(kMiB, 11)).ok());
  EXPECT_EQ(*ReadFileSha(client_.get(), "/ns/after"), ShaOf(Pattern(kMiB, 11)));
}

// A read that outlives --gc_grace after an overwrite released its chunks
// fails cleanly ("file changed while being read"); reads here take longer
// than the 1 s the other tests use, so this cluster keeps released chunks
// for the whole test and every read must return one whole version.
class ClusterOverwriteTest : public ClusterTestBase {
 protected:
  void SetUp() override {
    TestClusterOptions options;
    options.gc_grace = absl::Minutes(10);
    StartCluster(options);
  }
};

TEST_F(ClusterOverwriteTest, ConcurrentPutsToOnePathAlwaysShowOneWholeVersion) {
  const std::string path = "/ns/contended";
  const std::string a = Pattern(90 * kMiB, 100);
  const std::string b = Pattern(70 * kMiB, 200);
  const std::set<std::string> versions = {ShaOf(a), ShaOf(b)};
  std::atomic<bool> writers_done{false};
  std::atomic<int> reads{0}, bad_reads{0};
  std::string first_bad;  // the reader's, read after joining it
  std::thread reader([&] {
    std::unique_ptr<Client> client = cluster_->NewClient();
    while (!writers_done.load()) {
      auto sha = ReadFileSha(client.get(), path);
      if (sha.status().code() == absl::StatusCode::kNotFound) continue;
      ++reads;
      if (!sha.ok() || !versions.count(*sha)) {
        if (++bad_reads == 1) {
          first_bad =
              sha.ok() ? "unknown content " + *sha : sha.status().ToString();
        }
      }
    }
  });
  std::atomic<int> finish_order{0};
  int a_finished = 0, b_finished = 0;
  for (int round = 0; round < 2; ++round) {
    std::thread wa([&] {
      std::unique_ptr<Client> client = cluster_->NewClient();
      ASSERT_TRUE(Put(client.get(), path, a).ok());
      a_finished = ++finish_order;
    });
    std::thread wb([&] {
      std::unique_ptr<Client> client = cluster_->NewClient();
      ASSERT_TRUE(Put(client.get(), path, b).ok());
      b_finished = ++finish_order;
    });
    wa.join();
    wb.join();
  }
  writers_done = true;
  reader.join();
  EXPECT_EQ(bad_reads.load(), 0)
      << "of " << reads.load() << " reads, the first: " << first_bad;
  auto final_sha = ReadFileSha(client_.get(), path);
  ASSERT_TRUE(final_sha.ok());
  EXPECT_EQ(*final_sha, a_finished > b_finished ? ShaOf(a) : ShaOf(b));
}

TEST_F(ClusterTest, ReadFailsOverWhenReplicasDieMidStream) {
  std::string data = Pattern(3 * kChunk, 5);
  ASSERT_TRUE(Put(client_.get(), "/ns/failover", data).ok());
  auto reader = client_->Open("/ns/failover");
  ASSERT_TRUE(reader.ok());
  Sha256 sha;
  std::string buf(kMiB, '\0');
  uint64_t total = 0;
  bool killed = false;
  while (true) {
    auto n = (*reader)->Read(buf.data(), buf.size());
    ASSERT_TRUE(n.ok()) << n.status();
    if (*n == 0) break;
    sha.Update(absl::string_view(buf.data(), *n));
    total += *n;
    if (!killed && total >= 10 * kMiB) {
      // Two of four servers: every chunk keeps at least one live replica.
      cluster_->KillChunkserver(0, SIGKILL);
      cluster_->KillChunkserver(1, SIGKILL);
      killed = true;
    }
  }
  EXPECT_EQ(total, data.size());
  EXPECT_EQ(sha.FinishHex(), ShaOf(data));
}

absl::StatusOr<std::string> ReadRange(Client* client, const std::string& path,
                                      uint64_t offset, uint64_t length) {
  auto reader = client->Open(path, offset, length);
  if (!reader.ok()) return reader.status();
  std::string out;
  while (true) {
    absl::StatusOr<absl::string_view> next = (*reader)->Next(7000);
    if (!next.ok()) return next.status();
    if (next->empty()) return out;
    out.append(next->data(), next->size());
  }
}

// A client keeping small chunks in memory (as each frontend does) serves a
// repeated read from memory, and still never the version an overwrite by
// another client replaced.
TEST_F(ClusterTest, ChunkCacheNeverServesAnOverwrittenVersion) {
  std::unique_ptr<Client> cached =
      cluster_->NewClient(absl::Seconds(30), 4 * kMiB);
  const std::string before = Pattern(155000, 1);
  const std::string after = Pattern(155000, 2);
  ASSERT_TRUE(Put(client_.get(), "/ns/small", before).ok());
  EXPECT_EQ(*ReadRange(cached.get(), "/ns/small", 0, kChunk), before);
  ASSERT_TRUE(Put(client_.get(), "/ns/small", after).ok());
  EXPECT_EQ(*ReadRange(cached.get(), "/ns/small", 0, kChunk), after);
  EXPECT_EQ(*ReadRange(cached.get(), "/ns/small", 70000, 5000),
            after.substr(70000, 5000));

  // With every chunkserver gone the master still answers, and the cached
  // chunk is what serves the read: the reads above did come from the cache
  // once filled, and the overwrite was seen all the same.
  for (int i = 0; i < 4; ++i) cluster_->KillChunkserver(i, SIGKILL);
  EXPECT_EQ(*ReadRange(cached.get(), "/ns/small", 0, kChunk), after);
  EXPECT_EQ(*ReadRange(cached.get(), "/ns/small", 150000, kChunk),
            after.substr(150000));
}

TEST_F(ClusterTest, BadInputGetsClearErrors) {
  EXPECT_EQ(client_->Stat("/ns/missing").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(client_->Open("/ns/missing").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(client_->Delete("/ns/missing").code(), absl::StatusCode::kNotFound);
  std::vector<std::string> bad = {"/ns/../etc",
                                  "/ns//x",
                                  "/ns/a/./b",
                                  "relative",
                                  std::string("/ns/nul\0x", 9),
                                  "/ns/" + std::string(1100, 'a'),
                                  "/ns/\xC3\x28",
                                  "/"};
  for (const std::string& path : bad) {
    EXPECT_EQ(client_->Create(path).status().code(),
              absl::StatusCode::kInvalidArgument)
        << path;
    EXPECT_EQ(client_->Stat(path).status().code(),
              absl::StatusCode::kInvalidArgument)
        << path;
  }
  EXPECT_EQ(client_->List("/ns/../").status().code(),
            absl::StatusCode::kInvalidArgument);

  // A chunkserver asked for a handle it does not hold says so.
  auto channel = cluster_->NewChannel(cluster_->chunkserver_address(0),
                                      ClusterRole::kChunkserver);
  auto stub = proto::Chunkserver::NewStub(channel);
  grpc::ClientContext context;
  proto::ReadChunkRequest request;
  request.set_handle(0xdeadbeef);
  request.set_version(1);
  *request.mutable_token() =
      cluster_->SignBlockToken(0xdeadbeef, proto::BlockToken::READ);
  auto stream = stub->ReadChunk(&context, request);
  proto::ReadChunkResponse response;
  EXPECT_FALSE(stream->Read(&response));
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(status.error_message().find("3735928559"), std::string::npos)
      << status.error_message();

  // The CLI: one line, non-zero exit.
  CommandResult missing = cluster_->RunCli({"get", "/ns/missing", "-"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("not found"), std::string::npos) << missing.err;
  EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1);
  CommandResult traversal = cluster_->RunCli({"put", "/dev/null", "/ns/../x"});
  EXPECT_EQ(traversal.exit_code, 1);
  EXPECT_NE(traversal.err.find("INVALID_ARGUMENT"), std::string::npos)
      << traversal.err;
  CommandResult no_local =
      cluster_->RunCli({"put", "/nonexistent/file", "/ns/x"});
  EXPECT_EQ(no_local.exit_code, 1);
  EXPECT_EQ(cluster_->RunCli({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(cluster_->RunCli({"get", "/ns/x"}).exit_code, 2);
}

TEST_F(ClusterTest, DeleteIsImmediateAndChunksAreCollected) {
  ASSERT_TRUE(Put(client_.get(), "/ns/doomed", Pattern(kChunk + 10, 1)).ok());
  auto info = client_->Stat("/ns/doomed");
  ASSERT_TRUE(info.ok());
  CommandResult rm = cluster_->RunCli({"rm", "/ns/doomed"});
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_EQ(client_->Stat("/ns/doomed").status().code(),
            absl::StatusCode::kNotFound);
  // Every replica file disappears from the chunkservers' disks.
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  int remaining = -1;
  while (absl::Now() < deadline && remaining != 0) {
    remaining = 0;
    for (int i = 0; i < 4; ++i) {
      for (const auto& entry :
           std::filesystem::directory_iterator(cluster_->chunkserver_dir(i))) {
        if (entry.path().extension() == ".data") ++remaining;
      }
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(remaining, 0);
  CommandResult fsck = cluster_->RunCli({"fsck", "--json"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.out;
  EXPECT_EQ(nlohmann::json::parse(fsck.out)["chunks"], 0);
}

TEST_F(ClusterTest, StatusAndFsckReportTheCluster) {
  ASSERT_TRUE(Put(client_.get(), "/ns/a", Pattern(kMiB, 1)).ok());
  CommandResult status = cluster_->RunCli({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  nlohmann::json s = nlohmann::json::parse(status.out);
  ASSERT_EQ(s["chunkservers"].size(), 4u);
  std::set<std::string> racks;
  for (const auto& cs : s["chunkservers"]) {
    EXPECT_TRUE(cs["alive"].get<bool>());
    racks.insert(cs["rack"]);
  }
  EXPECT_EQ(racks, (std::set<std::string>{"rp1", "rp2", "rp3", "rp4"}));
  EXPECT_EQ(s["file_count"], 1);

  cluster_->KillChunkserver(3, SIGKILL);
  ASSERT_TRUE(cluster_->WaitForAliveChunkservers(3, absl::Seconds(20)).ok());
  CommandResult human = cluster_->RunCli({"status"});
  EXPECT_NE(human.out.find("NO"), std::string::npos) << human.out;
}

TEST_F(ClusterTest, CliCopiesAndMovesWithoutMovingData) {
  const std::string data = Pattern(kChunk + 10, 5);
  ASSERT_TRUE(Put(client_.get(), "/ns/a", data).ok());
  auto chunks = [&] {
    CommandResult status = cluster_->RunCli({"status", "--json"});
    EXPECT_EQ(status.exit_code, 0) << status.err;
    return nlohmann::json::parse(status.out)["chunk_count"].get<int>();
  };
  ASSERT_EQ(chunks(), 2);
  CommandResult cp = cluster_->RunCli({"cp", "/ns/a", "/other/b"});
  ASSERT_EQ(cp.exit_code, 0) << cp.err;
  EXPECT_EQ(chunks(), 2) << "a copy shares the chunks";
  CommandResult mv = cluster_->RunCli({"mv", "/other/b", "/other/c"});
  ASSERT_EQ(mv.exit_code, 0) << mv.err;
  CommandResult gone = cluster_->RunCli({"stat", "/other/b"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.err.find("NOT_FOUND"), std::string::npos) << gone.err;
  CommandResult rm = cluster_->RunCli({"rm", "/ns/a"});
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  CommandResult get = cluster_->RunCli({"get", "/other/c", "-"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(ShaOf(get.out), ShaOf(data));
  EXPECT_EQ(chunks(), 2);
  CommandResult bad = cluster_->RunCli({"mv", "/other/c"});
  EXPECT_EQ(bad.exit_code, 2);
}

}  // namespace
}  // namespace sfs

namespace sfs {
namespace {

// A resumable upload: checkpoints make bytes durable and counted by the
// master; another client takes it over at the committed offset (what the
// first wrote after its last checkpoint is dropped, and the first is fenced
// off), and the completed file, whose checksum spans both writers, is the
// bytes in order.
TEST_F(ClusterTest, ResumableUploadContinuesInAnotherClient) {
  const std::string data = Pattern(2 * kChunk + 5 * kMiB, 41);
  CreateOptions options;
  options.resumable = true;
  options.client_data = "what the frontend keeps";
  auto first = client_->Create("/ns/resumed", options);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string id = (*first)->upload_id();
  // Past the first chunk boundary, then a checkpoint mid-chunk.
  const uint64_t checkpoint = kChunk + 3 * kMiB;
  ASSERT_TRUE((*first)->Append(data.substr(0, checkpoint)).ok());
  auto committed = (*first)->Checkpoint();
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_EQ(*committed, checkpoint);
  // Written but not checkpointed: dropped by the take-over.
  ASSERT_TRUE((*first)->Append(data.substr(checkpoint, kMiB)).ok());

  auto other = cluster_->NewClient();
  auto pending = other->GetUpload(id);
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_EQ(pending->path, "/ns/resumed");
  EXPECT_EQ(pending->committed_bytes, checkpoint);
  EXPECT_EQ(pending->client_data, "what the frontend keeps");
  EXPECT_GT(pending->expires_at, absl::Now());
  EXPECT_TRUE(absl::IsNotFound(client_->Stat("/ns/resumed").status()));

  PendingUpload resumed;
  auto second = other->Resume(id, options, &resumed);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(resumed.committed_bytes, checkpoint);
  // The first writer is fenced off: its next chunk is refused.
  EXPECT_FALSE((*first)->Append(data.substr(checkpoint, kChunk)).ok());
  first->reset();

  ASSERT_TRUE((*second)->Append(data.substr(checkpoint)).ok());
  auto file = (*second)->Close();
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->size, data.size());
  EXPECT_EQ(file->sha256, ShaOf(data));
  uint64_t bytes = 0;
  auto sha = ReadFileSha(client_.get(), "/ns/resumed", &bytes);
  ASSERT_TRUE(sha.ok());
  EXPECT_EQ(*sha, ShaOf(data));
  EXPECT_TRUE(absl::IsNotFound(other->GetUpload(id).status()));
}

}  // namespace
}  // namespace sfs

namespace sfs {
namespace {

// `sfs put` killed mid-upload (SIGKILL: nothing of it runs at exit) leaves
// the upload pending; the same command again continues from what the
// cluster committed and stores the whole file.
TEST_F(ClusterTest, InterruptedPutResumesWhereTheClusterStopped) {
  const std::string local = cluster_->dir() + "/resume.in";
  const std::string sha = WriteRandomFile(local, 512 * kMiB, 9);
  const pid_t pid = fork();
  if (pid == 0) {
    ExecOrExit({BinDir() + "/sfs", "--master=" + cluster_->master_address(),
                "--tls_dir=" + cluster_->tls_dir("admin"), "put", local,
                "/ns/resumed-put"});
  }
  // Killed once the cluster committed a whole chunk: hundreds of MiB are
  // still to go, far more than one poll interval could send.
  uint64_t committed = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (committed < kChunk && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
    std::ifstream in(local + ".sfs-upload");
    std::stringstream text;
    text << in.rdbuf();
    auto state = nlohmann::json::parse(text.str(), nullptr, false);
    if (!state.is_object()) continue;
    auto upload = client_->GetUpload(state["upload_id"].get<std::string>());
    if (upload.ok()) committed = upload->committed_bytes;
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  ASSERT_GE(committed, kChunk);
  EXPECT_TRUE(absl::IsNotFound(client_->Stat("/ns/resumed-put").status()));

  CommandResult again = cluster_->RunCli({"put", local, "/ns/resumed-put"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const size_t at = again.err.find("resuming /ns/resumed-put at byte ");
  ASSERT_NE(at, std::string::npos) << again.err;
  EXPECT_GE(std::stoull(again.err.substr(at + 33)), committed);
  auto file = client_->Stat("/ns/resumed-put");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->size, 512 * kMiB);
  EXPECT_EQ(file->sha256, sha);
  EXPECT_NE(access((local + ".sfs-upload").c_str(), F_OK), 0);
}

}  // namespace
}  // namespace sfs
