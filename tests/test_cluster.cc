#include "tests/test_cluster.h"

#include <fcntl.h>
#include <grpcpp/generic/generic_stub.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/block_token.h"
#include "common/cert_authority.h"
#include "common/checksum.h"
#include "common/rpc_settings.h"

namespace sfs {
namespace {

// Binds `port` on loopback (0: any); returns the bound port, or -1.
int BindLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  socklen_t len = sizeof(addr);
  int bound = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    bound = ntohs(addr.sin_port);
  }
  close(fd);
  return bound;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void KillAndReap(pid_t* pid, int signal) {
  if (*pid <= 0) return;
  kill(*pid, signal);
  waitpid(*pid, nullptr, 0);
  *pid = -1;
}

}  // namespace

std::string BinDir() { return SFS_BIN_DIR; }

void ExecOrExit(const std::vector<std::string>& argv) {
  std::vector<std::string> copy = argv;
  std::vector<char*> raw;
  for (std::string& arg : copy) raw.push_back(arg.data());
  raw.push_back(nullptr);
  execv(raw[0], raw.data());
  _exit(127);
}

// Ports this process has handed out. The kernel may give bind(0) the same
// free port twice in a row, and a cluster of several processes asks for
// many before any of them binds: each port is handed out once.
absl::Mutex handed_out_mu;
std::set<int>* handed_out ABSL_GUARDED_BY(handed_out_mu) = new std::set<int>;

int FreeLoopbackPort() {
  absl::MutexLock lock(&handed_out_mu);
  while (true) {
    int port = BindLoopback(0);
    if (port > 0 && handed_out->insert(port).second) return port;
  }
}

int FreeLoopbackPorts(int count) {
  absl::MutexLock lock(&handed_out_mu);
  while (true) {
    int first = BindLoopback(0);
    if (first < 0 || first + count > 65535) continue;
    int free = 0;
    while (free < count && handed_out->count(first + free) == 0 &&
           (free == 0 || BindLoopback(first + free) > 0)) {
      ++free;
    }
    if (free < count) continue;
    for (int i = 0; i < count; ++i) handed_out->insert(first + i);
    return first;
  }
}

TestCluster::TestCluster(const TestClusterOptions& options)
    : options_(options) {
  char tmpl[] = "/tmp/sfs-cluster-test.XXXXXX";
  dir_ = mkdtemp(tmpl);
  master_port_ = FreeLoopbackPort();
  master_ops_port_ = FreeLoopbackPort();
  for (int i = 0; i < options_.chunkservers; ++i) {
    chunkserver_ports_.push_back(FreeLoopbackPort());
    chunkserver_ops_ports_.push_back(FreeLoopbackPort());
  }
  chunkserver_pids_.assign(options_.chunkservers, -1);
  if (options_.tls) {
    absl::Status made = EnsureClusterCertificates(
        dir_ + "/tls", LocalClusterIdentities(options_.chunkservers),
        absl::Hours(24));
    EXPECT_TRUE(made.ok()) << made;
  }
}

std::string TestCluster::tls_dir(const std::string& name) const {
  return options_.tls ? absl::StrCat(dir_, "/tls/", name) : "";
}

TestCluster::~TestCluster() {
  KillMaster(SIGKILL);
  for (int i = 0; i < options_.chunkservers; ++i) KillChunkserver(i, SIGKILL);
  // The servers' logs tell why a test failed: keep them (only) then.
  if (!::testing::Test::HasFailure()) {
    std::filesystem::remove_all(dir_);
    return;
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    if (entry.path().extension() != ".log")
      std::filesystem::remove_all(entry.path());
  }
  printf("[cluster] test failed: server logs kept in %s\n", dir_.c_str());
}

pid_t TestCluster::Spawn(const std::string& binary,
                         const std::vector<std::string>& args,
                         const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    std::vector<std::string> argv = {BinDir() + "/" + binary};
    argv.insert(argv.end(), args.begin(), args.end());
    ExecOrExit(argv);
  }
  return pid;
}

std::string TestCluster::master_address() const {
  return absl::StrCat("127.0.0.1:", master_port_);
}

std::string TestCluster::chunkserver_address(int index) const {
  return absl::StrCat("127.0.0.1:", chunkserver_ports_[index]);
}

std::string TestCluster::master_ops_address() const {
  return absl::StrCat("127.0.0.1:", master_ops_port_);
}

std::string TestCluster::chunkserver_ops_address(int index) const {
  return absl::StrCat("127.0.0.1:", chunkserver_ops_ports_[index]);
}

