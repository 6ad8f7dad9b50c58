#include "sfs-frontend/server/frontend_services.h"

#include <httplib.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "sfs-frontend/server/http_error.h"

namespace sfs::frontend {

PresentedCredentials Presented(const HttpCall& call) {
  return PresentedCredentials{
      call.req.get_header_value("Authorization"),
      call.req.get_header_value("Cookie"),
      call.req.get_param_value("token"),
  };
}

absl::StatusOr<Identity> Authenticate(const FrontendServices& services,
                                      const HttpCall& call) {
  return services.authenticator->Authenticate(Presented(call), absl::Now());
}

absl::StatusOr<SignedGrant> RedeemSignature(const FrontendServices& services,
                                            const HttpCall& call,
                                            const std::string& ns,
                                            const std::string& path,
                                            SignedGrant::Action action) {
  ASSIGN_OR_RETURN(
      SignedGrant grant,
      services.files->Redeem(call.req.get_param_value("signature")));
  if (grant.action != action || grant.ns != ns || grant.path != path) {
    return absl::PermissionDeniedError(
        action == SignedGrant::Action::kRead
            ? "this signed URL is not for downloading this file"
            : "this signed URL is not for uploading to this path");
  }
  return grant;
}

absl::StatusOr<uint64_t> RequestedVersion(const HttpCall& call) {
  if (!call.req.has_param("version")) return 0;
  uint64_t version = 0;
  if (!absl::SimpleAtoi(call.req.get_param_value("version"), &version) ||
      version == 0) {
    return absl::InvalidArgumentError("version must be a positive number");
  }
  return version;
}

absl::StatusOr<std::string> TransferKey(const std::string& user,
                                        const HttpCall& call) {
  ASSIGN_OR_RETURN(const std::string id, RequestedTransferId(call));
  if (id.empty()) return id;
  return absl::StrCat(user.empty() ? "@" + call.req.remote_addr : user, "/",
                      id);
}

absl::StatusOr<std::string> RequestedTransferId(const HttpCall& call) {
  constexpr size_t kMaxTransferId = 128;
  std::string id = call.req.get_header_value("X-Transfer-Id");
  if (id.empty()) id = call.req.get_param_value("id");
  const bool valid = id.size() <= kMaxTransferId &&
                     std::all_of(id.begin(), id.end(), [](char c) {
                       return absl::ascii_isalnum(c) || c == '.' || c == '_' ||
                              c == ':' || c == '-';
                     });
  if (!valid) {
    return absl::InvalidArgumentError(
        absl::StrCat("a transfer id is 1 to ", kMaxTransferId,
                     " letters, digits and ._:- characters"));
  }
  return id;
}

absl::StatusOr<std::string> ReadSmallBody(const HttpCall& call,
                                          size_t max_bytes) {
  if (call.body == nullptr) return call.req.body;
  std::string body;
  bool too_large = false;
  (*call.body)([&](const char* data, size_t n) {
    if (body.size() + n > max_bytes) {
      too_large = true;
      return false;
    }
    body.append(data, n);
    return true;
  });
  if (too_large) {
    return PayloadTooLargeError(
        absl::StrCat("request body exceeds ", max_bytes, " bytes"));
  }
  return body;
}

absl::StatusOr<nlohmann::json> ReadJsonObject(const HttpCall& call) {
  ASSIGN_OR_RETURN(std::string text, ReadSmallBody(call));
  nlohmann::json body =
      nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) {
    return absl::InvalidArgumentError("body must be a JSON object");
  }
  return body;
}

int64_t UnixSeconds(int64_t unix_micros) {
  return absl::ToUnixSeconds(absl::FromUnixMicros(unix_micros));
}

void WriteJson(const HttpCall& call, int status, const std::string& json) {
  call.res.status = status;
  call.res.set_content(json, "application/json");
}

}  // namespace sfs::frontend
