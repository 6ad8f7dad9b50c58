// Fault suite: real processes, real SIGKILLs, real byte flips on disk. Each
// test asserts outcomes only and logs how long the cluster took to heal.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/checksum.h"
#include "common/cluster_tls.h"
#include "common/grpc_status.h"
#include "gtest/gtest.h"
#include "proto/sfs.grpc.pb.h"
#include "tests/test_cluster.h"

namespace sfs {
namespace {

constexpr uint64_t kMiB = 1 << 20;

// Deterministic content: piece i of a file is a function of (seed, i), so
// writers and checkers never hold a whole file.
void FillPiece(uint64_t seed, uint64_t index, std::string* piece) {
  uint64_t x =
      (seed + 1) * 0x9E3779B97F4A7C15ull ^ (index + 1) * 0xBF58476D1CE4E5B9ull;
  for (size_t i = 0; i + 8 <= piece->size(); i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    memcpy(&(*piece)[i], &x, 8);
  }
}

std::string ExpectedSha(uint64_t size, uint64_t seed) {
  Sha256 sha;
  std::string piece(kMiB, '\0');
  for (uint64_t i = 0; i * kMiB < size; ++i) {
    FillPiece(seed, i, &piece);
    sha.Update(
        absl::string_view(piece).substr(0, std::min(kMiB, size - i * kMiB)));
  }
  return sha.FinishHex();
}

absl::Status Upload(Client* client, const std::string& path, uint64_t size,
                    uint64_t seed) {
  auto writer = client->Create(path);
  if (!writer.ok()) return writer.status();
  std::string piece(kMiB, '\0');
  for (uint64_t i = 0; i * kMiB < size; ++i) {
    FillPiece(seed, i, &piece);
    absl::Status s = (*writer)->Append(
        absl::string_view(piece).substr(0, std::min(kMiB, size - i * kMiB)));
    if (!s.ok()) return s;
  }
  return (*writer)->Close().status();
}

// Polls fsck until clean; logs the time it took.
absl::Status WaitForHealing(Client* client, absl::Duration timeout,
                            const std::string& what) {
  absl::Time start = absl::Now();
  absl::StatusOr<FsckReport> report;
  while (absl::Now() - start < timeout) {
    report = client->Fsck();
    if (report.ok() && report->clean() && report->replication_backlog == 0) {
      printf("[heal] %s: fsck clean after %s\n", what.c_str(),
             absl::FormatDuration(absl::Now() - start).c_str());
      return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(250));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      what, ": not clean after ", absl::FormatDuration(timeout), ": ",
      report.ok()
          ? absl::StrCat(report->under_replicated_chunks, " under-replicated, ",
                         report->missing_chunks, " missing")
          : report.status().ToString()));
}

// Every chunk-data file on one chunkserver's disk.
std::vector<std::string> ChunkFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".data")
      out.push_back(entry.path().string());
  }
  return out;
}

using FaultTest = ClusterTestBase;

TEST_F(FaultTest, ChunkserverSigkillDuringEightDownloads) {
  StartCluster();
  constexpr int kFiles = 8;
  constexpr uint64_t kSize = 200 * kMiB;
  std::vector<std::thread> uploads;
  for (int i = 0; i < kFiles; ++i) {
    uploads.emplace_back([&, i] {
      ASSERT_TRUE(
          Upload(client_.get(), absl::StrCat("/dl/f", i), kSize, i).ok());
    });
  }
  for (auto& t : uploads) t.join();

  std::atomic<uint64_t> read_bytes{0};
  std::vector<absl::StatusOr<std::string>> results(kFiles,
                                                   absl::UnknownError(""));
  std::vector<std::thread> downloads;
  for (int i = 0; i < kFiles; ++i) {
    downloads.emplace_back([&, i] {
      auto reader = client_->Open(absl::StrCat("/dl/f", i));
      if (!reader.ok()) {
        results[i] = reader.status();
        return;
      }
      Sha256 sha;
      std::string buf(kMiB, '\0');
      while (true) {
        auto n = (*reader)->Read(buf.data(), buf.size());
        if (!n.ok()) {
          results[i] = n.status();
          return;
        }
        if (*n == 0) break;
        sha.Update(absl::string_view(buf.data(), *n));
        read_bytes += *n;
      }
      results[i] = sha.FinishHex();
    });
  }
  while (read_bytes.load() < kFiles * kSize / 4)
    absl::SleepFor(absl::Milliseconds(20));
  cluster_->KillChunkserver(1, SIGKILL);
  for (auto& t : downloads) t.join();
  for (int i = 0; i < kFiles; ++i) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status();
    EXPECT_EQ(*results[i], ExpectedSha(kSize, i)) << i;
  }
}