std::string TestCluster::MasterLog() const {
  std::ifstream in(dir_ + "/master.log");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string TestCluster::ChunkserverLog(int index) const {
  std::ifstream in(absl::StrCat(dir_, "/rp", index + 1, ".log"));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string TestCluster::chunkserver_dir(int index) const {
  return absl::StrCat(dir_, "/rp", index + 1);
}

absl::Status TestCluster::StartMaster() {
  master_pid_ = Spawn(
      "sfs-master",
      {"--listen=" + master_address(), "--data=" + dir_ + "/master",
       "--dead_after=" + absl::FormatDuration(options_.dead_after),
       "--replication_delay=" +
           absl::FormatDuration(options_.replication_delay),
       "--gc_grace=" + absl::FormatDuration(options_.gc_grace),
       "--upload_idle_timeout=" +
           absl::FormatDuration(options_.upload_idle_timeout),
       "--clone_timeout=30s", "--repair_interval=200ms",
       "--ops_listen=" + master_ops_address(), LogFormatFlag(), LogRpcsFlag(),
       "--tls_dir=" + tls_dir("master"), "--backup_dir=" + dir_ + "/backups",
       absl::StrCat("--replication=", std::min(3, options_.chunkservers))},
      dir_ + "/master.log");
  return master_pid_ > 0 ? absl::OkStatus()
                         : absl::InternalError("cannot start master");
}

void TestCluster::KillMaster(int signal) { KillAndReap(&master_pid_, signal); }

std::string TestCluster::LogFormatFlag() const {
  return options_.json_logs ? "--log_format=json" : "--log_format=text";
}

std::string TestCluster::LogRpcsFlag() const {
  return options_.log_rpcs ? "--log_rpcs=true" : "--log_rpcs=false";
}

uint64_t TestCluster::CapacityOf(int index) const {
  return index < static_cast<int>(options_.capacity_bytes.size())
             ? options_.capacity_bytes[index]
             : 0;
}

absl::Status TestCluster::StartChunkserver(int index) {
  std::string rack = absl::StrCat("rp", index + 1);
  chunkserver_pids_[index] = Spawn(
      "sfs-chunkserver",
      {"--listen=" + chunkserver_address(index), "--master=" + master_address(),
       "--data=" + chunkserver_dir(index), "--id=" + rack, "--rack=" + rack,
       "--heartbeat=" + absl::FormatDuration(options_.heartbeat),
       "--scrub_interval=" + absl::FormatDuration(options_.scrub_interval),
       "--write_idle_timeout=" +
           absl::FormatDuration(options_.write_idle_timeout),
       "--ops_listen=" + chunkserver_ops_address(index), LogFormatFlag(),
       "--tls_dir=" + tls_dir(rack), LogRpcsFlag(),
       options_.encrypt_data ? "--encrypt_data=true" : "--encrypt_data=false",
       absl::StrCat("--capacity=", CapacityOf(index))},
      absl::StrCat(dir_, "/", rack, ".log"));
  return chunkserver_pids_[index] > 0
             ? absl::OkStatus()
             : absl::InternalError("cannot start chunkserver");
}

void TestCluster::SignalChunkserver(int index, int signal) {
  kill(chunkserver_pids_[index], signal);
}

void TestCluster::KillChunkserver(int index, int signal) {
  KillAndReap(&chunkserver_pids_[index], signal);
}

absl::Status TestCluster::Start() {
  absl::Status status = StartMaster();
  for (int i = 0; status.ok() && i < options_.chunkservers; ++i)
    status = StartChunkserver(i);
  if (!status.ok()) return status;
  return WaitForAliveChunkservers(options_.chunkservers, absl::Seconds(30));
}

absl::Status TestCluster::WaitForAliveChunkservers(int alive,
                                                   absl::Duration timeout) {
  std::unique_ptr<Client> client = NewClient();
  absl::Time deadline = absl::Now() + timeout;
  int seen = -1;
  while (absl::Now() < deadline) {
    absl::StatusOr<ClusterStatus> status = client->Status();
    if (status.ok()) {
      seen = 0;
      for (const ChunkserverStatus& s : status->chunkservers)
        seen += s.alive ? 1 : 0;
      if (seen == alive) return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("wanted ", alive, " live chunkservers, saw ", seen));
}

std::shared_ptr<grpc::Channel> TestCluster::NewChannel(
    const std::string& address, ClusterRole peer,
    const std::string& identity) const {
  auto credentials = ClusterCredentials::Load(tls_dir(identity));
  EXPECT_TRUE(credentials.ok()) << credentials.status();
  return sfs::NewChannel(address, **credentials, peer);
}

grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel,
                          const std::string& method, const std::string& request,
                          std::string* response) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  grpc::Slice slice(request);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request_buffer,
                 &response_buffer, [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!status.ok()) return status;
  std::vector<grpc::Slice> slices;
  if (!response_buffer.Dump(&slices).ok()) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "unreadable answer");
  }
  response->clear();
  for (const grpc::Slice& s : slices) {
    response->append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return status;
}

