#include "sfs-frontend/files/media_type.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
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

bool IsActiveContent(absl::string_view media_type) {
  std::string essence = Essence(media_type);
  return essence == "text/html" || essence == "application/xhtml+xml" ||
         essence == "image/svg+xml" || essence == "text/xml" ||
         essence == "application/xml";
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