// Eight concurrent 200 MiB uploads, each through a client of its own;
// `fault(third)` runs once a third, then `fault(2 * third)` once two
// thirds of all bytes were appended. Returns each upload's outcome.
std::vector<absl::Status> EightUploadsWithFaults(
    TestCluster* cluster, absl::Duration write_stall_timeout,
    const std::function<void(int thirds)>& fault) {
  constexpr int kFiles = 8;
  constexpr uint64_t kSize = 200 * kMiB;
  std::atomic<uint64_t> progress{0};
  std::atomic<int> running{kFiles};
  std::vector<absl::Status> results(kFiles);
  std::vector<std::thread> uploads;
  for (int i = 0; i < kFiles; ++i) {
    uploads.emplace_back([&, i] {
      std::unique_ptr<Client> client = cluster->NewClient(write_stall_timeout);
      auto writer = client->Create(absl::StrCat("/ul/f", i));
      results[i] = writer.status();
      std::string piece(kMiB, '\0');
      uint64_t appended = 0;
      for (; results[i].ok() && appended < kSize; appended += kMiB) {
        FillPiece(i, appended / kMiB, &piece);
        results[i] = (*writer)->Append(piece);
        progress += kMiB;
      }
      if (results[i].ok()) results[i] = (*writer)->Close().status();
      // A failed upload stops adding progress: count its rest as done, so
      // the faults still come at a third and two thirds of the others.
      progress += kSize - appended;
      --running;
    });
  }
  for (int thirds = 1; thirds <= 2; ++thirds) {
    while (running.load() > 0 && progress.load() < thirds * kFiles * kSize / 3)
      absl::SleepFor(absl::Milliseconds(20));
    fault(thirds);
  }
  for (auto& t : uploads) t.join();
  return results;
}

// Checks every upload: a completed one reads back byte-identical, a failed
// one left nothing visible. Returns how many completed.
int CheckUploads(Client* client, const std::vector<absl::Status>& results) {
  int completed = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    std::string path = absl::StrCat("/ul/f", i);
    if (results[i].ok()) {
      ++completed;
      auto sha = ReadFileSha(client, path);
      EXPECT_TRUE(sha.ok()) << path << ": " << sha.status();
      if (sha.ok()) {
        EXPECT_EQ(*sha, ExpectedSha(200 * kMiB, i)) << path;
      }
    } else {
      printf("[uploads] %s failed: %s\n", path.c_str(),
             results[i].ToString().c_str());
      EXPECT_EQ(client->Stat(path).status().code(), absl::StatusCode::kNotFound)
          << path << " failed with " << results[i];
    }
  }
  printf("[uploads] %d of %zu completed\n", completed, results.size());
  return completed;
}

TEST_F(FaultTest, ChunkserverSigkillDuringEightUploadsHealsWithoutHelp) {
  StartCluster();
  std::vector<absl::Status> results = EightUploadsWithFaults(
      cluster_.get(), absl::Seconds(30), [&](int thirds) {
        if (thirds == 1) cluster_->KillChunkserver(2, SIGKILL);
      });
  // Pipeline recovery: two of three replicas survive in every chain, so
  // every upload carries on without the dead server.
  EXPECT_EQ(CheckUploads(client_.get(), results), 8);
  EXPECT_TRUE(
      WaitForHealing(client_.get(), absl::Seconds(180), "uploads after SIGKILL")
          .ok());
}

