// Health and metrics of every process, against real processes: the
// operations HTTP ports of the master and chunkservers, the frontend's
// /metrics, the standard gRPC health service through safe mode, JSON logs,
// and the request id that travels from the frontend to the master and the
// chunkservers.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/frontend_http.h"
#include "tests/frontend_server.h"
#include "tests/test_cluster.h"

namespace sfs {
namespace {

// A scrape, parsed and checked against the Prometheus text format (0.0.4):
// every sample belongs to a family declared by a # TYPE line before it,
// names and labels are well-formed, values are numbers, and a histogram's
// buckets are cumulative and end at +Inf with its _count.
struct Scrape {
  std::map<std::string, std::string> types;  // family -> type
  std::map<std::string, double> samples;     // name{labels} -> value
};

std::string FamilyOf(const std::string& name,
                     const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    absl::string_view base = name;
    if (absl::ConsumeSuffix(&base, suffix)) {
      auto it = types.find(std::string(base));
      if (it != types.end() && it->second == "histogram") return it->first;
    }
  }
  return name;
}

absl::StatusOr<Scrape> ParseMetrics(const std::string& text) {
  static const std::regex kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*)?\})? (\S+))");
  static const std::regex kType(
      R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
  Scrape scrape;
  std::map<std::string, double> last_bucket;  // series without le -> value
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty()) continue;
    std::string l(line);
    std::smatch m;
    if (absl::StartsWith(line, "# HELP ")) continue;
    if (absl::StartsWith(line, "# TYPE ")) {
      if (!std::regex_match(l, m, kType)) {
        return absl::InvalidArgumentError("bad TYPE line: " + l);
      }
      scrape.types[m[1]] = m[2];
      continue;
    }
    if (!std::regex_match(l, m, kSample)) {
      return absl::InvalidArgumentError("bad sample line: " + l);
    }
    const std::string name = m[1];
    if (scrape.types.count(FamilyOf(name, scrape.types)) == 0) {
      return absl::InvalidArgumentError("sample before its TYPE: " + l);
    }
    double value;
    const std::string v = m[7];
    if (v == "+Inf") {
      value = std::numeric_limits<double>::infinity();
    } else if (!absl::SimpleAtod(v, &value)) {
      return absl::InvalidArgumentError("bad value: " + l);
    }
    const std::string series = l.substr(0, l.rfind(' '));
    scrape.samples[series] = value;
    if (absl::EndsWith(name, "_bucket")) {
      // Cumulative buckets: never fewer than the bucket before.
      std::string key =
          std::regex_replace(series, std::regex(R"(,?le="[^"]*")"), "");
      auto [it, fresh] = last_bucket.emplace(key, value);
      if (!fresh && value < it->second) {
        return absl::InvalidArgumentError("buckets not cumulative: " + l);
      }
      it->second = value;
    }
  }
  return scrape;
}

absl::StatusOr<Scrape> ScrapeAt(const std::string& address) {
  httplib::Client client("http://" + address);
  auto res = client.Get("/metrics");
  if (!res) return absl::UnavailableError("no answer from " + address);
  if (res->status != 200) {
    return absl::InternalError(absl::StrCat("/metrics: ", res->status));
  }
  if (res->get_header_value("Content-Type").rfind("text/plain", 0) != 0) {
    return absl::InternalError("/metrics is not text/plain");
  }
  return ParseMetrics(res->body);
}

double Value(const Scrape& scrape, const std::string& series) {
  auto it = scrape.samples.find(series);
  return it == scrape.samples.end() ? -1 : it->second;
}

int HttpStatus(const std::string& address, const std::string& path) {
  httplib::Client client("http://" + address);
  auto res = client.Get(path);
  return res ? res->status : -1;
}

