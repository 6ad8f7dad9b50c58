#include "sfs-frontend/catalog/record_json.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace nlohmann {

// An unset optional is JSON null.
template <typename T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& value) {
    j = value.has_value() ? json(*value) : json(nullptr);
  }
  static void from_json(const json& j, std::optional<T>& value) {
    value = j.is_null() ? std::nullopt : std::optional<T>(j.get<T>());
  }
};

}  // namespace nlohmann

namespace sfs::frontend {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(NamespacePolicies, max_file_bytes,
                                   allowed_mime_types, quota_bytes,
                                   retention_days, keep_versions)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(NamespaceRecord, name, owner_id, visibility,
                                   hidden, created_at, policies)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(UserRecord, username, password_hash,
                                   is_admin, created_at)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ApiTokenRecord, id, username, scopes,
                                   secret_hash, expires_at, created_at)

void to_json(nlohmann::json& j, const SigningKeyRecord& key) {
  j = nlohmann::json{{"id", key.id},
                     {"secret_hex", absl::BytesToHexString(key.secret)},
                     {"created_at", key.created_at}};
}

void from_json(const nlohmann::json& j, SigningKeyRecord& key) {
  j.at("id").get_to(key.id);
  const auto& hex = j.at("secret_hex").get_ref<const std::string&>();
  if (hex.size() % 2 != 0 ||
      !std::all_of(hex.begin(), hex.end(),
                   [](unsigned char c) { return absl::ascii_isxdigit(c); })) {
    throw nlohmann::json::other_error::create(501, "secret_hex is not hex", &j);
  }
  key.secret = absl::HexStringToBytes(hex);
  j.at("created_at").get_to(key.created_at);
}

void to_json(nlohmann::json& j, const AuditEvent& event) {
  j = nlohmann::json{{"at", event.at},           {"actor", event.actor},
                     {"action", event.action},   {"target", event.target},
                     {"outcome", event.outcome}, {"address", event.address}};
}

void from_json(const nlohmann::json& j, AuditEvent& event) {
  j.at("at").get_to(event.at);
  j.at("actor").get_to(event.actor);
  j.at("action").get_to(event.action);
  j.at("target").get_to(event.target);
  j.at("outcome").get_to(event.outcome);
  j.at("address").get_to(event.address);
}

std::string EncodeJson(const AuditEvent& event) {
  return nlohmann::json(event).dump(-1, ' ', false,
                                    nlohmann::json::error_handler_t::replace);
}

std::string EncodeJson(const NamespaceRecord& record) {
  return nlohmann::json(record).dump();
}
std::string EncodeJson(const UserRecord& record) {
  return nlohmann::json(record).dump();
}
std::string EncodeJson(const ApiTokenRecord& record) {
  return nlohmann::json(record).dump();
}
std::string EncodeJson(const SigningKeyRecord& record) {
  return nlohmann::json(record).dump();
}
std::string EncodeJson(const std::vector<std::string>& strings) {
  return nlohmann::json(strings).dump();
}

template <typename T>
absl::StatusOr<T> DecodeJson(absl::string_view json) {
  nlohmann::json parsed =
      nlohmann::json::parse(json.begin(), json.end(), nullptr,
                            /*allow_exceptions=*/false);
  // get<T>() reports missing or mistyped fields by throwing; keep that
  // inside this function.
  try {
    return parsed.get<T>();
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(
        absl::StrCat("undecodable catalog record: ", e.what()));
  }
}

template absl::StatusOr<NamespaceRecord> DecodeJson(absl::string_view);
template absl::StatusOr<UserRecord> DecodeJson(absl::string_view);
template absl::StatusOr<ApiTokenRecord> DecodeJson(absl::string_view);
template absl::StatusOr<SigningKeyRecord> DecodeJson(absl::string_view);
template absl::StatusOr<AuditEvent> DecodeJson(absl::string_view);
template absl::StatusOr<std::vector<std::string>> DecodeJson(absl::string_view);

}  // namespace sfs::frontend