// SIGSTOP leaves a replica connected but silent: its TCP connections stay
// up, so only keepalives, the writer's stall watchdog and its pings can
// tell. One server is frozen at a third of the bytes (it is the second or
// third replica of some chains and the head of others), a second at two
// thirds, so some chains are left with one replica, below min_replicas.
// Every upload must end on its own, completed or failed with a reason, and
// a failed one leaves nothing visible. The parameter is the writers' stall
// time-out: at 30 s the chunkservers' keepalives usually find the frozen
// hop first; at 3 s the writer's watchdog and pings always do.
class FrozenReplicaTest : public ClusterTestBase,
                          public ::testing::WithParamInterface<absl::Duration> {
};

TEST_P(FrozenReplicaTest, EightUploadsEndCompletedOrFailedNeverHang) {
  StartCluster();
  // The bound is a hang detector, not a speed goal: detection (keepalive
  // 20 s or the stall time-out plus 2 s of pings), waiting for a survivor
  // still busy with the old stream (60 s), twice.
  constexpr absl::Duration kBound = absl::Minutes(6);
  std::atomic<bool> finished{false};
  std::thread hang_detector([&] {
    absl::Time deadline = absl::Now() + kBound;
    while (!finished.load() && absl::Now() < deadline)
      absl::SleepFor(absl::Milliseconds(100));
    if (!finished.load()) {
      ADD_FAILURE() << "uploads still running after " << kBound;
      // Thaw the servers so the uploads can end and the test report.
      for (int i = 0; i < 4; ++i) cluster_->SignalChunkserver(i, SIGCONT);
    }
  });
  std::vector<absl::Status> results =
      EightUploadsWithFaults(cluster_.get(), GetParam(), [&](int thirds) {
        cluster_->SignalChunkserver(thirds, SIGSTOP);  // rp2, then rp3
      });
  finished = true;
  hang_detector.join();
  for (const absl::Status& result : results) {
    if (result.ok()) continue;
    // A reason a person can act on, naming the chunk or replica.
    EXPECT_FALSE(result.message().empty());
    EXPECT_NE(result.code(), absl::StatusCode::kUnknown) << result;
  }
  // How many complete depends on placement, not on the code under test:
  // a chain that never held both frozen servers keeps two replicas and
  // completes, but when the chunks being written were placed while the
  // first frozen server still counted as alive, every chain may hold both
  // (one run of the full suite had 0 of 8, each failing with "only 1
  // replicas left, need 2"). So no count is asserted: each upload ended,
  // with a reason, byte-identical or invisible.
  CheckUploads(client_.get(), results);

  for (int i = 1; i <= 2; ++i) cluster_->SignalChunkserver(i, SIGCONT);
  EXPECT_TRUE(
      WaitForHealing(client_.get(), absl::Seconds(180), "after the thaw").ok());
}

INSTANTIATE_TEST_SUITE_P(
    StallTimeouts, FrozenReplicaTest,
    ::testing::Values(absl::Seconds(30), absl::Seconds(3)),
    [](const ::testing::TestParamInfo<absl::Duration>& info) {
      return absl::StrCat("WriteStall", absl::ToInt64Seconds(info.param), "s");
    });

TEST_F(FaultTest, ReadsFailOverFromStalledReplicas) {
  StartCluster();
  ASSERT_TRUE(Upload(client_.get(), "/stall/f", 20 * kMiB, 4).ok());
  auto info = client_->Stat("/stall/f");
  ASSERT_TRUE(info.ok());
  // Freeze two of the chunk's three replicas: alive, connected, silent.
  std::vector<int> frozen;
  for (int i = 0; i < 2; ++i) {
    frozen.push_back(info->chunks[0].replicas[i].rack.back() - '1');
    cluster_->SignalChunkserver(frozen.back(), SIGSTOP);
  }
  absl::Time start = absl::Now();
  for (int round = 0; round < 3; ++round) {
    auto sha = ReadFileSha(client_.get(), "/stall/f");
    ASSERT_TRUE(sha.ok()) << sha.status();
    EXPECT_EQ(*sha, ExpectedSha(20 * kMiB, 4));
  }
  printf("[stall] three reads past two frozen replicas took %s\n",
         absl::FormatDuration(absl::Now() - start).c_str());
  for (int index : frozen) cluster_->SignalChunkserver(index, SIGCONT);
}

