#include "tests/frontend_http.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/checksum.h"
#include "gtest/gtest.h"
#include "sfs-frontend/auth/jwt.h"

namespace sfs {

using nlohmann::json;

void WriteTestJwtSecret(const std::string& path) {
  std::ofstream(path) << kTestJwtSecret << "\n";
}

std::string TestJwt(const std::string& user, bool admin, absl::Duration ttl) {
  frontend::JwtClaims claims;
  claims.subject = user;
  claims.is_admin = admin;
  claims.expires_at = absl::ToUnixSeconds(absl::Now() + ttl);
  return *frontend::MintHs256Jwt(claims, kTestJwtSecret, absl::Now());
}

httplib::Headers Bearer(const std::string& token) {
  if (token.empty()) return {};
  return {{"Authorization", "Bearer " + token}};
}

std::string Pattern(uint64_t seed, uint64_t offset, uint64_t n) {
  std::string out(n, '\0');
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t at = offset + i;
    uint64_t x = (at / 8 + 1) * 0x9E3779B97F4A7C15ull ^ seed;
    out[i] = static_cast<char>(x >> ((at % 8) * 8));
  }
  return out;
}

std::string PatternSha256(uint64_t seed, uint64_t size) {
  Sha256 sha;
  for (uint64_t at = 0; at < size; at += kMiB) {
    sha.Update(Pattern(seed, at, std::min(kMiB, size - at)));
  }
  return sha.FinishHex();
}

httplib::Result UploadPattern(httplib::Client& client, const std::string& path,
                              const std::string& token, uint64_t seed,
                              uint64_t size, bool multipart,
                              httplib::Headers headers) {
  headers.emplace("Authorization", "Bearer " + token);
  const std::string boundary = "sfs-test-boundary-7d3f";
  const std::string head =
      multipart ? absl::StrCat("--", boundary,
                               "\r\nContent-Disposition: form-data; "
                               "name=\"file\"; filename=\"f.bin\"\r\n"
                               "Content-Type: application/octet-stream\r\n\r\n")
                : "";
  const std::string tail =
      multipart ? absl::StrCat("\r\n--", boundary, "--\r\n") : "";
  const uint64_t total = head.size() + size + tail.size();
  return client.Post(
      path, headers, total,
      [=](size_t offset, size_t length, httplib::DataSink& sink) {
        std::string piece;
        if (offset < head.size()) {
          piece = head.substr(offset);
        } else if (offset < head.size() + size) {
          uint64_t at = offset - head.size();
          piece = Pattern(seed, at, std::min<uint64_t>(kMiB, size - at));
        } else {
          piece = tail.substr(offset - head.size() - size);
        }
        return sink.write(piece.data(), piece.size());
      },
      multipart ? "multipart/form-data; boundary=" + boundary
                : "application/octet-stream");
}

std::string DownloadSha256(httplib::Client& client, const std::string& path,
                           const std::string& token, uint64_t* size) {
  Sha256 sha;
  *size = 0;
  auto res = client.Get(path, Bearer(token), [&](const char* data, size_t n) {
    sha.Update(absl::string_view(data, n));
    *size += n;
    return true;
  });
  return res && res->status == 200 ? sha.FinishHex() : "failed";
}

std::vector<std::string> WatchProgress(int port, const std::string& id,
                                       const std::string& token,
                                       const std::function<void()>& on_open) {
  return WatchProgressAt(port, "/sse/progress?id=" + id, token, on_open);
}

std::vector<std::string> WatchProgressAt(int port, const std::string& target,
                                         const std::string& token,
                                         const std::function<void()>& on_open) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(60, 0);
  std::string buffer;
  std::vector<std::string> events;
  bool opened = false;
  httplib::Headers headers;
  if (!token.empty()) headers = Bearer(token);
  client.Get(target, headers, [&](const char* data, size_t n) {
    if (!opened && on_open) on_open();
    opened = true;
    buffer.append(data, n);
    size_t end;
    while ((end = buffer.find("\n\n")) != std::string::npos) {
      std::string frame = buffer.substr(0, end);
      buffer.erase(0, end + 2);
      if (frame.rfind("data: ", 0) == 0) {
        events.push_back(frame.substr(6));
      }
    }
    return true;
  });
  return events;
}

ProgressWatch::ProgressWatch(int port, const std::string& id,
                             const std::string& token) {
  thread_ = std::thread([this, port, id, token] {
    events_ = WatchProgress(port, id, token, [this] { opened_.Notify(); });
    // A stream that never opened still releases the constructor.
    if (!opened_.HasBeenNotified()) opened_.Notify();
  });
  opened_.WaitForNotification();
}

ProgressWatch::~ProgressWatch() {
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> ProgressWatch::Events() {
  if (thread_.joinable()) thread_.join();
  return events_;
}

void ExpectCompleteUploadProgress(const std::vector<std::string>& events,
                                  uint64_t size, size_t min_events) {
  ASSERT_GE(events.size(), std::max<size_t>(min_events, 2));
  std::vector<json> parsed;
  for (const std::string& e : events) parsed.push_back(json::parse(e));
  uint64_t last = 0;
  int done = 0;
  for (const json& e : parsed) {
    EXPECT_EQ(e["direction"], "upload");
    EXPECT_GE(e["bytes"].get<uint64_t>(), last);
    last = e["bytes"];
    EXPECT_EQ(e["total"], size);
    done += e["done"].get<bool>() ? 1 : 0;
  }
  EXPECT_EQ(done, 1);
  EXPECT_TRUE(parsed.back()["done"].get<bool>());
  EXPECT_EQ(parsed.back()["bytes"], size);
  EXPECT_FALSE(parsed.back().contains("error"));
  // Clients hide the bar on done: the count is complete before it.
  const json& before_done = parsed[parsed.size() - 2];
  EXPECT_FALSE(before_done["done"].get<bool>());
  EXPECT_EQ(before_done["bytes"], size);
}

}  // namespace sfs
