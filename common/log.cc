#include "common/log.h"

#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace sfs {
namespace {

absl::Mutex log_mu;
std::string* log_name ABSL_GUARDED_BY(log_mu) = new std::string("sfs");
LogFormat log_format ABSL_GUARDED_BY(log_mu) = LogFormat::kText;

thread_local std::string request_id;

// `s` as a JSON string literal: quotes, backslashes and control bytes
// escaped; other bytes (UTF-8 included) as they are.
std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace

void SetLogName(absl::string_view name) {
  absl::MutexLock lock(&log_mu);
  *log_name = std::string(name);
}

void SetLogFormat(LogFormat format) {
  absl::MutexLock lock(&log_mu);
  log_format = format;
}

void LogLine(absl::string_view message) {
  const std::string time = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                            absl::UTCTimeZone());
  std::string line;
  absl::MutexLock lock(&log_mu);
  if (log_format == LogFormat::kJson) {
    line = absl::StrCat("{\"time\":\"", time,
                        "\",\"process\":", JsonString(*log_name));
    if (!request_id.empty()) {
      absl::StrAppend(&line, ",\"request_id\":", JsonString(request_id));
    }
    absl::StrAppend(&line, ",\"message\":", JsonString(message), "}\n");
  } else {
    line = absl::StrCat(time, " ", *log_name, " ");
    if (!request_id.empty()) absl::StrAppend(&line, "[", request_id, "] ");
    absl::StrAppend(&line, message, "\n");
  }
  fputs(line.c_str(), stderr);
}

ScopedRequestId::ScopedRequestId(std::string id)
    : previous_(std::exchange(request_id, std::move(id))) {}

ScopedRequestId::~ScopedRequestId() { request_id = std::move(previous_); }

const std::string& CurrentRequestId() { return request_id; }

}  // namespace sfs