TEST_F(FaultTest, TwoOfFourDownStillReadsAndHealsWhenOneReturns) {
  StartCluster();
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(
        Upload(client_.get(), absl::StrCat("/two/f", i), 70 * kMiB, i).ok());
  }
  cluster_->KillChunkserver(0, SIGTERM);
  cluster_->KillChunkserver(3, SIGTERM);
  ASSERT_TRUE(cluster_->WaitForAliveChunkservers(2, absl::Seconds(20)).ok());
  for (int i = 0; i < 4; ++i) {
    auto sha = ReadFileSha(client_.get(), absl::StrCat("/two/f", i));
    ASSERT_TRUE(sha.ok()) << sha.status();
    EXPECT_EQ(*sha, ExpectedSha(70 * kMiB, i));
  }
  auto report = client_->Fsck();
  ASSERT_TRUE(report.ok());
  EXPECT_GT(report->under_replicated_chunks, 0u);
  EXPECT_EQ(report->missing_chunks, 0u);
  EXPECT_FALSE(report->clean());

  ASSERT_TRUE(cluster_->StartChunkserver(0).ok());
  EXPECT_TRUE(
      WaitForHealing(client_.get(), absl::Seconds(120), "one of two returned")
          .ok());
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(*ReadFileSha(client_.get(), absl::StrCat("/two/f", i)),
              ExpectedSha(70 * kMiB, i));
  }
}

void FlipByte(const std::string& path, off_t offset) {
  int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0) << path;
  char c;
  ASSERT_EQ(pread(fd, &c, 1, offset), 1);
  c ^= 0x40;
  ASSERT_EQ(pwrite(fd, &c, 1, offset), 1);
  close(fd);
}

TEST_F(FaultTest, CorruptAndTruncatedReplicasAreReplaced) {
  TestClusterOptions options;
  options.scrub_interval = absl::Seconds(2);
  StartCluster(options);
  ASSERT_TRUE(Upload(client_.get(), "/bad/flip", 5 * kMiB, 1).ok());
  ASSERT_TRUE(Upload(client_.get(), "/bad/cut", 5 * kMiB, 2).ok());
  auto flip = client_->Stat("/bad/flip");
  auto cut = client_->Stat("/bad/cut");
  ASSERT_TRUE(flip.ok() && cut.ok());
  auto file_of = [&](const ChunkInfo& chunk, int* server) {
    const ReplicaInfo& replica = chunk.replicas[0];
    *server = replica.rack.back() - '1';
    return absl::StrCat(cluster_->chunkserver_dir(*server), "/",
                        absl::StrFormat("%016x", chunk.handle), ".data");
  };
  int flip_server, cut_server;
  FlipByte(file_of(flip->chunks[0], &flip_server), 3 * kMiB + 5);
  ASSERT_EQ(truncate(file_of(cut->chunks[0], &cut_server).c_str(), kMiB), 0);

  // Readers never see a bad byte, whichever replica they start on.
  for (int round = 0; round < 6; ++round) {
    EXPECT_EQ(*ReadFileSha(client_.get(), "/bad/flip"),
              ExpectedSha(5 * kMiB, 1));
    EXPECT_EQ(*ReadFileSha(client_.get(), "/bad/cut"),
              ExpectedSha(5 * kMiB, 2));
  }
  // Both bad replicas are found, by a reader or else by the scrubber...
  absl::Time start = absl::Now();
  absl::StatusOr<FsckReport> report;
  do {
    absl::SleepFor(absl::Milliseconds(100));
    report = client_->Fsck();
    ASSERT_TRUE(report.ok());
  } while (report->corrupt_replicas < 2 &&
           absl::Now() - start < absl::Seconds(30));
  EXPECT_EQ(report->corrupt_replicas, 2u);
  // ...and replaced.
  EXPECT_TRUE(
      WaitForHealing(client_.get(), absl::Seconds(60), "corrupt replicas")
          .ok());
  for (const char* path : {"/bad/flip", "/bad/cut"}) {
    auto info = client_->Stat(path);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->chunks[0].replicas.size(), 3u) << path;
  }
  EXPECT_EQ(*ReadFileSha(client_.get(), "/bad/flip"), ExpectedSha(5 * kMiB, 1));
}

