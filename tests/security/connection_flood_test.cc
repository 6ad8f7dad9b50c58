// Attacks on the frontend's connections, from one client address
// (127.0.0.2) against another's transfers (127.0.0.1):
//  - 200 connections held open at once: idle ones, ones sending their
//    headers a byte at a time (slowloris), and progress streams, reopened
//    as soon as the server closes them. Before the connection layer, 70
//    progress streams alone took every thread and /healthz timed out;
//  - requests built to make the frontend buffer: huge header lines, many
//    headers, thousands of ranges, a huge JSON body, a huge refused body.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
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

// The attacker's address: loopback, but not the victim's.
constexpr char kAttacker[] = "127.0.0.2";

// A TCP connection from `source` to 127.0.0.1:`port`; -1 on failure.
int ConnectFrom(const char* source, int port) {
  int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  inet_pton(AF_INET, source, &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (::bind(sock, reinterpret_cast<sockaddr*>(&from), sizeof(from)) != 0 ||
      ::connect(sock, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    ::close(sock);
    return -1;
  }
  return sock;
}

// Sends `data`, or as much as the peer takes before an error; returns how
// much.
size_t SendAll(int sock, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n =
        ::send(sock, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  return sent;
}

// What the attacker saw, by the status line of each answer.
struct AttackLog {
  std::map<std::string, int> answers;  // "429", "200", "503", ...
  int closed_by_server = 0;
  int opened = 0;
};

// Holds `count` connections of each kind open from kAttacker until `stop`,
// reopening each one the server closes.
class Attacker {
 public:
  enum Kind { kIdle, kSlowHeaders, kProgressStream };

  Attacker(int port, int per_kind) : port_(port) {
    for (Kind kind : {kIdle, kSlowHeaders, kProgressStream}) {
      for (int i = 0; i < per_kind; ++i) conns_.push_back({kind, -1, 0, ""});
    }
    thread_ = std::thread([this] { Run(); });
  }

  // Stops and closes everything; returns what was seen.
  AttackLog Stop() {
    stop_ = true;
    thread_.join();
    for (Conn& c : conns_) {
      if (c.sock >= 0) ::close(c.sock);
    }
    return log_;
  }

 private:
  struct Conn {
    Kind kind;
    int sock;
    size_t slow_sent;
    std::string received;
  };

  static std::string Opening(Kind kind, int n) {
    switch (kind) {
      case kIdle:
        return "";
      case kSlowHeaders:
        return "GET /healthz HTTP/1.1\r\n";
      case kProgressStream:
        return absl::StrCat("GET /sse/progress?id=attack-", n,
                            " HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    return "";
  }

  void Open(Conn& c, int n) {
    c.sock = ConnectFrom(kAttacker, port_);
    c.slow_sent = 0;
    c.received.clear();
    if (c.sock < 0) return;
    ++log_.opened;
    SendAll(c.sock, Opening(c.kind, n));
  }

  // Records the status of an answer that starts in `c.received`.
  void NoteAnswer(Conn& c) {
    if (absl::StartsWith(c.received, "HTTP/1.1 ") && c.received.size() >= 12) {
      ++log_.answers[c.received.substr(9, 3)];
      c.received = "(counted)";
    }
  }

  void Run() {
    std::vector<pollfd> fds;
    absl::Time next_drip = absl::Now();
    while (!stop_) {
      for (size_t i = 0; i < conns_.size(); ++i) {
        if (conns_[i].sock < 0) Open(conns_[i], static_cast<int>(i));
      }
      // Slow headers: one more header byte every 200 ms, never the end.
      if (absl::Now() >= next_drip) {
        next_drip = absl::Now() + absl::Milliseconds(200);
        for (Conn& c : conns_) {
          if (c.kind == kSlowHeaders && c.sock >= 0) {
            SendAll(c.sock, c.slow_sent++ % 2 == 0 ? "X" : "-");
          }
        }
      }
      fds.clear();
      for (Conn& c : conns_) fds.push_back({c.sock, POLLIN, 0});
      ::poll(fds.data(), fds.size(), 50);
      for (size_t i = 0; i < conns_.size(); ++i) {
        Conn& c = conns_[i];
        if (c.sock < 0 || fds[i].revents == 0) continue;
        char buffer[4096];
        ssize_t n = ::recv(c.sock, buffer, sizeof(buffer), MSG_DONTWAIT);
        if (n > 0) {
          if (c.received != "(counted)") {
            c.received.append(buffer, static_cast<size_t>(n));
            NoteAnswer(c);
          }
          continue;
        }
        ++log_.closed_by_server;
        ::close(c.sock);
        c.sock = -1;
      }
    }
  }

  const int port_;
  std::vector<Conn> conns_;
  std::atomic<bool> stop_{false};
  AttackLog log_;
  std::thread thread_;
};

// The value of the sample named exactly `series` in a /metrics text; -1
// when it is absent.
double Sample(const std::string& metrics, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(metrics, '\n')) {
    if (absl::ConsumePrefix(&line, series) && absl::ConsumePrefix(&line, " ")) {
      double value = 0;
      if (absl::SimpleAtod(line, &value)) return value;
    }
  }
  return -1;
}

class ConnectionFloodTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cluster_.Start().ok());
    // The review's setting: 64 threads, which 70 progress streams took.
    server_ = std::make_unique<FrontendServer>(
        TestFrontendOptions(cluster_, "frontend", "",
                            {"--threads=64", "--max_connections_per_client=32",
                             "--head_timeout=2s"}));
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_EQ(CreateTestNamespace(*server_, "victim"), 201);
  }

  TestCluster cluster_;
  std::unique_ptr<FrontendServer> server_;
};

TEST_F(ConnectionFloodTest, OneClientCannotStarveAnother) {
  Attacker attacker(server_->port(), /*per_kind=*/67);
  // Let the flood fill whatever it can before the victim starts.
  absl::SleepFor(absl::Seconds(1));

  const std::string alice = TestJwt("alice");
  constexpr uint64_t kSize = 100 * kMiB;
  auto client = server_->NewClient();
  auto health = client->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto uploaded =
      UploadPattern(*client, "/storage/victim/big.bin", alice, 7, kSize, false);
  ASSERT_TRUE(uploaded);
  EXPECT_EQ(uploaded->status, 201) << uploaded->body;
  uint64_t size = 0;
  EXPECT_EQ(DownloadSha256(*client, "/storage/victim/big.bin", alice, &size),
            PatternSha256(7, kSize));
  EXPECT_EQ(size, kSize);
  health = server_->NewClient()->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);

  const AttackLog log = attacker.Stop();
  // The caps answered: the attacker's 33rd connection got a 429, its 9th
  // progress stream too, and the slow heads were cut.
  EXPECT_GT(log.answers.count("429") ? log.answers.at("429") : 0, 0);
  EXPECT_GT(log.closed_by_server, 200);
  EXPECT_EQ(log.answers.count("503"), 0u) << "the server itself was full";
  // And the operators see it.
  auto metrics = server_->NewClient()->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_GT(
      Sample(metrics->body,
             R"(sfs_frontend_connections_refused_total{reason="per_client"})"),
      0);
  EXPECT_EQ(Sample(metrics->body,
                   R"(sfs_frontend_connections_refused_total{reason="full"})"),
            0);
}