// The overall status from the standard gRPC health service
// (grpc.health.v1.Health/Check with service ""): 1 SERVING, 2 NOT_SERVING,
// -1 when the call fails. The request is the empty message; the answer is
// field 1 (status, an enum) as a varint.
int GrpcHealth(const TestCluster& cluster, const std::string& address,
               ClusterRole role) {
  auto channel = cluster.NewChannel(address, role);
  std::string bytes;
  if (!RawUnaryCall(channel, "/grpc.health.v1.Health/Check", "", &bytes).ok()) {
    return -1;
  }
  if (bytes.size() != 2 || bytes[0] != 0x08) return -1;
  return bytes[1];
}

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return true;
}

// Every sfs_* name the monitoring assets in deploy/monitoring mention.
std::set<std::string> MonitoredNames() {
  std::set<std::string> names;
  static const std::regex kName(R"(\bsfs_[a-z_]+\b)");
  for (const auto& entry : std::filesystem::directory_iterator(
           std::string(SFS_SOURCE_DIR) + "/deploy/monitoring")) {
    std::ifstream in(entry.path());
    std::string text(std::istreambuf_iterator<char>(in), {});
    for (std::sregex_iterator it(text.begin(), text.end(), kName), end;
         it != end; ++it) {
      names.insert(it->str());
    }
  }
  return names;
}

class OpsTest : public ::testing::Test {
 protected:
  void StartAll(TestClusterOptions options,
                std::vector<std::string> frontend_flags = {}) {
    cluster_ = std::make_unique<TestCluster>(options);
    ASSERT_TRUE(cluster_->Start().ok());
    frontend_ = std::make_unique<FrontendServer>(TestFrontendOptions(
        *cluster_, "frontend", "", std::move(frontend_flags)));
    ASSERT_TRUE(frontend_->Start().ok());
    ASSERT_EQ(CreateTestNamespace(*frontend_, "ops"), 201);
  }

  std::string FrontendAddress() const {
    return absl::StrCat("127.0.0.1:", frontend_->port());
  }

  std::unique_ptr<TestCluster> cluster_;
  std::unique_ptr<FrontendServer> frontend_;
};