// A small file goes down its chain as one message, with no recovery of its
// own: when a replica of the chain is gone, the writer drops that chunk and
// writes the bytes again through the pipeline, which writes around it.
TEST_F(FaultTest, SmallFilesAreWrittenAroundAChunkserverKilledUnderThem) {
  StartCluster();
  cluster_->KillChunkserver(0, SIGKILL);
  // Before the master notices: most chains still name the dead server.
  constexpr int kFiles = 12;
  for (int i = 0; i < kFiles; ++i) {
    ASSERT_TRUE(
        Upload(client_.get(), absl::StrCat("/small/f", i), 150000, 20 + i).ok())
        << i;
  }
  for (int i = 0; i < kFiles; ++i) {
    auto info = client_->Stat(absl::StrCat("/small/f", i));
    ASSERT_TRUE(info.ok());
    for (const ReplicaInfo& replica : info->chunks[0].replicas) {
      EXPECT_NE(replica.rack, "rp1") << i;
    }
    EXPECT_EQ(*ReadFileSha(client_.get(), absl::StrCat("/small/f", i)),
              ExpectedSha(150000, 20 + i));
  }
}

// A replica whose bytes changed together with their block checksums (a
// bad disk firmware or a buggy copy would do that) passes every block
// check. A reader that reads small chunks whole, as the frontend's does,
// checks them against the CRC32C the master recorded at commit, and fails
// over to a good replica.
TEST_F(FaultTest, WholeChunkReadsCatchAReplicaWithConsistentBadBlocks) {
  StartCluster();
  constexpr uint64_t kSize = 150000;  // three blocks
  ASSERT_TRUE(Upload(client_.get(), "/bad/small", kSize, 3).ok());
  auto info = client_->Stat("/bad/small");
  ASSERT_TRUE(info.ok());
  const ChunkInfo& chunk = info->chunks[0];
  const int server = chunk.replicas[0].rack.back() - '1';
  const std::string base = absl::StrCat(cluster_->chunkserver_dir(server), "/",
                                        absl::StrFormat("%016x", chunk.handle));
  // Block 1 gets a flipped byte and the checksum that matches it.
  constexpr uint64_t kBlock = 64 << 10;
  FlipByte(base + ".data", kBlock + 5);
  std::string block(kBlock, '\0');
  int data = open((base + ".data").c_str(), O_RDONLY);
  ASSERT_GE(data, 0);
  ASSERT_EQ(pread(data, block.data(), kBlock, kBlock), int64_t{kBlock});
  close(data);
  const uint32_t crc = ComputeCrc32c(block);
  char encoded[4];
  for (int i = 0; i < 4; ++i) encoded[i] = static_cast<char>(crc >> (8 * i));
  int crcs = open((base + ".crc").c_str(), O_WRONLY);
  ASSERT_GE(crcs, 0);
  ASSERT_EQ(pwrite(crcs, encoded, 4, 4), 4);
  close(crcs);

  // Fresh caching readers start on each replica in turn.
  for (int round = 0; round < 6; ++round) {
    std::unique_ptr<Client> reader =
        cluster_->NewClient(absl::Seconds(30), 1 << 20);
    EXPECT_EQ(*ReadFileSha(reader.get(), "/bad/small"), ExpectedSha(kSize, 3))
        << round;
  }
}

// A write of one chunk on one chunkserver, from a client that sends a
// header and a few bytes, reads their ack and then stays silent but
// connected: what a server sees of a writer that vanished without closing
// its connection (its peer froze long enough to be dropped on the other
// side).
class SilentWrite {
 public:
  SilentWrite(TestCluster* cluster, const ChunkInfo& chunk,
              const std::string& address)
      : stub_(proto::Chunkserver::NewStub(cluster->NewChannel(
            address, ClusterRole::kChunkserver, "frontend"))) {
    // Only so a failing test cannot hang.
    context_.set_deadline(std::chrono::system_clock::now() +
                          std::chrono::minutes(3));
    stream_ = stub_->WriteChunk(&context_);
    proto::WriteChunkRequest request;
    proto::WriteChunkHeader* header = request.mutable_header();
    header->set_handle(chunk.handle);
    header->set_version(chunk.version);
    *header->mutable_token() = cluster->SignBlockToken(
        chunk.handle, proto::BlockToken::WRITE, {address});
    request.set_data("half a chunk");
    request.set_data_crc32c(ComputeCrc32c(request.data()));
    EXPECT_TRUE(stream_->Write(request));
    proto::WriteChunkAck ack;
    // Once acknowledged, the server holds the chunk open.
    EXPECT_TRUE(stream_->Read(&ack));
    EXPECT_EQ(ack.offset(), request.data().size());
  }

