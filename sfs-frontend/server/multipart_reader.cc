#include "sfs-frontend/server/multipart_reader.h"

#include <httplib.h>

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace sfs::frontend {
namespace {

constexpr char kCrlf[] = "\r\n";
constexpr size_t kCrlfBytes = 2;

// The value of parameter `name` in a header value's "; k=v" list (quotes
// removed, backslash escapes undone), or nullopt.
std::optional<std::string> Parameter(absl::string_view value,
                                     absl::string_view name) {
  std::vector<absl::string_view> parts = absl::StrSplit(value, ';');
  for (size_t i = 1; i < parts.size(); ++i) {
    absl::string_view p = absl::StripAsciiWhitespace(parts[i]);
    const size_t eq = p.find('=');
    if (eq == absl::string_view::npos) continue;
    if (!absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(p.substr(0, eq)),
                                name)) {
      continue;
    }
    absl::string_view v = absl::StripAsciiWhitespace(p.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
      v = v.substr(1, v.size() - 2);
      std::string out;
      for (size_t j = 0; j < v.size(); ++j) {
        if (v[j] == '\\' && j + 1 < v.size()) ++j;
        out += v[j];
      }
      return out;
    }
    return std::string(v);
  }
  return std::nullopt;
}

bool IsMultipartFormData(absl::string_view content_type) {
  return absl::StartsWithIgnoreCase(
      absl::StripLeadingAsciiWhitespace(content_type), "multipart/form-data");
}

}  // namespace

absl::StatusOr<MultipartReader> MultipartReader::Create(
    absl::string_view content_type, PartStart on_part, PartData on_data) {
  if (!IsMultipartFormData(content_type)) {
    return absl::InvalidArgumentError("body is not multipart/form-data");
  }
  // The semicolons of a quoted boundary would split it: RFC 2046 allows no
  // ';' in one, so a simple split is exact.
  std::optional<std::string> boundary = Parameter(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 70) {
    return absl::InvalidArgumentError(
        "multipart/form-data needs a boundary of 1 to 70 characters");
  }
  return MultipartReader(*boundary, std::move(on_part), std::move(on_data));
}

MultipartReader::MultipartReader(std::string boundary, PartStart on_part,
                                 PartData on_data)
    : delimiter_(absl::StrCat(kCrlf, "--", boundary)),
      on_part_(std::move(on_part)),
      on_data_(std::move(on_data)) {}

bool MultipartReader::Fail(std::string why) {
  if (error_.empty()) error_ = std::move(why);
  stopped_ = true;
  return false;
}

bool MultipartReader::Feed(const char* data, size_t n) {
  if (stopped_) return false;
  if (state_ == State::kEpilogue) return true;  // ignored
  buffer_.append(data, n);
  return Parse();
}

bool MultipartReader::Parse() {
  while (true) {
    switch (state_) {
      case State::kPreamble:
      case State::kBody: {
        const size_t at = buffer_.find(delimiter_);
        // Everything before a delimiter, or all but a tail that could be
        // the start of one, is body (or preamble, dropped).
        const size_t safe = at != std::string::npos
                                ? at
                                : (buffer_.size() >= delimiter_.size()
                                       ? buffer_.size() - delimiter_.size() + 1
                                       : 0);
        if (state_ == State::kBody && safe > 0 &&
            !on_data_(buffer_.data(), safe)) {
          return Fail("stopped by the reader of a part");
        }
        buffer_.erase(0,
                      at != std::string::npos ? at + delimiter_.size() : safe);
        if (at == std::string::npos) return true;
        state_ = State::kAfterBoundary;
        break;
      }
      case State::kAfterBoundary: {
        if (buffer_.size() < 2) return true;
        if (absl::StartsWith(buffer_, "--")) {
          state_ = State::kEpilogue;
          buffer_.clear();
          return true;
        }
        // Transport padding (spaces and tabs), then CRLF.
        const size_t end = buffer_.find(kCrlf);
        if (end == std::string::npos) {
          if (buffer_.size() > 1024) return Fail("malformed boundary line");
          return true;
        }
        if (!absl::StripAsciiWhitespace(buffer_.substr(0, end)).empty()) {
          return Fail("malformed boundary line");
        }
        buffer_.erase(0, end + kCrlfBytes);
        state_ = State::kHeaders;
        break;
      }
      case State::kHeaders: {
        // A part with no headers at all starts with the blank line.
        const size_t end =
            absl::StartsWith(buffer_, kCrlf) ? 0 : buffer_.find("\r\n\r\n");
        if (end == std::string::npos) {
          if (buffer_.size() > kMaxPartHeaderBytes) {
            return Fail(absl::StrCat("part headers exceed ",
                                     kMaxPartHeaderBytes, " bytes"));
          }
          return true;
        }
        if (end > kMaxPartHeaderBytes) {
          return Fail(absl::StrCat("part headers exceed ", kMaxPartHeaderBytes,
                                   " bytes"));
        }
        const std::string block = buffer_.substr(0, end);
        buffer_.erase(0, end == 0 ? kCrlfBytes : end + 4);
        if (!ParseHeaders(block)) return false;
        // The part's body starts here; a delimiter may follow at once.
        state_ = State::kBody;
        break;
      }
      case State::kEpilogue:
        buffer_.clear();
        return true;
    }
  }
}

bool MultipartReader::ParseHeaders(absl::string_view block) {
  PartHeader header;
  bool disposition = false;
  for (absl::string_view line : absl::StrSplit(block, kCrlf)) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) {
      return Fail("malformed part header line");
    }
    absl::string_view name = absl::StripAsciiWhitespace(line.substr(0, colon));
    absl::string_view value =
        absl::StripAsciiWhitespace(line.substr(colon + 1));
    if (absl::EqualsIgnoreCase(name, "Content-Disposition")) {
      if (!absl::StartsWithIgnoreCase(value, "form-data")) {
        return Fail("a part's Content-Disposition is not form-data");
      }
      disposition = true;
      header.name = Parameter(value, "name").value_or("");
      header.filename = Parameter(value, "filename").value_or("");
    } else if (absl::EqualsIgnoreCase(name, "Content-Type")) {
      header.content_type = std::string(value);
    }
  }
  if (!disposition) return Fail("a part has no Content-Disposition");
  if (!on_part_(header)) return Fail("stopped by the reader of a part");
  return true;
}

absl::Status MultipartReader::Finish() const {
  if (!error_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed multipart body: ", error_));
  }
  if (state_ != State::kEpilogue) {
    return absl::InvalidArgumentError(
        "request body ended early or is not well-formed multipart");
  }
  return absl::OkStatus();
}

void SetAsideMultipartType(httplib::Request& req) {
  req.headers.erase(kMultipartTypeHeader);
  const std::string type = req.get_header_value("Content-Type");
  if (!IsMultipartFormData(type)) return;
  req.headers.erase("Content-Type");
  req.headers.emplace("Content-Type", "application/octet-stream");
  req.headers.emplace(kMultipartTypeHeader, type);
}

std::string MultipartType(const httplib::Request& req) {
  return req.get_header_value(kMultipartTypeHeader);
}

}  // namespace sfs::frontend
