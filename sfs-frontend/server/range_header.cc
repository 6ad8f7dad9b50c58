#include "sfs-frontend/server/range_header.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace sfs::frontend {
namespace {

// Digits only: SimpleAtoi would also accept signs and spaces.
std::optional<uint64_t> ParseDigits(absl::string_view text) {
  uint64_t value = 0;
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(text, &value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

absl::StatusOr<std::optional<ByteRange>> ResolveRange(absl::string_view header,
                                                      uint64_t size) {
  absl::string_view spec = absl::StripAsciiWhitespace(header);
  if (!absl::ConsumePrefix(&spec, "bytes=")) return std::nullopt;
  if (absl::StrContains(spec, ',')) return std::nullopt;
  size_t dash = spec.find('-');
  if (dash == absl::string_view::npos) return std::nullopt;
  absl::string_view first = absl::StripAsciiWhitespace(spec.substr(0, dash));
  absl::string_view last = absl::StripAsciiWhitespace(spec.substr(dash + 1));
  const absl::Status unsatisfiable = absl::OutOfRangeError(
      absl::StrCat("range ", header, " is outside the ", size, "-byte file"));

  if (first.empty()) {  // suffix: the last N bytes
    std::optional<uint64_t> suffix = ParseDigits(last);
    if (!suffix) return std::nullopt;
    if (*suffix == 0 || size == 0) return unsatisfiable;
    uint64_t length = std::min(*suffix, size);
    return ByteRange{size - length, length};
  }
  std::optional<uint64_t> start = ParseDigits(first);
  if (!start) return std::nullopt;
  uint64_t end = size == 0 ? 0 : size - 1;
  if (!last.empty()) {
    std::optional<uint64_t> parsed_end = ParseDigits(last);
    if (!parsed_end || *parsed_end < *start) return std::nullopt;
    end = std::min(end, *parsed_end);
  }
  if (*start >= size) return unsatisfiable;
  return ByteRange{*start, end - *start + 1};
}

}  // namespace sfs::frontend
