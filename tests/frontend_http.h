// HTTP helpers shared by the sfs-frontend suites: deterministic file content
// streamed without holding it in memory, upload/download/progress clients,
// and test JWTs.
#ifndef SFS_TESTS_FRONTEND_HTTP_H_
#define SFS_TESTS_FRONTEND_HTTP_H_

#include <httplib.h>

#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace sfs {

inline constexpr uint64_t kMiB = 1 << 20;
// The HS256 secret test frontends are started with.
inline constexpr char kTestJwtSecret[] =
    "test-secret-test-secret-test-secret-0123";

// Writes kTestJwtSecret to `path`.
void WriteTestJwtSecret(const std::string& path);
// A JWT for `user` signed with kTestJwtSecret, expiring after `ttl`.
std::string TestJwt(const std::string& user, bool admin = false,
                    absl::Duration ttl = absl::Hours(1));
httplib::Headers Bearer(const std::string& token);

// Bytes [offset, offset + n) of the endless pseudo-random stream `seed`.
std::string Pattern(uint64_t seed, uint64_t offset, uint64_t n);
// SHA-256 hex of the first `size` bytes of stream `seed`.
std::string PatternSha256(uint64_t seed, uint64_t size);

// Uploads `size` bytes of stream `seed` to `path` as a raw body or as the
// "file" part of a multipart body, generated while sending.
httplib::Result UploadPattern(httplib::Client& client, const std::string& path,
                              const std::string& token, uint64_t seed,
                              uint64_t size, bool multipart,
                              httplib::Headers headers = {});

// SHA-256 hex of the body GET `path` returns ("failed" unless 200), hashed
// as it arrives; its length goes to `*size`.
std::string DownloadSha256(httplib::Client& client, const std::string& path,
                           const std::string& token, uint64_t* size);

// The `data:` payloads of /sse/progress?id=`id`, watched with `token` (the
// credentials the transfer was made with; empty: anonymous), until the
// stream ends; `on_open`, if set, runs once the stream has opened.
std::vector<std::string> WatchProgress(
    int port, const std::string& id, const std::string& token,
    const std::function<void()>& on_open = nullptr);
// The same for the stream at `target` (a watch token's url, say).
std::vector<std::string> WatchProgressAt(
    int port, const std::string& target, const std::string& token,
    const std::function<void()>& on_open = nullptr);

// Watches a transfer on a thread of its own. The constructor returns once
// the stream is open, so a transfer started after it is seen from its
// first event.
class ProgressWatch {
 public:
  ProgressWatch(int port, const std::string& id, const std::string& token);
  ~ProgressWatch();
  // Waits for the stream to end; its `data:` payloads.
  std::vector<std::string> Events();

 private:
  absl::Notification opened_;
  std::vector<std::string> events_;
  std::thread thread_;
};

// Asserts `events` (WatchProgress output) describe one successful upload of
// `size` bytes as the original service's clients expect: at least
// `min_events` events with monotonic bytes and the right total, the last
// progress event before done counting every byte, exactly one final done.
void ExpectCompleteUploadProgress(const std::vector<std::string>& events,
                                  uint64_t size, size_t min_events = 3);

}  // namespace sfs

#endif  // SFS_TESTS_FRONTEND_HTTP_H_