TEST_F(OpsTest, EveryProcessServesProbesAndMetrics) {
  StartAll({});
  const uint64_t size = 3 * kMiB;
  auto client = frontend_->NewClient();
  const std::string alice = TestJwt("alice");
  auto up = UploadPattern(*client, "/storage/ops/m.bin", alice, 5, size, false);
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 201) << up->body;
  uint64_t got = 0;
  ASSERT_EQ(DownloadSha256(*client, "/storage/ops/m.bin", alice, &got),
            PatternSha256(5, size));

  std::vector<std::string> ops = {cluster_->master_ops_address()};
  for (int i = 0; i < 4; ++i)
    ops.push_back(cluster_->chunkserver_ops_address(i));
  for (const std::string& address : ops) {
    EXPECT_EQ(HttpStatus(address, "/healthz"), 200) << address;
    EXPECT_EQ(HttpStatus(address, "/readyz"), 200) << address;
  }
  EXPECT_EQ(HttpStatus(FrontendAddress(), "/healthz"), 200);
  EXPECT_EQ(HttpStatus(FrontendAddress(), "/readyz"), 200);

  std::set<std::string> families;
  auto master = ScrapeAt(cluster_->master_ops_address());
  ASSERT_TRUE(master.ok()) << master.status();
  for (const auto& [family, type] : master->types) families.insert(family);
  EXPECT_EQ(Value(*master, "sfs_master_live_chunkservers"), 4);
  EXPECT_EQ(Value(*master, "sfs_master_files"), 1);
  EXPECT_GE(Value(*master, "sfs_master_chunks"), 1);
  EXPECT_EQ(Value(*master, "sfs_master_safe_mode"), 0);
  EXPECT_GE(Value(*master, "sfs_master_metadata_write_duration_seconds_count"),
            2);
  EXPECT_GE(Value(*master,
                  "sfs_rpc_requests_total{code=\"0\",method="
                  "\"Master/CompleteUpload\"}"),
            1);
  EXPECT_GE(Value(*master,
                  "sfs_rpc_duration_seconds_count{method="
                  "\"Master/CompleteUpload\"}"),
            1);

  // Three replicas of every byte were written, and one read back to us.
  double written = 0;
  double read = 0;
  for (int i = 0; i < 4; ++i) {
    auto cs = ScrapeAt(cluster_->chunkserver_ops_address(i));
    ASSERT_TRUE(cs.ok()) << cs.status();
    for (const auto& [family, type] : cs->types) families.insert(family);
    written += Value(*cs, "sfs_chunkserver_written_bytes_total");
    read += Value(*cs, "sfs_chunkserver_read_bytes_total");
    EXPECT_EQ(Value(*cs, "sfs_chunkserver_disk_failed"), 0);
    EXPECT_EQ(Value(*cs, "sfs_chunkserver_checksum_failures_total"), 0);
  }
  EXPECT_EQ(written, 3.0 * size);
  EXPECT_GE(read, size);

  auto fe = ScrapeAt(FrontendAddress());
  ASSERT_TRUE(fe.ok()) << fe.status();
  for (const auto& [family, type] : fe->types) families.insert(family);
  EXPECT_EQ(Value(*fe,
                  "sfs_frontend_transfer_bytes_count{direction="
                  "\"upload\"}"),
            1);
  EXPECT_EQ(Value(*fe,
                  "sfs_frontend_transfer_bytes_sum{direction="
                  "\"upload\"}"),
            size);
  EXPECT_EQ(Value(*fe, "sfs_frontend_bytes_sent_total"), size);
  EXPECT_EQ(Value(*fe, "sfs_frontend_draining"), 0);

  // The dashboard and the alerts ask only for what the processes export.
  std::set<std::string> monitored = MonitoredNames();
  EXPECT_GT(monitored.size(), 20u);
  for (const std::string& name : monitored) {
    EXPECT_TRUE(families.count(FamilyOf(name, {{name, "histogram"}})) ||
                families.count(name) ||
                families.count(std::regex_replace(
                    name, std::regex("_(bucket|sum|count)$"), "")))
        << name << " is monitored but no process exports it";
  }
}

