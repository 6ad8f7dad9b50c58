#include "sfs-frontend/server/file_handlers.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/path.h"
#include "common/status_macros.h"
#include "sfs-frontend/server/http_error.h"

namespace sfs::frontend {
namespace {

using nlohmann::json;

// How long a signed URL lives unless asked otherwise: 15 minutes, what the
// seeds' users expect of presigned links.
constexpr int64_t kDefaultLinkSeconds = 15 * 60;

json FileJson(const NamespaceRecord& ns, const FileInfo& file,
              const Retention& retention) {
  std::string path = file.path.substr(ns.name.size() + 2);
  json out = {{"name", path.substr(path.rfind('/') + 1)},
              {"path", path},
              {"namespace", ns.name},
              {"size", file.size},
              {"content_type", file.content_type},
              {"etag", file.sha256},
              {"version", file.generation},
              {"cache_control", file.cache_control},
              {"metadata", file.metadata},
              {"created_at", UnixSeconds(file.created_unix_micros)},
              {"modified_at", UnixSeconds(file.modified_unix_micros)}};
  if (std::optional<absl::Time> expires =
          retention.ExpiresAt(ns.policies, file)) {
    out["expires_at"] = absl::ToUnixSeconds(*expires);
  }
  return out;
}

}  // namespace

void FileHandlers::Register(Router& router) {
  router.Add({"GET"}, "/storage/files", "files",
             [this](const HttpCall& call) { return List(call); });
  router.Add({"GET"}, "/storage/versions", "versions",
             [this](const HttpCall& call) { return ListVersions(call); });
  router.Add({"GET"}, "/storage/status", "status",
             [this](const HttpCall& call) { return ClusterStatus(call); });
  router.Add({"POST"}, "/storage/copy", "copy",
             [this](const HttpCall& call) { return CopyOrMove(call, true); });
  router.Add({"POST"}, "/storage/move", "move",
             [this](const HttpCall& call) { return CopyOrMove(call, false); });
  router.Add({"POST"}, "/storage/files/delete", "delete_files",
             [this](const HttpCall& call) { return DeleteMany(call); });
  router.Add({"POST"}, "/storage/sign/([^/]+)/(.+)", "sign",
             [this](const HttpCall& call) {
               return Sign(call, call.match[1], call.match[2]);
             });
  router.Add(
      {"GET"}, "/storage/download/([^/]+)/(.+)", "download",
      [this](const HttpCall& call) {
        return downloads_.Serve(call, call.match[1], call.match[2],
                                Disposition::kAttachment);
      },
      WriteErrorForBrowsers);
  router.Add(
      {"GET"}, "/storage/download", "legacy_download",
      [this](const HttpCall& call) {
        auto [ns, name] = LegacyTarget(call);
        return downloads_.Serve(call, ns, name, Disposition::kAttachment);
      },
      WriteErrorForBrowsers);
  router.Add({"POST", "PUT"}, "/storage/upload", "legacy_upload",
             [this](const HttpCall& call) {
               auto [ns, name] = LegacyTarget(call);
               return uploads_.Upload(call, ns, name);
             });
  router.Add({"POST", "DELETE"}, "/storage/delete", "legacy_delete",
             [this](const HttpCall& call) {
               auto [ns, name] = LegacyTarget(call);
               return Delete(call, ns, name);
             });
  router.Add(
      {"GET", "POST", "PUT", "DELETE"}, "/storage/([^/]+)/(.+)", "file",
      [this](const HttpCall& call) {
        const std::string ns = call.match[1];
        const std::string path = call.match[2];
        if (call.req.method == "DELETE") return Delete(call, ns, path);
        if (call.req.method == "GET" || call.req.method == "HEAD") {
          return downloads_.Serve(call, ns, path, Disposition::kInline);
        }
        return uploads_.Upload(call, ns, path);
      },
      WriteErrorForBrowsers);
}

std::pair<std::string, std::string> FileHandlers::LegacyTarget(
    const HttpCall& call) {
  std::string ns = call.req.get_param_value("namespace");
  return {ns.empty() ? "default" : ns, call.req.get_param_value("name")};
}

absl::Status FileHandlers::List(const HttpCall& call) {
  const httplib::Request& req = call.req;
  ASSIGN_OR_RETURN(Identity caller, Authenticate(*services_, call));
  const std::string ns = req.get_param_value("namespace");
  ListRequest request;
  request.prefix = req.get_param_value("prefix");
  request.cursor = req.get_param_value("cursor");
  request.folders = req.get_param_value("delimiter") == "/";
  if (req.has_param("limit") &&
      !absl::SimpleAtoi(req.get_param_value("limit"), &request.limit)) {
    return absl::InvalidArgumentError("limit must be 1..1000");
  }
  ASSIGN_OR_RETURN(Listing listing,
                   services_->files->List(caller, ns, request));
  json out = json::array();
  for (const Listing::Entry& entry : listing.entries) {
    if (entry.file) {
      out.push_back(FileJson(listing.ns, *entry.file, retention()));
      continue;
    }
    const std::string& folder = entry.folder;
    out.push_back(
        {{"name", folder.substr(folder.rfind('/', folder.size() - 2) + 1)},
         {"path", folder},
         {"namespace", ns},
         {"folder", true}});
  }
  if (!listing.next_cursor.empty()) {
    call.res.set_header("X-Next-Cursor", listing.next_cursor);
  }
  WriteJson(call, 200, out.dump());
  return absl::OkStatus();
}

absl::Status FileHandlers::ListVersions(const HttpCall& call) {
  ASSIGN_OR_RETURN(Identity caller, Authenticate(*services_, call));
  ASSIGN_OR_RETURN(VersionList list,
                   services_->files->ListVersions(
                       caller, call.req.get_param_value("namespace"),
                       call.req.get_param_value("path")));
  json out = json::array();
  for (const FileInfo& version : list.versions) {
    json entry = FileJson(list.ns, version, retention());
    entry["current"] = out.empty();
    // Old versions go with the current file, not on a clock of their own.
    if (!out.empty() && out[0].contains("expires_at")) {
      entry["expires_at"] = out[0]["expires_at"];
    }
    out.push_back(std::move(entry));
  }
  WriteJson(call, 200, out.dump());
  return absl::OkStatus();
}

absl::Status FileHandlers::Delete(const HttpCall& call, const std::string& ns,
                                  const std::string& path) {
  ASSIGN_OR_RETURN(Identity caller, Authenticate(*services_, call));
  RETURN_IF_ERROR(services_->files->Delete(caller, ns, path));
  WriteJson(call, 200, json{{"status", "deleted"}, {"name", path}}.dump());
  return absl::OkStatus();
}

absl::Status FileHandlers::CopyOrMove(const HttpCall& call, bool copy) {
  ASSIGN_OR_RETURN(Identity caller, Authenticate(*services_, call));
  ASSIGN_OR_RETURN(json body, ReadJsonObject(call));
  auto location = [&](const char* key) -> absl::StatusOr<FileLocation> {
    const json& value = body.value(key, json());
    if (!value.is_object() || !value.value("namespace", json()).is_string() ||
        !value.value("path", json()).is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", key, "\" must be {\"namespace\": ..., \"path\": ...}"));
    }
    return FileLocation{value["namespace"].get<std::string>(),
                        value["path"].get<std::string>()};
  };
  ASSIGN_OR_RETURN(FileLocation from, location("from"));
  ASSIGN_OR_RETURN(FileLocation to, location("to"));
  const json& overwrite = body.value("overwrite", json(false));
  const json& version = body["from"].value("version", json(0));
  if (!overwrite.is_boolean() || !version.is_number_integer() || version < 0 ||
      (!copy && version != 0)) {
    return absl::InvalidArgumentError(
        copy ? "overwrite must be a boolean and from.version a version number"
             : "overwrite must be a boolean; a move takes no version");
  }
  ASSIGN_OR_RETURN(
      FileView view,
      copy ? services_->files->Copy(caller, from, to, version.get<uint64_t>(),
                                    overwrite.get<bool>())
           : services_->files->Move(caller, from, to, overwrite.get<bool>()));
  WriteJson(call, copy ? 201 : 200,
            FileJson(view.ns, view.file, retention()).dump());
  return absl::OkStatus();
}