proto::BlockToken TestCluster::SignBlockToken(
    uint64_t handle, proto::BlockToken::Mode mode,
    const std::vector<std::string>& chain, absl::Time expires) const {
  auto signer = BlockTokenSigner::OpenKeyFile(dir_ + "/master/block_token.key",
                                              expires - absl::Now());
  EXPECT_TRUE(signer.ok()) << signer.status();
  return signer->Sign(handle, mode, chain, absl::Now());
}

std::unique_ptr<Client> TestCluster::NewClient(
    absl::Duration write_stall_timeout, size_t chunk_cache_bytes) {
  ClientOptions options;
  options.master_address = master_address();
  options.tls_dir = tls_dir("admin");
  options.rpc_timeout = absl::Seconds(20);
  options.stall_timeout = absl::Seconds(2);
  options.write_stall_timeout = write_stall_timeout;
  options.chunk_cache_bytes = chunk_cache_bytes;
  return std::move(*Client::Connect(options));
}

CommandResult TestCluster::RunCli(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {BinDir() + "/sfs",
                                   "--master=" + master_address(),
                                   "--tls_dir=" + tls_dir("admin")};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

void ClusterTestBase::StartCluster(const TestClusterOptions& options) {
  cluster_ = std::make_unique<TestCluster>(options);
  ASSERT_TRUE(cluster_->Start().ok());
  client_ = cluster_->NewClient();
}

void ClusterTestBase::TearDown() {
  client_.reset();
  cluster_.reset();
}

absl::StatusOr<std::string> ReadFileSha(Client* client, const std::string& path,
                                        uint64_t* bytes) {
  auto reader = client->Open(path);
  if (!reader.ok()) return reader.status();
  Sha256 sha;
  std::string buf(1 << 20, '\0');
  uint64_t total = 0;
  while (true) {
    auto n = (*reader)->Read(buf.data(), buf.size());
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    sha.Update(absl::string_view(buf.data(), *n));
    total += *n;
  }
  if (bytes != nullptr) *bytes = total;
  return sha.FinishHex();
}

CommandResult RunCommand(const std::vector<std::string>& argv) {
  char out_tmpl[] = "/tmp/sfs-cmd-out.XXXXXX";
  char err_tmpl[] = "/tmp/sfs-cmd-err.XXXXXX";
  int out_fd = mkstemp(out_tmpl);
  int err_fd = mkstemp(err_tmpl);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, STDIN_FILENO);
    ExecOrExit(argv);
  }
  CommandResult result;
  int wstatus = 0;
  struct rusage usage {};
  wait4(pid, &wstatus, 0, &usage);
  result.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  result.peak_rss_kib = usage.ru_maxrss;
  close(out_fd);
  close(err_fd);
  result.out = ReadWholeFile(out_tmpl);
  result.err = ReadWholeFile(err_tmpl);
  unlink(out_tmpl);
  unlink(err_tmpl);
  return result;
}

std::string WriteRandomFile(const std::string& path, uint64_t size,
                            uint64_t seed) {
  std::ofstream out(path, std::ios::binary);
  Sha256 sha;
  std::string piece(1 << 20, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (uint64_t done = 0; done < size;) {
    size_t n = std::min<uint64_t>(piece.size(), size - done);
    for (size_t i = 0; i + 8 <= piece.size(); i += 8) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      memcpy(&piece[i], &x, 8);
    }
    out.write(piece.data(), n);
    sha.Update(absl::string_view(piece.data(), n));
    done += n;
  }
  return sha.FinishHex();
}

std::string Sha256OfFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Sha256 sha;
  std::string piece(1 << 20, '\0');
  while (in) {
    in.read(piece.data(), piece.size());
    sha.Update(absl::string_view(piece.data(), in.gcount()));
  }
  return sha.FinishHex();
}

}  // namespace sfs
