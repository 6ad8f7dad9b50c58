#include "sfs-frontend/files/media_type.h"

#include <algorithm>
#include <map>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sfs::frontend {
namespace {

// The bare lowercase type, without parameters such as "; charset=utf-8".
std::string Essence(absl::string_view media_type) {
  absl::string_view bare = media_type.substr(0, media_type.find(';'));
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(bare));
}

}  // namespace

std::string MediaTypeForPath(absl::string_view path) {
  static const auto* const kByExtension =
      new std::map<std::string, std::string>{
          {"txt", "text/plain; charset=utf-8"},
          {"md", "text/markdown; charset=utf-8"},
          {"csv", "text/csv; charset=utf-8"},
          {"log", "text/plain; charset=utf-8"},
          {"html", "text/html; charset=utf-8"},
          {"htm", "text/html; charset=utf-8"},
          {"css", "text/css; charset=utf-8"},
          {"js", "text/javascript; charset=utf-8"},
          {"json", "application/json"},
          {"xml", "application/xml"},
          {"svg", "image/svg+xml"},
          {"png", "image/png"},
          {"jpg", "image/jpeg"},
          {"jpeg", "image/jpeg"},
          {"gif", "image/gif"},
          {"webp", "image/webp"},
          {"ico", "image/x-icon"},
          {"pdf", "application/pdf"},
          {"zip", "application/zip"},
          {"gz", "application/gzip"},
          {"tar", "application/x-tar"},
          {"mp3", "audio/mpeg"},
          {"wav", "audio/wav"},
          {"mp4", "video/mp4"},
          {"webm", "video/webm"},
          {"wasm", "application/wasm"},
      };
  absl::string_view name = path.substr(path.rfind('/') + 1);
  size_t dot = name.rfind('.');
  if (dot != absl::string_view::npos) {
    auto it = kByExtension->find(absl::AsciiStrToLower(name.substr(dot + 1)));
    if (it != kByExtension->end()) return it->second;
  }
  return "application/octet-stream";
}

bool IsPassiveInlineType(absl::string_view media_type) {
  const std::string essence = Essence(media_type);
  static const auto* const kRasterImages = new absl::flat_hash_set<std::string>{
      "image/png",  "image/jpeg", "image/gif",    "image/webp",
      "image/avif", "image/bmp",  "image/x-icon", "image/vnd.microsoft.icon"};
  return kRasterImages->contains(essence) || essence == "text/plain" ||
         essence == "application/pdf" || absl::StartsWith(essence, "audio/") ||
         absl::StartsWith(essence, "video/");
}

absl::StatusOr<std::string> CanonicalMediaType(absl::string_view declared) {
  // RFC 9110 token characters.
  auto is_token = [](absl::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
      return absl::ascii_isalnum(c) ||
             absl::string_view("!#$%&'*+-.^_`|~").find(c) !=
                 absl::string_view::npos;
    });
  };
  auto invalid = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("content type \"", absl::CHexEscape(declared),
                     "\" must be one type/subtype with at most a charset"));
  };
  std::vector<absl::string_view> parts = absl::StrSplit(declared, ';');
  std::vector<absl::string_view> essence =
      absl::StrSplit(absl::StripAsciiWhitespace(parts[0]), '/');
  if (essence.size() != 2 || !is_token(essence[0]) || !is_token(essence[1]) ||
      parts.size() > 2) {
    return invalid();
  }
  std::string out =
      absl::AsciiStrToLower(absl::StrCat(essence[0], "/", essence[1]));
  if (parts.size() == 2) {
    std::vector<absl::string_view> parameter =
        absl::StrSplit(absl::StripAsciiWhitespace(parts[1]), '=');
    if (parameter.size() != 2 ||
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(parameter[0])) !=
            "charset") {
      return invalid();
    }
    absl::string_view charset = absl::StripAsciiWhitespace(parameter[1]);
    if (charset.size() >= 2 && charset.front() == '"' &&
        charset.back() == '"') {
      charset = charset.substr(1, charset.size() - 2);
    }
    if (!is_token(charset)) return invalid();
    absl::StrAppend(&out, "; charset=", absl::AsciiStrToLower(charset));
  }
  return out;
}

bool MediaTypeAllowed(absl::string_view media_type,
                      const std::vector<std::string>& allowed) {
  if (allowed.empty()) return true;
  std::string essence = Essence(media_type);
  for (const std::string& pattern : allowed) {
    std::string wanted = Essence(pattern);
    if (wanted == essence || wanted == "*/*") return true;
    if (absl::EndsWith(wanted, "/*") &&
        absl::StartsWith(essence, wanted.substr(0, wanted.size() - 1))) {
      return true;
    }
  }
  return false;
}

}  // namespace sfs::frontend