absl::Status FileHandlers::DeleteMany(const HttpCall& call) {
  ASSIGN_OR_RETURN(Identity caller, Authenticate(*services_, call));
  ASSIGN_OR_RETURN(json body, ReadJsonObject(call));
  const json& ns = body.value("namespace", json());
  const json& paths = body.value("paths", json());
  if (!ns.is_string() || !paths.is_array() ||
      !std::all_of(paths.begin(), paths.end(),
                   [](const json& p) { return p.is_string(); })) {
    return absl::InvalidArgumentError(
        "body must be {\"namespace\": ..., \"paths\": [...]}");
  }
  const std::vector<std::string> names = paths.get<std::vector<std::string>>();
  ASSIGN_OR_RETURN(
      std::vector<absl::Status> outcomes,
      services_->files->DeleteMany(caller, ns.get<std::string>(), names));
  json deleted = json::array();
  json errors = json::array();
  for (size_t i = 0; i < names.size(); ++i) {
    if (outcomes[i].ok()) {
      deleted.push_back(names[i]);
      continue;
    }
    HttpError error = ToHttpError(outcomes[i]);
    errors.push_back(
        {{"path", names[i]}, {"code", error.code}, {"error", error.message}});
  }
  WriteJson(call, 200,
            json{{"deleted", deleted}, {"errors", errors}}.dump(
                -1, ' ', false, json::error_handler_t::replace));
  return absl::OkStatus();
}