// Concurrent Stats of one client share master calls (StatMany), and each
// still gets the answer for its own path: the file, NotFound, or a bad path
// refused.
TEST_F(OpsTest, ConcurrentStatsShareMasterCallsAndEachGetsItsOwnAnswer) {
  TestCluster cluster(TestClusterOptions{});
  ASSERT_TRUE(cluster.Start().ok());
  std::unique_ptr<Client> client = cluster.NewClient();
  constexpr int kFiles = 8;
  for (int i = 0; i < kFiles; ++i) {
    auto writer = client->Create(absl::StrCat("/st/f", i));
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(std::string(100 + i, 'x')).ok());
    ASSERT_TRUE((*writer)->Close().ok());
  }
  constexpr int kThreads = 24;
  constexpr int kLookups = 150;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < kLookups; ++n) {
        const int i = (t + n) % (kFiles + 2);
        if (i == kFiles) {  // never written
          auto missing = client->Stat("/st/none");
          if (!absl::IsNotFound(missing.status())) ++wrong;
        } else if (i == kFiles + 1) {  // not a valid path
          auto bad = client->Stat("/st/../f0");
          if (!absl::IsInvalidArgument(bad.status())) ++wrong;
        } else {
          auto info = client->Stat(absl::StrCat("/st/f", i));
          if (!info.ok() || info->path != absl::StrCat("/st/f", i) ||
              info->size != 100u + i) {
            ++wrong;
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);

  auto master = ScrapeAt(cluster.master_ops_address());
  ASSERT_TRUE(master.ok()) << master.status();
  const double many = Value(
      *master, "sfs_rpc_requests_total{code=\"0\",method=\"Master/StatMany\"}");
  const double single =
      std::max(0.0, Value(*master,
                          "sfs_rpc_requests_total{code=\"0\",method="
                          "\"Master/Stat\"}"));
  EXPECT_GE(many, 1);
  EXPECT_LT(many + single, kThreads * kLookups);
}

TEST_F(OpsTest, GrpcHealthIsNotServingInSafeMode) {
  auto cluster = std::make_unique<TestCluster>();
  ASSERT_TRUE(cluster->Start().ok());
  auto client = cluster->NewClient();
  auto writer = client->Create("/safe/a");
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->Append(std::string(1 << 20, 'a')).ok());
  ASSERT_TRUE((*writer)->Close().ok());
  EXPECT_EQ(
      GrpcHealth(*cluster, cluster->master_address(), ClusterRole::kMaster), 1);
  EXPECT_EQ(GrpcHealth(*cluster, cluster->chunkserver_address(0),
                       ClusterRole::kChunkserver),
            1);

  // A master restarted without its chunkservers cannot see its chunks: it
  // stays in safe mode, which its probes report.
  for (int i = 0; i < 4; ++i) cluster->KillChunkserver(i, SIGKILL);
  cluster->KillMaster(SIGKILL);
  ASSERT_TRUE(cluster->StartMaster().ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        return GrpcHealth(*cluster, cluster->master_address(),
                          ClusterRole::kMaster) != -1;
      },
      absl::Seconds(20)));
  EXPECT_EQ(
      GrpcHealth(*cluster, cluster->master_address(), ClusterRole::kMaster), 2);
  EXPECT_EQ(HttpStatus(cluster->master_ops_address(), "/readyz"), 503);
  EXPECT_EQ(HttpStatus(cluster->master_ops_address(), "/healthz"), 200);
  auto scrape = ScrapeAt(cluster->master_ops_address());
  ASSERT_TRUE(scrape.ok());
  EXPECT_EQ(Value(*scrape, "sfs_master_safe_mode"), 1);

  for (int i = 0; i < 4; ++i) ASSERT_TRUE(cluster->StartChunkserver(i).ok());
  EXPECT_TRUE(WaitFor(
      [&] {
        return GrpcHealth(*cluster, cluster->master_address(),
                          ClusterRole::kMaster) == 1;
      },
      absl::Seconds(30)));
  EXPECT_EQ(HttpStatus(cluster->master_ops_address(), "/readyz"), 200);
}

TEST_F(OpsTest, RequestIdTravelsToMasterAndChunkserversInJsonLogs) {
  TestClusterOptions options;
  options.json_logs = true;
  options.log_rpcs = true;
  StartAll(options, {"--log_format=json"});
  auto client = frontend_->NewClient();
  const std::string alice = TestJwt("alice");
  auto up =
      UploadPattern(*client, "/storage/ops/logged.bin", alice, 9, kMiB, false);
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 201) << up->body;
  const std::string id = up->get_header_value("X-Request-Id");
  ASSERT_FALSE(id.empty());

  // Every line of every process is one JSON object; the upload's id is on
  // lines of the master (its RPCs) and of the chunkservers (the write).
  auto lines_with_id = [&](const std::string& log) {
    int with_id = 0;
    for (absl::string_view line :
         absl::StrSplit(log, '\n', absl::SkipEmpty())) {
      auto json =
          nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      EXPECT_TRUE(json.is_object()) << line;
      if (!json.is_object()) continue;
      EXPECT_TRUE(json.contains("time") && json.contains("process") &&
                  json.contains("message"))
          << line;
      if (json.value("request_id", "") == id) ++with_id;
    }
    return with_id;
  };
  EXPECT_GE(lines_with_id(cluster_->MasterLog()), 2);  // create, complete
  int chunkserver_lines = 0;
  for (int i = 0; i < 4; ++i) {
    chunkserver_lines += lines_with_id(cluster_->ChunkserverLog(i));
  }
  EXPECT_GE(chunkserver_lines, 3);  // every replica of the chunk
  std::ifstream in(cluster_->dir() + "/frontend.log");
  lines_with_id(std::string(std::istreambuf_iterator<char>(in), {}));
}

}  // namespace
}  // namespace sfs