// A head sent a byte at a time is cut at --head_timeout, long before it
// would end, however steadily it arrives.
TEST_F(ConnectionFloodTest, SlowHeadersAreCut) {
  int sock = ConnectFrom(kAttacker, server_->port());
  ASSERT_GE(sock, 0);
  SendAll(sock, "GET /healthz HTTP/1.1\r\n");
  // 300 header bytes at one per 100 ms would take 30 s.
  bool cut = false;
  for (int i = 0; i < 300 && !cut; ++i) {
    SendAll(sock, "X");
    pollfd fd{sock, POLLIN, 0};
    // Readable: an answer or the close, either way not waited out.
    cut = ::poll(&fd, 1, 100) > 0;
  }
  ::close(sock);
  EXPECT_TRUE(cut) << "a 30 s head was read to its end";
}

// Reads from `sock` until `n` bytes or the server's close or a 10 s pause.
std::string ReadUpTo(int sock, size_t n) {
  std::string got;
  char buffer[4096];
  while (got.size() < n) {
    pollfd fd{sock, POLLIN, 0};
    if (::poll(&fd, 1, 10000) <= 0) break;
    ssize_t r =
        ::recv(sock, buffer, std::min(sizeof(buffer), n - got.size()), 0);
    if (r <= 0) break;
    got.append(buffer, static_cast<size_t>(r));
  }
  return got;
}

// "Expect: 100-continue" is answered with 100 only once the upload is
// authorized; a stranger gets the refusal instead and is never asked for
// the 100 MiB body announced.
TEST_F(ConnectionFloodTest, ContinueOnlyAfterAuthorization) {
  auto head = [](const std::string& credentials, uint64_t length) {
    return absl::StrCat(
        "PUT /storage/victim/expect.bin HTTP/1.1\r\nHost: x\r\n", credentials,
        "Content-Type: application/octet-stream\r\n",
        "Content-Length: ", length, "\r\nExpect: 100-continue\r\n\r\n");
  };
  int stranger = ConnectFrom(kAttacker, server_->port());
  ASSERT_GE(stranger, 0);
  SendAll(stranger, head("", 100 * kMiB));
  const std::string refused = ReadUpTo(stranger, 12);
  EXPECT_EQ(refused, "HTTP/1.1 401") << "not asked for the body first";
  ::close(stranger);

  int owner = ConnectFrom(kAttacker, server_->port());
  ASSERT_GE(owner, 0);
  SendAll(owner,
          head(absl::StrCat("Authorization: Bearer ", TestJwt("alice"), "\r\n"),
               5));
  const std::string go_on = "HTTP/1.1 100 Continue\r\n\r\n";
  EXPECT_EQ(ReadUpTo(owner, go_on.size()), go_on);
  SendAll(owner, "hello");
  EXPECT_EQ(ReadUpTo(owner, 12), "HTTP/1.1 201");
  ::close(owner);
}

