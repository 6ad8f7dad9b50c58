#include "sfs-frontend/files/url_signer.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base64url.h"
#include "common/status_macros.h"
#include "sfs-frontend/auth/crypto.h"
#include "sfs-frontend/server/http_error.h"

namespace sfs::frontend {
namespace {

using Json = nlohmann::json;

// Bound into every signature, so a key could never be made to sign anything
// else that reads as a URL grant.
constexpr absl::string_view kDomain = "sfs-signed-url-v1.";
constexpr size_t kKeyBytes = 32;

absl::Status Denied(absl::string_view why) {
  return absl::PermissionDeniedError(absl::StrCat("invalid signed URL: ", why));
}

std::string Signature(const SigningKeyRecord& key,
                      absl::string_view signed_part) {
  return HmacSha256(key.secret, absl::StrCat(kDomain, signed_part));
}

const char* ActionCode(SignedGrant::Action action) {
  switch (action) {
    case SignedGrant::Action::kRead:
      return "r";
    case SignedGrant::Action::kUpload:
      return "u";
    case SignedGrant::Action::kWatch:
      return "w";
  }
  return "?";
}

Json ToJson(const SignedGrant& grant) {
  Json json = {{"a", ActionCode(grant.action)},
               {"n", grant.ns},
               {"i", grant.incarnation},
               {"p", grant.path},
               {"e", grant.expires_at}};
  if (grant.version != 0) json["v"] = grant.version;
  if (grant.overwrite) json["o"] = true;
  if (grant.max_bytes) json["m"] = *grant.max_bytes;
  if (!grant.single_use_id.empty()) json["s"] = grant.single_use_id;
  return json;
}

// The grant of a payload whose signature checked (so it was written by
// ToJson), read defensively all the same.
absl::StatusOr<SignedGrant> FromJson(const std::string& text) {
  Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return Denied("payload is not an object");
  try {
    SignedGrant grant;
    const std::string action = json.at("a").get<std::string>();
    bool known = false;
    for (SignedGrant::Action a :
         {SignedGrant::Action::kRead, SignedGrant::Action::kUpload,
          SignedGrant::Action::kWatch}) {
      if (action == ActionCode(a)) {
        grant.action = a;
        known = true;
      }
    }
    if (!known) return Denied("unknown action");
    grant.ns = json.at("n").get<std::string>();
    grant.incarnation = json.at("i").get<int64_t>();
    grant.path = json.at("p").get<std::string>();
    grant.expires_at = json.at("e").get<int64_t>();
    grant.version = json.value("v", uint64_t{0});
    grant.overwrite = json.value("o", false);
    if (json.contains("m")) grant.max_bytes = json["m"].get<uint64_t>();
    grant.single_use_id = json.value("s", std::string());
    return grant;
  } catch (const Json::exception&) {
    return Denied("payload is malformed");
  }
}

}  // namespace

bool SignedGrant::operator==(const SignedGrant& other) const {
  return action == other.action && ns == other.ns &&
         incarnation == other.incarnation && path == other.path &&
         version == other.version && expires_at == other.expires_at &&
         overwrite == other.overwrite && max_bytes == other.max_bytes &&
         single_use_id == other.single_use_id;
}

absl::StatusOr<std::vector<SigningKeyRecord>> UrlSigner::Keys(
    absl::string_view want) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  bool stale = now - read_at_ >= options_.key_refresh;
  if (!stale && !want.empty()) {
    bool known = false;
    for (const SigningKeyRecord& key : keys_) known |= key.id == want;
    stale = !known && now - read_at_ >= absl::Seconds(1);
  }
  if (stale) {
    absl::StatusOr<std::vector<SigningKeyRecord>> keys =
        catalog_->ListSigningKeys();
    if (!keys.ok()) {
      return absl::Status(
          keys.status().code(),
          absl::StrCat("reading signing keys: ", keys.status().message()));
    }
    keys_ = std::move(*keys);
    read_at_ = now;
  }
  return keys_;
}