  // Waits for the server to end the write; returns how it ended.
  grpc::StatusCode End() {
    proto::WriteChunkAck ack;
    while (stream_->Read(&ack)) {
    }
    return stream_->Finish().error_code();
  }

 private:
  std::unique_ptr<proto::Chunkserver::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<
      grpc::ClientReaderWriter<proto::WriteChunkRequest, proto::WriteChunkAck>>
      stream_;
};

// Uploads a one-chunk file; returns its chunk and the index of the one
// chunkserver (of four) without a replica.
ChunkInfo UploadOneChunk(Client* client, const std::string& path, int* spare) {
  EXPECT_TRUE(Upload(client, path, 3 * kMiB, 7).ok());
  auto info = client->Stat(path);
  EXPECT_TRUE(info.ok());
  const ChunkInfo& chunk = info->chunks[0];
  EXPECT_EQ(chunk.replicas.size(), 3u);
  std::set<int> holders;
  for (const ReplicaInfo& replica : chunk.replicas)
    holders.insert(replica.rack.back() - '1');
  for (*spare = 0; holders.count(*spare) > 0;) ++*spare;
  return chunk;
}

// A silent write can hold its chunk for ever when nothing tells its
// connection that the peer is gone. When a replica holder dies, the master
// can only re-replicate onto the server that holds such a write: the copy
// must take the chunk over from it, or the chunk stays under-replicated.
TEST_F(FaultTest, ACloneTakesItsChunkOverFromASilentWrite) {
  StartCluster();
  int spare;
  ChunkInfo chunk = UploadOneChunk(client_.get(), "/stale/f", &spare);
  const std::string address = cluster_->chunkserver_address(spare);
  SilentWrite silent(cluster_.get(), chunk, address);

  cluster_->KillChunkserver((spare + 1) % 4, SIGKILL);
  // Once the master counts the server dead, the chunk is short a replica.
  absl::StatusOr<FsckReport> report;
  for (absl::Time start = absl::Now();
       absl::Now() - start < absl::Seconds(30) &&
       !(report.ok() && report->under_replicated_chunks > 0);
       absl::SleepFor(absl::Milliseconds(100))) {
    report = client_->Fsck();
  }
  ASSERT_TRUE(report.ok() && report->under_replicated_chunks > 0);
  EXPECT_TRUE(
      WaitForHealing(client_.get(), absl::Seconds(60), "over a silent write")
          .ok());
  auto info = client_->Stat("/stale/f");
  ASSERT_TRUE(info.ok());
  std::set<std::string> now;
  for (const ReplicaInfo& replica : info->chunks[0].replicas)
    now.insert(replica.address);
  EXPECT_EQ(now.count(address), 1u) << "the copy went to the spare server";
  // The silent write was cancelled, not left to hold a thread.
  EXPECT_EQ(silent.End(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(*ReadFileSha(client_.get(), "/stale/f"), ExpectedSha(3 * kMiB, 7));
}

// Without a newer writer, the idle time-out ends a silent write.
TEST_F(FaultTest, ASilentWriteIsCancelledAfterTheIdleTimeout) {
  TestClusterOptions options;
  options.write_idle_timeout = absl::Seconds(2);
  StartCluster(options);
  int spare;
  ChunkInfo chunk = UploadOneChunk(client_.get(), "/idle/f", &spare);
  SilentWrite silent(cluster_.get(), chunk,
                     cluster_->chunkserver_address(spare));
  // Before the 3-minute deadline, which would end it DEADLINE_EXCEEDED.
  EXPECT_EQ(silent.End(), grpc::StatusCode::CANCELLED);
}

// A replica that fails on its own (here: a segment whose bytes do not match
// its checksum, found before they are written or forwarded) is the one
// blamed, in the call's trailers; cancelling its downstream on the way out
// must not tell the writer that the healthy downstream failed.
TEST_F(FaultTest, AReplicaThatFailsItselfIsBlamedNotItsDownstream) {
  StartCluster();
  const std::string primary = cluster_->chunkserver_address(0);
  const std::string downstream = cluster_->chunkserver_address(1);
  auto stub = proto::Chunkserver::NewStub(
      cluster_->NewChannel(primary, ClusterRole::kChunkserver, "frontend"));
  grpc::ClientContext context;
  // Only so a failing test cannot hang.
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::minutes(1));
  auto stream = stub->WriteChunk(&context);
  proto::WriteChunkRequest request;
  proto::WriteChunkHeader* header = request.mutable_header();
  // A chunk no file refers to.
  constexpr uint64_t kHandle = 1u << 30;
  header->set_handle(kHandle);
  header->set_version(1);
  header->add_downstream(downstream);
  *header->mutable_token() = cluster_->SignBlockToken(
      kHandle, proto::BlockToken::WRITE, {primary, downstream});
  request.set_data("bytes the checksum below does not cover");
  request.set_data_crc32c(ComputeCrc32c(request.data()) ^ 1);
  EXPECT_TRUE(stream->Write(request));
  proto::WriteChunkAck ack;
  while (stream->Read(&ack)) {
    EXPECT_EQ(ack.failed_replica(), "") << "an ack blamed a replica";
  }
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DATA_LOSS)
      << status.error_message();
  const auto& trailers = context.GetServerTrailingMetadata();
  auto blamed = trailers.find(kFailedReplicaKey);
  ASSERT_NE(blamed, trailers.end());
  EXPECT_EQ(std::string(blamed->second.data(), blamed->second.size()), primary);
}