absl::Status FileHandlers::Sign(const HttpCall& call, const std::string& ns,
                                const std::string& path) {
  ASSIGN_OR_RETURN(Identity caller, Authenticate(*services_, call));
  ASSIGN_OR_RETURN(json body, ReadJsonObject(call));
  const json& method = body.value("method", json("GET"));
  const json& expires_in = body.value("expires_in", json(kDefaultLinkSeconds));
  const json& version = body.value("version", json(0));
  const json& overwrite = body.value("overwrite", json(false));
  const json& single_use = body.value("single_use", json(false));
  const json& max_bytes = body.value("max_bytes", json());
  auto count = [](const json& value) {
    return value.is_number_integer() && value.get<int64_t>() >= 0;
  };
  if ((method != "GET" && method != "PUT") || !expires_in.is_number_integer() ||
      !count(version) || !overwrite.is_boolean() || !single_use.is_boolean() ||
      !(max_bytes.is_null() || count(max_bytes))) {
    return absl::InvalidArgumentError(
        "body is {\"method\": \"GET\"|\"PUT\", \"expires_in\": seconds, "
        "and for GET \"version\", for PUT \"overwrite\", \"single_use\", "
        "\"max_bytes\"}");
  }
  SignedGrant grant;
  grant.ns = ns;
  grant.path = path;
  if (method == "GET") {
    grant.version = version.get<uint64_t>();
  } else {
    grant.action = SignedGrant::Action::kUpload;
    grant.overwrite = overwrite.get<bool>();
    if (!max_bytes.is_null()) grant.max_bytes = max_bytes.get<uint64_t>();
  }
  ASSIGN_OR_RETURN(FileService::SignedToken signed_token,
                   services_->files->Sign(
                       caller, grant, absl::Seconds(expires_in.get<int64_t>()),
                       single_use.get<bool>()));
  const std::string url =
      absl::StrCat("/storage/", UrlPath(ns), "/", UrlPath(path),
                   "?signature=", signed_token.token);
  WriteJson(call, 200,
            json{{"url", url},
                 {"method", method},
                 {"expires_at", signed_token.expires_at}}
                .dump());
  return absl::OkStatus();
}

absl::Status FileHandlers::ClusterStatus(const HttpCall& call) {
  ASSIGN_OR_RETURN(sfs::ClusterStatus status, services_->client->Status());
  json servers = json::array();
  uint64_t alive = 0;
  for (const ChunkserverStatus& s : status.chunkservers) {
    alive += s.alive ? 1 : 0;
    servers.push_back({{"server_id", s.server_id},
                       {"address", s.address},
                       {"rack", s.rack},
                       {"alive", s.alive},
                       {"chunk_count", s.chunk_count},
                       {"used_bytes", s.used_bytes},
                       {"free_bytes", s.free_bytes}});
  }
  json out = {{"chunkserver_count", alive},
              {"total_servers", status.chunkservers.size()},
              {"file_count", status.file_count},
              {"chunk_count", status.chunk_count},
              {"replication_factor", status.replication_factor},
              {"chunkservers", servers}};
  WriteJson(call, 200, out.dump());
  return absl::OkStatus();
}

}  // namespace sfs::frontend
