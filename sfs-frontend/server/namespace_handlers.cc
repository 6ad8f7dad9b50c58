#include "sfs-frontend/server/namespace_handlers.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "sfs-frontend/server/http_error.h"

namespace sfs::frontend {
namespace {

using nlohmann::json;

template <typename T>
json OptionalJson(const std::optional<T>& value) {
  return value.has_value() ? json(*value) : json(nullptr);
}

json NamespaceJson(const NamespaceView& view) {
  const NamespaceRecord& ns = view.record;
  const StorageUsage& usage = view.usage;
  return {{"name", ns.name},
          {"count", usage.files},
          {"bytes", usage.bytes},
          {"old_versions", usage.old_versions},
          {"old_version_bytes", usage.old_version_bytes},
          {"visibility", static_cast<int>(ns.visibility)},
          {"hidden", ns.hidden},
          {"owner_id", ns.owner_id},
          {"created_at", UnixSeconds(ns.created_at)},
          {"max_file_bytes", OptionalJson(ns.policies.max_file_bytes)},
          {"allowed_mime_types", ns.policies.allowed_mime_types},
          {"quota_bytes", OptionalJson(ns.policies.quota_bytes)},
          {"retention_days", OptionalJson(ns.policies.retention_days)},
          {"keep_versions", OptionalJson(ns.policies.keep_versions)}};
}

// Reads `key` of `body` into `out` if present: null clears it, a value of
// the wrong type is InvalidArgument.
template <typename T>
absl::Status MergeOptional(const json& body, const char* key,
                           std::optional<T>& out) {
  if (!body.contains(key)) return absl::OkStatus();
  const json& value = body[key];
  if (value.is_null()) {
    out.reset();
    return absl::OkStatus();
  }
  if (!value.is_number_integer() || value.get<int64_t>() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, " must be a non-negative integer"));
  }
  out = value.get<T>();
  return absl::OkStatus();
}

// Applies the fields present in `body` to `ns`.
absl::Status MergeNamespaceFields(const json& body, NamespaceRecord& ns) {
  if (body.contains("visibility")) {
    const json& v = body["visibility"];
    if (!v.is_number_integer() ||
        (v.get<int64_t>() != 0 && v.get<int64_t>() != 1)) {
      return absl::InvalidArgumentError(
          "visibility must be 0 (private) or 1 (public)");
    }
    ns.visibility = static_cast<Visibility>(v.get<int>());
  }
  if (body.contains("hidden")) {
    if (!body["hidden"].is_boolean()) {
      return absl::InvalidArgumentError("hidden must be a boolean");
    }
    ns.hidden = body["hidden"].get<bool>();
  }
  NamespacePolicies& p = ns.policies;
  RETURN_IF_ERROR(MergeOptional(body, "max_file_bytes", p.max_file_bytes));
  RETURN_IF_ERROR(MergeOptional(body, "quota_bytes", p.quota_bytes));
  RETURN_IF_ERROR(MergeOptional(body, "retention_days", p.retention_days));
  RETURN_IF_ERROR(MergeOptional(body, "keep_versions", p.keep_versions));
  if (body.contains("allowed_mime_types")) {
    const json& types = body["allowed_mime_types"];
    p.allowed_mime_types.clear();
    if (!types.is_null() && !types.is_array()) {
      return absl::InvalidArgumentError(
          "allowed_mime_types must be a list of strings");
    }
    for (const json& t : types.is_array() ? types : json::array()) {
      if (!t.is_string()) {
        return absl::InvalidArgumentError(
            "allowed_mime_types must be a list of strings");
      }
      p.allowed_mime_types.push_back(t.get<std::string>());
    }
  }
  return absl::OkStatus();
}

}  // namespace

void NamespaceHandlers::Register(Router& router) {
  router.Add({"GET", "POST"}, "/storage/namespaces", "namespaces",
             [this](const HttpCall& call) {
               return call.req.method == "POST" ? Create(call) : List(call);
             });
  router.Add({"PUT", "PATCH", "DELETE"}, "/storage/namespaces/([^/]+)",
             "namespace", [this](const HttpCall& call) {
               return call.req.method == "DELETE" ? Delete(call) : Update(call);
             });
}

absl::Status NamespaceHandlers::List(const HttpCall& call) {
  ASSIGN_OR_RETURN(Identity caller, Authenticate(*services_, call));
  ASSIGN_OR_RETURN(std::vector<NamespaceView> views,
                   services_->files->ListNamespaces(caller));
  json out = json::array();
  for (const NamespaceView& view : views) out.push_back(NamespaceJson(view));
  WriteJson(call, 200, out.dump());
  return absl::OkStatus();
}

absl::Status NamespaceHandlers::Create(const HttpCall& call) {
  ASSIGN_OR_RETURN(Identity caller, Authenticate(*services_, call));
  ASSIGN_OR_RETURN(
      NamespaceView view,
      services_->files->CreateNamespace(
          caller, [&](NamespaceRecord& ns) -> absl::Status {
            ASSIGN_OR_RETURN(json body, ReadJsonObject(call));
            if (!body.contains("name") || !body["name"].is_string()) {
              return absl::InvalidArgumentError("name is required");
            }
            ns.name = body["name"].get<std::string>();
            return MergeNamespaceFields(body, ns);
          }));
  WriteJson(call, 201, NamespaceJson(view).dump());
  return absl::OkStatus();
}

absl::Status NamespaceHandlers::Update(const HttpCall& call) {
  ASSIGN_OR_RETURN(Identity caller, Authenticate(*services_, call));
  ASSIGN_OR_RETURN(
      NamespaceView view,
      services_->files->UpdateNamespace(
          caller, call.match[1], [&](NamespaceRecord& ns) -> absl::Status {
            ASSIGN_OR_RETURN(json body, ReadJsonObject(call));
            if (body.contains("name") && body["name"] != ns.name) {
              return absl::InvalidArgumentError("namespaces cannot be renamed");
            }
            return MergeNamespaceFields(body, ns);
          }));
  WriteJson(call, 200, NamespaceJson(view).dump());
  return absl::OkStatus();
}

absl::Status NamespaceHandlers::Delete(const HttpCall& call) {
  ASSIGN_OR_RETURN(Identity caller, Authenticate(*services_, call));
  const std::string name = call.match[1];
  ASSIGN_OR_RETURN(uint64_t deleted,
                   services_->files->DeleteNamespace(caller, name));
  WriteJson(
      call, 200,
      json{{"status", "deleted"}, {"name", name}, {"files", deleted}}.dump());
  return absl::OkStatus();
}

}  // namespace sfs::frontend