TEST_F(FaultTest, MasterSigkillDuringUploadsAndCheckpointRestore) {
  StartCluster();
  ASSERT_TRUE(Upload(client_.get(), "/m/before", 3 * kMiB, 1).ok());
  // Only a name under the master's --backup_dir is accepted.
  for (const char* outside : {"/tmp/elsewhere", "../master", "a/b", ""}) {
    EXPECT_EQ(client_->Checkpoint(outside).status().code(),
              absl::StatusCode::kInvalidArgument)
        << outside;
  }
  auto written = client_->Checkpoint("checkpoint");
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->files, 1u);
  const std::string checkpoint = written->path;
  EXPECT_EQ(checkpoint, cluster_->dir() + "/backups/checkpoint");
  ASSERT_TRUE(Upload(client_.get(), "/m/after", 2 * kMiB, 2).ok());

  // Uploads racing a master SIGKILL: each either completes whole or fails.
  std::vector<absl::Status> results(4);
  std::vector<std::thread> uploads;
  for (int i = 0; i < 4; ++i) {
    uploads.emplace_back([&, i] {
      std::unique_ptr<Client> client = cluster_->NewClient();
      results[i] = Upload(client.get(), absl::StrCat("/m/racing", i),
                          150 * kMiB, 10 + i);
    });
  }
  absl::SleepFor(absl::Milliseconds(700));
  cluster_->KillMaster(SIGKILL);
  absl::SleepFor(absl::Seconds(1));
  ASSERT_TRUE(cluster_->StartMaster().ok());
  for (auto& t : uploads) t.join();
  ASSERT_TRUE(cluster_->WaitForAliveChunkservers(4, absl::Seconds(30)).ok());
  for (int i = 0; i < 4; ++i) {
    std::string path = absl::StrCat("/m/racing", i);
    if (results[i].ok()) {
      EXPECT_EQ(*ReadFileSha(client_.get(), path),
                ExpectedSha(150 * kMiB, 10 + i))
          << path;
    } else {
      EXPECT_EQ(client_->Stat(path).status().code(),
                absl::StatusCode::kNotFound)
          << path;
    }
  }
  EXPECT_EQ(*ReadFileSha(client_.get(), "/m/before"), ExpectedSha(3 * kMiB, 1));
  EXPECT_EQ(*ReadFileSha(client_.get(), "/m/after"), ExpectedSha(2 * kMiB, 2));
  ASSERT_TRUE(Upload(client_.get(), "/m/resumed", kMiB, 3).ok());

  // Restore: the master started on the checkpoint sees exactly its namespace.
  cluster_->KillMaster(SIGTERM);
  std::filesystem::remove_all(cluster_->dir() + "/master");
  std::filesystem::rename(checkpoint, cluster_->dir() + "/master");
  ASSERT_TRUE(cluster_->StartMaster().ok());
  ASSERT_TRUE(cluster_->WaitForAliveChunkservers(4, absl::Seconds(30)).ok());
  auto listing = client_->List("/m/");
  ASSERT_TRUE(listing.ok());
  ASSERT_EQ(listing->files.size(), 1u);
  EXPECT_EQ(listing->files[0].path, "/m/before");
  EXPECT_EQ(*ReadFileSha(client_.get(), "/m/before"), ExpectedSha(3 * kMiB, 1));
}

