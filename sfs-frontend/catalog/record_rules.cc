#include "sfs-frontend/catalog/record_rules.h"

#include <cstdint>
#include <optional>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "sfs-frontend/catalog/names.h"

namespace sfs::frontend {
namespace {

constexpr size_t kSha256HexDigits = 64;

template <typename T>
absl::Status CheckNotNegative(const char* what, T value) {
  if (value < 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is negative"));
  }
  return absl::OkStatus();
}

// An absent value is fine.
template <typename T>
absl::Status CheckNotNegative(const char* what, const std::optional<T>& value) {
  return value.has_value() ? CheckNotNegative(what, *value) : absl::OkStatus();
}

bool IsLowerHex(const std::string& text) {
  for (char c : text) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) ||
        absl::ascii_isupper(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// Well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF) without NUL: what PostgreSQL text and JSON strings can hold.
bool IsStorableText(absl::string_view text) {
  static constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  size_t i = 0;
  while (i < text.size()) {
    unsigned char lead = text[i];
    if (lead == 0) return false;
    if (lead < 0x80) {
      ++i;
      continue;
    }
    int length = (lead & 0xE0) == 0xC0   ? 2
                 : (lead & 0xF0) == 0xE0 ? 3
                 : (lead & 0xF8) == 0xF0 ? 4
                                         : 0;
    if (length == 0 || i + length > text.size()) return false;
    uint32_t code_point = lead & (0x7F >> length);
    for (int k = 1; k < length; ++k) {
      unsigned char next = text[i + k];
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    if (code_point < kSmallest[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

absl::Status CheckText(const char* what, absl::string_view text) {
  if (!IsStorableText(text)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is not UTF-8 text without NUL"));
  }
  return absl::OkStatus();
}

absl::Status CheckTexts(const char* what,
                        const std::vector<std::string>& texts) {
  for (const std::string& text : texts) RETURN_IF_ERROR(CheckText(what, text));
  return absl::OkStatus();
}

}  // namespace

bool NamespacePolicies::operator==(const NamespacePolicies& other) const {
  return std::tie(max_file_bytes, allowed_mime_types, quota_bytes,
                  retention_days, keep_versions) ==
         std::tie(other.max_file_bytes, other.allowed_mime_types,
                  other.quota_bytes, other.retention_days, other.keep_versions);
}

bool NamespaceRecord::operator==(const NamespaceRecord& other) const {
  return std::tie(name, owner_id, visibility, hidden, created_at, policies) ==
         std::tie(other.name, other.owner_id, other.visibility, other.hidden,
                  other.created_at, other.policies);
}

bool UserRecord::operator==(const UserRecord& other) const {
  return std::tie(username, password_hash, is_admin, created_at) ==
         std::tie(other.username, other.password_hash, other.is_admin,
                  other.created_at);
}

bool ApiTokenRecord::operator==(const ApiTokenRecord& other) const {
  return std::tie(id, username, scopes, secret_hash, expires_at, created_at) ==
         std::tie(other.id, other.username, other.scopes, other.secret_hash,
                  other.expires_at, other.created_at);
}

bool AuditEvent::operator==(const AuditEvent& other) const {
  return std::tie(at, actor, action, target, outcome, address) ==
         std::tie(other.at, other.actor, other.action, other.target,
                  other.outcome, other.address);
}

absl::Status CheckAuditEvent(const AuditEvent& event) {
  if (event.at < 0) {
    return absl::InvalidArgumentError("audit event time is negative");
  }
  for (const std::string* field : {&event.actor, &event.action, &event.target,
                                   &event.outcome, &event.address}) {
    if (field->size() > kMaxAuditFieldBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "audit event field exceeds ", kMaxAuditFieldBytes, " bytes"));
    }
  }
  return absl::OkStatus();
}

bool SigningKeyRecord::operator==(const SigningKeyRecord& other) const {
  return std::tie(id, secret, created_at) ==
         std::tie(other.id, other.secret, other.created_at);
}

absl::Status CheckNamespaceRecord(const NamespaceRecord& record) {
  RETURN_IF_ERROR(ValidateNamespaceName(record.name));
  if (record.owner_id.empty()) {
    return absl::InvalidArgumentError("namespace has no owner");
  }
  RETURN_IF_ERROR(CheckText("owner_id", record.owner_id));
  if (record.visibility != Visibility::kPrivate &&
      record.visibility != Visibility::kPublic) {
    return absl::InvalidArgumentError("visibility must be 0 or 1");
  }
  const NamespacePolicies& p = record.policies;
  RETURN_IF_ERROR(CheckTexts("allowed MIME type", p.allowed_mime_types));
  RETURN_IF_ERROR(CheckNotNegative("max_file_bytes", p.max_file_bytes));
  RETURN_IF_ERROR(CheckNotNegative("quota_bytes", p.quota_bytes));
  RETURN_IF_ERROR(CheckNotNegative("retention_days", p.retention_days));
  RETURN_IF_ERROR(CheckNotNegative("keep_versions", p.keep_versions));
  return absl::OkStatus();
}

absl::Status CheckUserRecord(const UserRecord& user) {
  RETURN_IF_ERROR(ValidateUsername(user.username));
  if (user.password_hash.empty()) {
    return absl::InvalidArgumentError("user has no password hash");
  }
  RETURN_IF_ERROR(CheckText("password_hash", user.password_hash));
  return absl::OkStatus();
}

absl::Status CheckApiTokenRecord(const ApiTokenRecord& token) {
  if (token.id.empty()) return absl::InvalidArgumentError("token has no id");
  RETURN_IF_ERROR(CheckText("token id", token.id));
  RETURN_IF_ERROR(CheckText("token username", token.username));
  RETURN_IF_ERROR(CheckTexts("scope", token.scopes));
  if (token.secret_hash.size() != kSha256HexDigits ||
      !IsLowerHex(token.secret_hash)) {
    return absl::InvalidArgumentError(
        "secret_hash must be 64 lowercase hex digits");
  }
  return absl::OkStatus();
}

absl::Status CheckSigningKeyRecord(const SigningKeyRecord& key) {
  RETURN_IF_ERROR(ValidateSigningKeyId(key.id));
  if (key.secret.size() < kMinSigningKeySecretBytes ||
      key.secret.size() > kMaxSigningKeySecretBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "signing key secret must be ", kMinSigningKeySecretBytes, " to ",
        kMaxSigningKeySecretBytes, " bytes, not ", key.secret.size()));
  }
  return CheckNotNegative("signing key created_at", key.created_at);
}

absl::Status CheckSingleUseClaim(const std::string& id, int64_t expires_at) {
  RETURN_IF_ERROR(ValidateSingleUseId(id));
  return CheckNotNegative("single-use expires_at", expires_at);
}

absl::Status CheckProgressEvent(const std::string& json_event) {
  if (json_event.size() > kMaxProgressEventBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("progress event of ", json_event.size(), " bytes exceeds ",
                     kMaxProgressEventBytes));
  }
  return CheckText("progress event", json_event);
}

std::string QuotedName(const std::string& kind, const std::string& name) {
  return absl::StrCat(kind, " \"", name, "\"");
}

}  // namespace sfs::frontend