absl::StatusOr<SigningKeyRecord> UrlSigner::AddKey(int64_t newest) {
  SigningKeyRecord key;
  key.id = absl::BytesToHexString(RandomBytes(8));
  key.secret = RandomBytes(kKeyBytes);
  key.created_at =
      std::max<int64_t>(absl::ToUnixMicros(absl::Now()), newest + 1);
  if (absl::Status added = catalog_->AddSigningKey(key); !added.ok()) {
    return absl::Status(
        added.code(), absl::StrCat("adding a signing key: ", added.message()));
  }
  absl::MutexLock lock(&mu_);
  read_at_ = absl::InfinitePast();
  return key;
}

absl::StatusOr<std::string> UrlSigner::Rotate() {
  ASSIGN_OR_RETURN(std::vector<SigningKeyRecord> old, Keys(""));
  ASSIGN_OR_RETURN(SigningKeyRecord key,
                   AddKey(old.empty() ? 0 : old.front().created_at));
  for (const SigningKeyRecord& retired : old) {
    absl::Status deleted = catalog_->DeleteSigningKey(retired.id);
    // Another replica's rotation may have deleted it first.
    if (!deleted.ok() && !absl::IsNotFound(deleted)) return deleted;
  }
  absl::MutexLock lock(&mu_);
  read_at_ = absl::InfinitePast();
  return key.id;
}

absl::StatusOr<std::string> UrlSigner::Sign(const SignedGrant& grant) {
  absl::StatusOr<std::vector<SigningKeyRecord>> keys = Keys("");
  if (!keys.ok()) return keys.status();
  SigningKeyRecord key;
  if (keys->empty()) {
    // Replicas that race here each add one; both keys verify.
    ASSIGN_OR_RETURN(key, AddKey(0));
  } else {
    key = keys->front();
  }
  const std::string signed_part = absl::StrCat(
      key.id, ".", absl::WebSafeBase64Escape(ToJson(grant).dump()));
  return absl::StrCat(signed_part, ".",
                      absl::WebSafeBase64Escape(Signature(key, signed_part)));
}

absl::StatusOr<SignedGrant> UrlSigner::Verify(absl::string_view token,
                                              absl::Time now) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3 || parts[0].empty()) return Denied("malformed");
  std::string signature;
  std::string payload;
  if (!DecodeCanonicalBase64Url(parts[2], &signature) ||
      !DecodeCanonicalBase64Url(parts[1], &payload)) {
    return Denied("malformed");
  }
  absl::StatusOr<std::vector<SigningKeyRecord>> keys = Keys(parts[0]);
  if (!keys.ok()) return keys.status();
  const SigningKeyRecord* key = nullptr;
  for (const SigningKeyRecord& candidate : *keys) {
    if (candidate.id == parts[0]) key = &candidate;
  }
  if (key == nullptr) return Denied("signed with an unknown or retired key");
  const absl::string_view signed_part =
      token.substr(0, parts[0].size() + 1 + parts[1].size());
  if (!ConstantTimeEquals(Signature(*key, signed_part), signature)) {
    return Denied("signature does not match");
  }
  absl::StatusOr<SignedGrant> grant = FromJson(payload);
  if (!grant.ok()) return grant.status();
  if (absl::ToUnixSeconds(now) >= grant->expires_at) return Denied("expired");
  return grant;
}

absl::StatusOr<std::unique_ptr<SingleUseClaim>> SingleUseClaim::Claim(
    Catalog* catalog, const SignedGrant& grant) {
  absl::Status claimed = catalog->ClaimSingleUse(
      grant.single_use_id,
      absl::ToUnixMicros(absl::FromUnixSeconds(grant.expires_at)),
      absl::ToUnixMicros(absl::Now()));
  if (absl::IsAlreadyExists(claimed)) {
    return WithHttpStatus(
        absl::AlreadyExistsError("this upload link has already been used"), 409,
        "already_used");
  }
  if (!claimed.ok()) return claimed;
  return std::unique_ptr<SingleUseClaim>(
      new SingleUseClaim(catalog, grant.single_use_id));
}

SingleUseClaim::~SingleUseClaim() {
  if (kept_) return;
  // Best effort: a claim that cannot be given back only costs the link.
  catalog_->ReleaseSingleUse(id_).IgnoreError();
}

}  // namespace sfs::frontend
