#include "tests/frontend_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "sfs-frontend/catalog/testing/catalog_stores.h"
#include "tests/frontend_http.h"
#include "tests/test_cluster.h"

namespace sfs {

FrontendServer::FrontendServer(FrontendServerOptions options)
    : options_(std::move(options)), port_(FreeLoopbackPort()) {}

FrontendServer::~FrontendServer() { Stop(SIGKILL); }

absl::Status FrontendServer::Start() {
  std::vector<std::string> args = {
      BinDir() + "/sfs-frontend", absl::StrCat("-addr=127.0.0.1:", port_),
      absl::StrCat("-master=", options_.master_address),
      absl::StrCat("--tls_dir=", options_.tls_dir),
      absl::StrCat("--catalog=", options_.catalog)};
  if (!options_.jwt_secret_file.empty()) {
    args.push_back(
        absl::StrCat("--jwt_secret_file=", options_.jwt_secret_file));
  }
  args.insert(args.end(), options_.extra_flags.begin(),
              options_.extra_flags.end());
  pid_ = fork();
  if (pid_ == 0) {
    int fd =
        open(options_.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    ExecOrExit(args);
  }
  httplib::Client client("127.0.0.1", port_);
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    if (auto res = client.Get("/healthz"); res && res->status == 200) {
      return absl::OkStatus();
    }
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError(
          absl::StrCat("sfs-frontend exited; see ", options_.log_path));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError("sfs-frontend did not become healthy");
}

int FrontendServer::Stop(int signal) {
  if (pid_ > 0) kill(pid_, signal);
  return WaitForExit();
}

int FrontendServer::WaitForExit() {
  if (pid_ <= 0) return -1;
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::unique_ptr<httplib::Client> FrontendServer::NewClient() const {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", port_);
  client->set_read_timeout(120, 0);
  client->set_write_timeout(120, 0);
  return client;
}

FrontendServerOptions TestFrontendOptions(
    const TestCluster& cluster, const std::string& name,
    const std::string& catalog, std::vector<std::string> extra_flags) {
  const std::string secret = cluster.dir() + "/jwt.secret";
  WriteTestJwtSecret(secret);
  return {cluster.master_address(),
          cluster.tls_dir("frontend"),
          catalog.empty() ? cluster.dir() + "/" + name + "-catalog" : catalog,
          secret,
          std::move(extra_flags),
          cluster.dir() + "/" + name + ".log"};
}

absl::StatusOr<std::unique_ptr<ReplicaPair>> ReplicaPair::Start(
    const TestClusterOptions& options) {
  ASSIGN_OR_RETURN(std::string database, frontend::NewPostgresDatabase());
  auto pair = std::make_unique<ReplicaPair>();
  pair->cluster = std::make_unique<TestCluster>(options);
  RETURN_IF_ERROR(pair->cluster->Start());
  pair->a = std::make_unique<FrontendServer>(
      TestFrontendOptions(*pair->cluster, "frontend-a", database));
  pair->b = std::make_unique<FrontendServer>(
      TestFrontendOptions(*pair->cluster, "frontend-b", database));
  RETURN_IF_ERROR(pair->a->Start());
  RETURN_IF_ERROR(pair->b->Start());
  return pair;
}

int CreateTestNamespace(const FrontendServer& server, const std::string& name) {
  auto res = server.NewClient()->Post(
      "/storage/namespaces", Bearer(TestJwt("alice")),
      absl::StrCat("{\"name\":\"", name, "\"}"), "application/json");
  return res ? res->status : -1;
}

long FrontendServer::PeakRssKib() const {
  std::ifstream in(absl::StrCat("/proc/", pid_, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, "VmHWM:")) {
      long kib = 0;
      std::string digits(absl::StripAsciiWhitespace(
          absl::StripSuffix(absl::StripAsciiWhitespace(rest), "kB")));
      return absl::SimpleAtoi(digits, &kib) ? kib : -1;
    }
  }
  return -1;
}

}  // namespace sfs
