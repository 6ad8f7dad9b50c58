#include "common/path.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sfs {
namespace {

absl::Status Invalid(absl::string_view why) {
  return absl::InvalidArgumentError(why);
}

// Checks the part of a path after "/<namespace>/"; `allow_partial` permits a
// trailing empty segment (a listing prefix ending in "/").
absl::Status ValidateSegments(absl::string_view rest, bool allow_partial) {
  std::vector<absl::string_view> segments = absl::StrSplit(rest, '/');
  for (size_t i = 0; i < segments.size(); ++i) {
    absl::string_view s = segments[i];
    bool last = i + 1 == segments.size();
    if (s.empty() && !(allow_partial && last)) {
      return Invalid("path has an empty segment");
    }
    if ((s == "." || s == "..") && !(allow_partial && last && s == ".")) {
      return Invalid("path has a '.' or '..' segment");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateCharacters(absl::string_view path) {
  if (path.size() > kMaxPathBytes) {
    return Invalid(
        absl::StrCat("path is longer than ", kMaxPathBytes, " bytes"));
  }
  for (unsigned char c : path) {
    if (c < 0x20 || c == 0x7f) return Invalid("path has a control character");
  }
  if (!IsValidUtf8(path)) return Invalid("path is not valid UTF-8");
  return absl::OkStatus();
}

// Splits "/ns/rest" into ns and rest; rest may be empty when `need_rest` is
// false.
absl::Status SplitNamespace(absl::string_view path, absl::string_view* ns,
                            absl::string_view* rest) {
  if (path.empty() || path[0] != '/')
    return Invalid("path must start with '/'");
  path.remove_prefix(1);
  size_t slash = path.find('/');
  if (slash == absl::string_view::npos) {
    return Invalid("path needs a namespace and a name: /<namespace>/<name>");
  }
  *ns = path.substr(0, slash);
  *rest = path.substr(slash + 1);
  return ValidateNamespaceName(*ns);
}

}  // namespace

absl::Status ValidateNamespaceName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNamespaceBytes) {
    return Invalid("namespace name must be 1 to 63 characters");
  }
  if (name == "." || name == "..")
    return Invalid("namespace may not be '.' or '..'");
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') {
      return Invalid("namespace name may use only A-Z a-z 0-9 . _ -");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateFilePath(absl::string_view path) {
  absl::Status chars = ValidateCharacters(path);
  if (!chars.ok()) return chars;
  absl::string_view ns, rest;
  absl::Status split = SplitNamespace(path, &ns, &rest);
  if (!split.ok()) return split;
  if (rest.empty()) return Invalid("path has no file name after the namespace");
  return ValidateSegments(rest, /*allow_partial=*/false);
}

absl::Status ValidateListPrefix(absl::string_view prefix) {
  absl::Status chars = ValidateCharacters(prefix);
  if (!chars.ok()) return chars;
  absl::string_view ns, rest;
  absl::Status split = SplitNamespace(prefix, &ns, &rest);
  if (!split.ok()) return split;
  if (rest.empty()) return absl::OkStatus();
  return ValidateSegments(rest, /*allow_partial=*/true);
}

bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    uint8_t c = static_cast<uint8_t>(text[i]);
    int extra;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      uint8_t cc = static_cast<uint8_t>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[extra] || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

std::string PercentEncode(absl::string_view text, absl::string_view keep) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || keep.find(c) != absl::string_view::npos) {
      encoded.push_back(static_cast<char>(c));
    } else {
      encoded.push_back('%');
      encoded.push_back(kHex[c >> 4]);
      encoded.push_back(kHex[c & 0xf]);
    }
  }
  return encoded;
}

}  // namespace sfs