// A client that sends its whole body before it reads (Python's http.client
// does, and it sends no Expect) still gets the answer to an upload refused
// before its body was read: the server drains the body while the answer
// waits, where closing at once would reset the connection and lose it.
TEST_F(ConnectionFloodTest, AnUploadRefusedUnreadIsAnsweredAfterItsWholeBody) {
  constexpr uint64_t kSize = 16 * kMiB;
  int sock = ConnectFrom(kAttacker, server_->port());
  ASSERT_GE(sock, 0);
  SendAll(sock, absl::StrCat("PUT /storage/victim/refused.bin HTTP/1.1\r\n"
                             "Host: x\r\nContent-Length: ",
                             kSize, "\r\n\r\n"));
  const std::string chunk(kMiB, 'a');
  uint64_t sent = 0;
  for (uint64_t i = 0; i < kSize / kMiB; ++i) sent += SendAll(sock, chunk);
  EXPECT_EQ(sent, kSize) << "the server reset the connection";
  EXPECT_EQ(ReadUpTo(sock, 12), "HTTP/1.1 401");
  ::close(sock);
}

// The bytes of the answer to `request` sent on a new connection, up to the
// server's close (or 64 KiB).
std::string Exchange(int port, const std::string& request) {
  int sock = ConnectFrom(kAttacker, port);
  if (sock < 0) return "";
  SendAll(sock, request);
  std::string answer;
  char buffer[4096];
  while (answer.size() < (64 << 10)) {
    pollfd fd{sock, POLLIN, 0};
    if (::poll(&fd, 1, 10000) <= 0) break;
    ssize_t n = ::recv(sock, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    answer.append(buffer, static_cast<size_t>(n));
  }
  ::close(sock);
  return answer;
}

// Requests built to make the frontend buffer, eight of each at once: the
// frontend's peak RSS stays under 256 MiB (an idle one is near 40 MiB).
TEST_F(ConnectionFloodTest, BufferingAttacksHaveBoundedMemory) {
  const std::string alice = TestJwt("alice");
  const std::string huge_line = absl::StrCat(
      "GET /healthz HTTP/1.1\r\nX-Big: ", std::string(1 << 20, 'a'),
      "\r\n\r\n");
  std::string many = "GET /healthz HTTP/1.1\r\n";
  for (int i = 0; i < 20000; ++i) absl::StrAppend(&many, "X-", i, ": y\r\n");
  many += "\r\n";
  const std::string many_headers = many;
  std::string ranges = "bytes=0-0";
  // As many as fit in httplib's 8 KiB header line.
  for (int i = 1; i < 900; ++i) absl::StrAppend(&ranges, ",", i, "-", i);
  const std::string many_ranges =
      absl::StrCat("GET /storage/namespaces HTTP/1.1\r\nAuthorization: Bearer ",
                   alice, "\r\nRange: ", ranges, "\r\n\r\n");
  // 64 MiB of JSON announced and sent to a route that reads small bodies.
  const std::string json_head = absl::StrCat(
      "POST /storage/namespaces HTTP/1.1\r\nAuthorization: Bearer ", alice,
      "\r\nContent-Type: application/json\r\nContent-Length: ", 64 * kMiB,
      "\r\n\r\n{\"name\":\"");

  std::vector<std::thread> threads;
  std::atomic<int> refused_heads{0};
  std::atomic<int> whole_json{0};
  std::atomic<int> refused_bodies{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (const std::string* head : {&huge_line, &many_headers}) {
        const std::string answer = Exchange(server_->port(), *head);
        // A 400 or a plain close, never a 200 after buffering it all.
        if (!absl::StartsWith(answer, "HTTP/1.1 200")) ++refused_heads;
      }
      const std::string answer = Exchange(server_->port(), many_ranges);
      // One whole JSON answer, not a multi-range one built in memory.
      if (absl::StartsWith(answer, "HTTP/1.1 200") &&
          absl::StrContains(answer, "Content-Type: application/json")) {
        ++whole_json;
      }
      int sock = ConnectFrom(kAttacker, server_->port());
      SendAll(sock, json_head);
      const std::string chunk(1 << 20, 'a');
      for (int i = 0; i < 64; ++i) SendAll(sock, chunk);
      char buffer[256] = {};
      pollfd fd{sock, POLLIN, 0};
      if (::poll(&fd, 1, 10000) > 0 &&
          ::recv(sock, buffer, sizeof(buffer) - 1, 0) > 0 &&
          absl::StartsWith(buffer, "HTTP/1.1 413")) {
        ++refused_bodies;
      }
      ::close(sock);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(refused_heads, 16);
  EXPECT_EQ(whole_json, 8);
  EXPECT_EQ(refused_bodies, 8);
  EXPECT_LT(server_->PeakRssKib(), 256 * 1024);
}

}  // namespace
}  // namespace sfs