TEST_F(FaultTest, StaleReplicasOfARestartedServerAreNeverServedAndCollected) {
  StartCluster();
  ASSERT_TRUE(Upload(client_.get(), "/s/kept", 4 * kMiB, 1).ok());
  ASSERT_TRUE(Upload(client_.get(), "/s/gone", 4 * kMiB, 2).ok());
  // Stop the server holding a replica of both files' first chunks.
  auto kept = client_->Stat("/s/kept");
  ASSERT_TRUE(kept.ok());
  int victim = kept->chunks[0].replicas[0].rack.back() - '1';
  std::vector<std::string> before =
      ChunkFiles(cluster_->chunkserver_dir(victim));
  ASSERT_FALSE(before.empty());
  cluster_->KillChunkserver(victim, SIGKILL);
  ASSERT_TRUE(cluster_->WaitForAliveChunkservers(3, absl::Seconds(20)).ok());
  ASSERT_TRUE(Upload(client_.get(), "/s/kept", 3 * kMiB, 3).ok());  // overwrite
  ASSERT_TRUE(client_->Delete("/s/gone").ok());
  ASSERT_TRUE(cluster_->StartChunkserver(victim).ok());
  ASSERT_TRUE(cluster_->WaitForAliveChunkservers(4, absl::Seconds(20)).ok());

  absl::Time start = absl::Now();
  std::set<std::string> stale(before.begin(), before.end());
  bool collected = false;
  while (absl::Now() - start < absl::Seconds(60) && !collected) {
    EXPECT_EQ(*ReadFileSha(client_.get(), "/s/kept"), ExpectedSha(3 * kMiB, 3));
    EXPECT_EQ(client_->Stat("/s/gone").status().code(),
              absl::StatusCode::kNotFound);
    collected = true;
    for (const std::string& f : ChunkFiles(cluster_->chunkserver_dir(victim))) {
      if (stale.count(f)) collected = false;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_TRUE(collected) << "stale replicas still on disk";
  printf("[heal] stale replicas collected after %s\n",
         absl::FormatDuration(absl::Now() - start).c_str());
}

TEST_F(FaultTest, FullChunkserverGetsNoChunksAndUploadsSucceed) {
  TestClusterOptions options;
  options.capacity_bytes = {0, 0, 0, kMiB};  // rp4 is full from the start
  StartCluster(options);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        Upload(client_.get(), absl::StrCat("/full/f", i), 70 * kMiB, i).ok());
    auto info = client_->Stat(absl::StrCat("/full/f", i));
    ASSERT_TRUE(info.ok());
    for (const ChunkInfo& chunk : info->chunks) {
      EXPECT_EQ(chunk.replicas.size(), 3u);
      for (const ReplicaInfo& r : chunk.replicas) EXPECT_NE(r.rack, "rp4");
    }
    EXPECT_EQ(*ReadFileSha(client_.get(), absl::StrCat("/full/f", i)),
              ExpectedSha(70 * kMiB, i));
  }
  EXPECT_TRUE(ChunkFiles(cluster_->chunkserver_dir(3)).empty());
}

}  // namespace
}  // namespace sfs
