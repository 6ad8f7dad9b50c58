#include "sfs-frontend/catalog/names.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace sfs::frontend {
namespace {

constexpr size_t kMaxNameLength = 63;
constexpr size_t kMaxSigningKeyIdLength = 64;
constexpr size_t kMaxSingleUseIdLength = 128;

constexpr std::array<absl::string_view, 12> kReservedRouteWords = {
    "namespaces", "files",   "download", "upload", "delete", "status",
    "sign",       "uploads", "versions", "copy",   "move",   "v1"};

// Checks length (1 to `max_length`) and alphabet: alphanumerics plus the
// characters in `extra`.
absl::Status ValidateToken(absl::string_view what, absl::string_view value,
                           size_t max_length, absl::string_view extra) {
  if (value.empty() || value.size() > max_length) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be 1 to ", max_length, " characters"));
  }
  for (char c : value) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        extra.find(c) == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " may contain only letters, digits and \"", extra, "\""));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateNamespaceName(absl::string_view name) {
  if (absl::Status s =
          ValidateToken("namespace name", name, kMaxNameLength, "._-");
      !s.ok()) {
    return s;
  }
  if (name == "." || name == "..") {
    return absl::InvalidArgumentError("namespace name may not be . or ..");
  }
  for (absl::string_view word : kReservedRouteWords) {
    if (name == word) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", name, "\" is reserved by the HTTP API"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateUsername(absl::string_view username) {
  return ValidateToken("username", username, kMaxNameLength, "_-");
}

absl::Status ValidateSigningKeyId(absl::string_view id) {
  return ValidateToken("signing key id", id, kMaxSigningKeyIdLength, "_-");
}

absl::Status ValidateSingleUseId(absl::string_view id) {
  return ValidateToken("single-use grant id", id, kMaxSingleUseIdLength,
                       "._:-");
}

}  // namespace sfs::frontend
