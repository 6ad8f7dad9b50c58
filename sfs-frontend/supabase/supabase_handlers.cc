#include "sfs-frontend/supabase/supabase_handlers.h"

#include <httplib.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "sfs-frontend/supabase/object_lister.h"
#include "sfs-frontend/supabase/supabase_errors.h"
#include "sfs-frontend/supabase/supabase_json.h"

namespace sfs::frontend {
namespace {

using nlohmann::json;

constexpr char kPrefix[] = "/storage/v1";

// Supabase's answer to a call that changed something.
void WriteMessage(const HttpCall& call, const std::string& message) {
  WriteJson(call, 200, json{{"message", message}}.dump());
}

// The version a `versionId` query parameter names; 0 when absent.
absl::StatusOr<uint64_t> RequestedVersionId(const HttpCall& call) {
  if (!call.req.has_param("versionId")) return 0;
  uint64_t version = 0;
  if (!absl::SimpleAtoi(call.req.get_param_value("versionId"), &version) ||
      version == 0) {
    return absl::InvalidArgumentError("versionId must be a positive number");
  }
  return version;
}

// A signed URL relative to /storage/v1 (storage-js puts its base in front,
// and encodes the whole URL).
std::string SignedPath(absl::string_view route, const std::string& bucket,
                       const std::string& path, const std::string& token) {
  return absl::StrCat("/object/", route, "/", bucket, "/", path,
                      "?token=", token);
}

// What the headers of an upload say: its size and, for a raw body, its
// attributes (a multipart body's come as fields; Receive reads them).
absl::StatusOr<UploadRequest> RawUploadRequest(const httplib::Request& req) {
  UploadRequest request;
  request.declared_size = UploadHandler::DeclaredSize(req);
  ASSIGN_OR_RETURN(ObjectAttributes attributes, AttributesFromHeaders(req));
  request.cache_control = std::move(attributes.cache_control);
  request.metadata = std::move(attributes.metadata);
  return request;
}

// The grant of the `token` parameter, if it is for `action` on exactly
// this object. Supabase's answers: 400 InvalidJWT for a token that does not
// check out, InvalidSignature for one made for something else.
absl::StatusOr<SignedGrant> RedeemToken(FileService& files,
                                        const httplib::Request& req,
                                        const std::string& bucket,
                                        const std::string& path,
                                        SignedGrant::Action action) {
  if (!req.has_param("token")) {
    return absl::InvalidArgumentError(
        "querystring must have required property 'token'");
  }
  absl::StatusOr<SignedGrant> grant =
      files.Redeem(req.get_param_value("token"));
  if (!grant.ok()) return SupabaseError(grant.status(), 400, "InvalidJWT");
  if (grant->action != action) {
    return SupabaseError(
        absl::PermissionDeniedError(action == SignedGrant::Action::kRead
                                        ? "Token is not scoped for download"
                                        : "Token is not scoped for upload"),
        400, "InvalidSignature");
  }
  if (grant->ns != bucket || grant->path != path) {
    return SupabaseError(absl::PermissionDeniedError("Invalid signature"), 400,
                         "InvalidSignature");
  }
  return grant;
}

}  // namespace

void SupabaseHandlers::Register(Router& router) {
  auto add = [&](std::vector<std::string> methods, const std::string& pattern,
                 const char* name, RouteHandler handler) {
    router.Add(std::move(methods), absl::StrCat(kPrefix, pattern),
               absl::StrCat("supabase_", name), std::move(handler),
               WriteSupabaseError);
  };
  add({"GET", "POST"}, "/bucket/?", "buckets", [this](const HttpCall& call) {
    return call.req.method == "POST" ? CreateBucket(call) : ListBuckets(call);
  });
  add({"POST"}, "/bucket/([^/]+)/empty", "bucket_empty",
      [this](const HttpCall& call) {
        return EmptyBucket(call, call.match[1]);
      });
  add({"GET", "PUT", "DELETE"}, "/bucket/([^/]+)", "bucket",
      [this](const HttpCall& call) {
        const std::string bucket = call.match[1];
        if (call.req.method == "PUT") return UpdateBucket(call, bucket);
        if (call.req.method == "DELETE") return DeleteBucket(call, bucket);
        return GetBucket(call, bucket);
      });
  add({"POST"}, "/object/list/([^/]+)", "list",
      [this](const HttpCall& call) { return List(call, call.match[1]); });
  add({"POST"}, "/object/move", "move",
      [this](const HttpCall& call) { return CopyOrMove(call, false); });
  add({"POST"}, "/object/copy", "copy",
      [this](const HttpCall& call) { return CopyOrMove(call, true); });
  add({"POST"}, "/object/sign/([^/]+)", "sign_many",
      [this](const HttpCall& call) {
        return SignDownloads(call, call.match[1]);
      });
  add({"GET", "POST"}, "/object/sign/([^/]+)/(.+)", "sign",
      [this](const HttpCall& call) {
        if (call.req.method == "POST") {
          return SignDownload(call, call.match[1], call.match[2]);
        }
        return SignedDownload(call, call.match[1], call.match[2]);
      });
  add({"POST", "PUT"}, "/object/upload/sign/([^/]+)/(.+)", "upload_sign",
      [this](const HttpCall& call) {
        if (call.req.method == "POST") {
          return SignUpload(call, call.match[1], call.match[2]);
        }
        return SignedUpload(call, call.match[1], call.match[2]);
      });
  add({"GET"}, "/object/info/(public/|authenticated/)?([^/]+)/(.+)", "info",
      [this](const HttpCall& call) {
        return Info(call, call.match[2], call.match[3],
                    call.match[1] == "public/");
      });
  add({"GET"}, "/object/(public/|authenticated/)([^/]+)/(.+)", "download",
      [this](const HttpCall& call) {
        return Download(call, call.match[2], call.match[3],
                        call.match[1] == "public/");
      });
  add({"DELETE"}, "/object/([^/]+)", "remove_many",
      [this](const HttpCall& call) { return RemoveMany(call, call.match[1]); });
  add({"GET", "POST", "PUT", "DELETE"}, "/object/([^/]+)/(.+)", "object",
      [this](const HttpCall& call) {
        const std::string bucket = call.match[1];
        const std::string path = call.match[2];
        if (call.req.method == "DELETE") return Remove(call, bucket, path);
        if (call.req.method == "GET" || call.req.method == "HEAD") {
          return Download(call, bucket, path, false);
        }
        return Upload(call, bucket, path);
      });
  add({"GET", "POST", "PUT", "PATCH", "DELETE"}, "/(render/image)(/.*)?",
      "reserved", [](const HttpCall& call) {
        return absl::UnimplementedError(
            absl::StrCat(call.match[1].str(), " is not supported yet"));
      });
}

TusDialect SupabaseTusDialect() {
  TusDialect dialect;
  dialect.base = absl::StrCat(kPrefix, "/upload/resumable");
  dialect.route_name = "supabase_tus";
  dialect.namespace_key = "bucketName";
  dialect.path_key = "objectName";
  dialect.type_key = "contentType";
  dialect.cache_seconds_key = "cacheControl";
  dialect.upsert_header = "x-upsert";
  dialect.caller = SupabaseCaller;
  dialect.errors = WriteSupabaseError;
  return dialect;
}

absl::StatusOr<Identity> SupabaseCaller(const FrontendServices& services,
                                        const HttpCall& call) {
  absl::string_view credential;
  const std::string authorization = call.req.get_header_value("Authorization");
  const std::string apikey = call.req.get_header_value("apikey");
  if (!authorization.empty()) {
    credential = authorization;
    if (!absl::StartsWithIgnoreCase(credential, "Bearer ")) {
      return SupabaseError(
          absl::UnauthenticatedError("Authorization must be Bearer <JWT>"), 400,
          "InvalidJWT");
    }
    credential = absl::StripLeadingAsciiWhitespace(credential.substr(7));
  } else {
    credential = apikey;
  }
  if (credential.empty()) return Identity();
  absl::StatusOr<Identity> caller =
      services.authenticator->AuthenticateCredential(credential, absl::Now());
  if (!caller.ok()) {
    return SupabaseError(caller.status(), 400, "InvalidJWT");
  }
  return caller;
}

// --- Buckets -----------------------------------------------------------------

absl::Status SupabaseHandlers::ListBuckets(const HttpCall& call) {
  ASSIGN_OR_RETURN(Identity caller, Caller(call));
  ASSIGN_OR_RETURN(BucketQuery query, ParseBucketQuery(call.req));
  ASSIGN_OR_RETURN(std::vector<NamespaceView> views,
                   services_->files->ListNamespaces(caller));
  WriteJson(call, 200, BucketsJson(std::move(views), query).dump());
  return absl::OkStatus();
}

absl::Status SupabaseHandlers::GetBucket(const HttpCall& call,
                                         const std::string& bucket) {
  ASSIGN_OR_RETURN(Identity caller, Caller(call));
  ASSIGN_OR_RETURN(NamespaceView view,
                   services_->files->DescribeNamespace(caller, bucket));
  WriteJson(call, 200, BucketJson(view.record).dump());
  return absl::OkStatus();
}

absl::Status SupabaseHandlers::CreateBucket(const HttpCall& call) {
  ASSIGN_OR_RETURN(Identity caller, Caller(call));
  ASSIGN_OR_RETURN(json body, ReadJsonObject(call));
  std::string name;
  auto created = services_->files->CreateNamespace(
      caller, [&](NamespaceRecord& ns) -> absl::Status {
        ASSIGN_OR_RETURN(name, StringField(body, "name"));
        if (body.contains("id") && body["id"] != name) {
          return absl::InvalidArgumentError("id and name must be equal");
        }
        ns.name = name;
        return ApplyBucketFields(body, ns);
      });
  if (absl::IsAlreadyExists(created.status())) {
    return SupabaseError(created.status(), 409, "BucketAlreadyExists");
  }
  RETURN_IF_ERROR(created.status());
  WriteJson(call, 200, json{{"name", name}}.dump());
  return absl::OkStatus();
}

absl::Status SupabaseHandlers::UpdateBucket(const HttpCall& call,
                                            const std::string& bucket) {
  ASSIGN_OR_RETURN(Identity caller, Caller(call));
  ASSIGN_OR_RETURN(json body, ReadJsonObject(call));
  RETURN_IF_ERROR(services_->files
                      ->UpdateNamespace(caller, bucket,
                                        [&](NamespaceRecord& ns) {
                                          return ApplyBucketFields(body, ns);
                                        })
                      .status());
  WriteMessage(call, "Successfully updated");
  return absl::OkStatus();
}

absl::Status SupabaseHandlers::EmptyBucket(const HttpCall& call,
                                           const std::string& bucket) {
  ASSIGN_OR_RETURN(Identity caller, Caller(call));
  RETURN_IF_ERROR(services_->files->EmptyNamespace(caller, bucket).status());
  WriteMessage(call, "Successfully emptied");
  return absl::OkStatus();
}

absl::Status SupabaseHandlers::DeleteBucket(const HttpCall& call,
                                            const std::string& bucket) {
  ASSIGN_OR_RETURN(Identity caller, Caller(call));
  ASSIGN_OR_RETURN(NamespaceView view,
                   services_->files->DescribeNamespace(caller, bucket));
  // Supabase deletes only empty buckets (emptying is a separate call).
  if (view.usage.files > 0 || view.usage.old_versions > 0) {
    return SupabaseError(absl::FailedPreconditionError(
                             "The bucket you tried to delete is not empty"),
                         409, "ResourceNotEmpty");
  }
  RETURN_IF_ERROR(services_->files->DeleteNamespace(caller, bucket).status());
  WriteMessage(call, "Successfully deleted");
  return absl::OkStatus();
}

// --- Objects -----------------------------------------------------------------

absl::StatusOr<FileInfo> SupabaseHandlers::Receive(const HttpCall& call,
                                                   AdmittedUpload& admitted) {
  // A multipart body's fields come ahead of its file.
  auto fields = [&](const UploadHandler::FormFields& form) -> absl::Status {
    ASSIGN_OR_RETURN(ObjectAttributes attributes, AttributesFromForm(form));
    return admitted.SetAttributes(std::move(attributes.cache_control),
                                  std::move(attributes.metadata));
  };
  return uploads_.Receive(call, admitted, UploadHandler::DeclaredSize(call.req),
                          fields);
}

absl::Status SupabaseHandlers::Upload(const HttpCall& call,
                                      const std::string& bucket,
                                      const std::string& path) {
  ASSIGN_OR_RETURN(Identity caller, Caller(call));
  ASSIGN_OR_RETURN(UploadRequest request, RawUploadRequest(call.req));
  request.ns = bucket;
  request.path = path;
  // An update (PUT) replaces whatever is there; an upload only with x-upsert.
  request.overwrite = call.req.method == "PUT" ||
                      call.req.get_header_value("x-upsert") == "true";
  ASSIGN_OR_RETURN(AdmittedUpload admitted,
                   services_->files->AdmitUpload(caller, request));
  ASSIGN_OR_RETURN(FileInfo file, Receive(call, admitted));
  WriteJson(
      call, 200,
      json{{"Id", ObjectId(file)}, {"Key", ObjectKey(bucket, path)}}.dump());
  return absl::OkStatus();
}

absl::Status SupabaseHandlers::Download(const HttpCall& call,
                                        const std::string& bucket,
                                        const std::string& path,
                                        bool anonymous) {
  Identity caller;
  if (!anonymous) {
    ASSIGN_OR_RETURN(caller, Caller(call));
  }
  ASSIGN_OR_RETURN(uint64_t version, RequestedVersionId(call));
  ASSIGN_OR_RETURN(FileView view,
                   services_->files->Stat(caller, bucket, path, version));
  SendOptions options = DownloadOptions(call.req);
  options.pinned_version = version != 0;
  return downloads_.Send(call, view, std::move(options));
}

absl::Status SupabaseHandlers::Info(const HttpCall& call,
                                    const std::string& bucket,
                                    const std::string& path, bool anonymous) {
  Identity caller;
  if (!anonymous) {
    ASSIGN_OR_RETURN(caller, Caller(call));
  }
  ASSIGN_OR_RETURN(uint64_t version, RequestedVersionId(call));
  ASSIGN_OR_RETURN(FileView view,
                   services_->files->Stat(caller, bucket, path, version));
  WriteJson(call, 200, InfoJson(view).dump());
  return absl::OkStatus();
}

absl::Status SupabaseHandlers::Remove(const HttpCall& call,
                                      const std::string& bucket,
                                      const std::string& path) {
  ASSIGN_OR_RETURN(Identity caller, Caller(call));
  RETURN_IF_ERROR(services_->files->Delete(caller, bucket, path));
  WriteMessage(call, "Successfully deleted");
  return absl::OkStatus();
}

absl::Status SupabaseHandlers::RemoveMany(const HttpCall& call,
                                          const std::string& bucket) {
  ASSIGN_OR_RETURN(Identity caller, Caller(call));
  ASSIGN_OR_RETURN(json body, ReadJsonObject(call));
  ASSIGN_OR_RETURN(std::vector<std::string> paths,
                   StringList(body, "prefixes"));
  ASSIGN_OR_RETURN(std::vector<absl::Status> outcomes,
                   services_->files->DeleteMany(caller, bucket, paths));
  // What was deleted; what was not there is left out, as Supabase does.
  json out = json::array();
  for (size_t i = 0; i < paths.size(); ++i) {
    if (absl::IsNotFound(outcomes[i])) continue;
    RETURN_IF_ERROR(outcomes[i]);
    out.push_back(DeletedObjectJson(bucket, paths[i]));
  }
  WriteJson(call, 200, out.dump());
  return absl::OkStatus();
}

absl::Status SupabaseHandlers::List(const HttpCall& call,
                                    const std::string& bucket) {
  ASSIGN_OR_RETURN(Identity caller, Caller(call));
  ASSIGN_OR_RETURN(json body, ReadJsonObject(call));
  ASSIGN_OR_RETURN(ObjectQuery query, ParseObjectQuery(body));
  ASSIGN_OR_RETURN(json out,
                   ListObjects(*services_->files, caller, bucket, query));
  WriteJson(call, 200, out.dump());
  return absl::OkStatus();
}

absl::Status SupabaseHandlers::CopyOrMove(const HttpCall& call, bool copy) {
  ASSIGN_OR_RETURN(Identity caller, Caller(call));
  ASSIGN_OR_RETURN(json body, ReadJsonObject(call));
  FileLocation from;
  FileLocation to;
  ASSIGN_OR_RETURN(from.ns, StringField(body, "bucketId"));
  ASSIGN_OR_RETURN(from.path, StringField(body, "sourceKey"));
  ASSIGN_OR_RETURN(to.path, StringField(body, "destinationKey"));
  to.ns = from.ns;
  if (body.contains("destinationBucket") &&
      body["destinationBucket"].is_string()) {
    to.ns = body["destinationBucket"].get<std::string>();
  }
  if (copy) {
    const bool upsert = call.req.get_header_value("x-upsert") == "true";
    ASSIGN_OR_RETURN(FileView view,
                     services_->files->Copy(caller, from, to, 0, upsert));
    WriteJson(
        call, 200,
        json{{"Id", ObjectId(view.file)}, {"Key", ObjectKey(to.ns, to.path)}}
            .dump());
    return absl::OkStatus();
  }
  // Supabase moves never replace an object.
  auto moved = services_->files->Move(caller, from, to, false);
  if (absl::IsAlreadyExists(moved.status())) {
    return SupabaseError(moved.status(), 409, "ResourceAlreadyExists");
  }
  RETURN_IF_ERROR(moved.status());
  WriteMessage(call, "Successfully moved");
  return absl::OkStatus();
}

// --- Signed URLs
// ---------------------------------------------------------------

absl::Status SupabaseHandlers::SignDownload(const HttpCall& call,
                                            const std::string& bucket,
                                            const std::string& path) {
  ASSIGN_OR_RETURN(Identity caller, Caller(call));
  ASSIGN_OR_RETURN(json body, ReadJsonObject(call));
  ASSIGN_OR_RETURN(absl::Duration lifetime, ExpiresIn(body));
  SignedGrant grant;
  grant.ns = bucket;
  grant.path = path;
  ASSIGN_OR_RETURN(FileService::SignedToken token,
                   services_->files->Sign(caller, grant, lifetime, false));
  WriteJson(call, 200,
            json{{"signedURL", SignedPath("sign", bucket, path, token.token)}}
                .dump());
  return absl::OkStatus();
}

absl::Status SupabaseHandlers::SignDownloads(const HttpCall& call,
                                             const std::string& bucket) {
  ASSIGN_OR_RETURN(Identity caller, Caller(call));
  ASSIGN_OR_RETURN(json body, ReadJsonObject(call));
  ASSIGN_OR_RETURN(absl::Duration lifetime, ExpiresIn(body));
  ASSIGN_OR_RETURN(std::vector<std::string> paths, StringList(body, "paths"));
  json out = json::array();
  for (const std::string& path : paths) {
    SignedGrant grant;
    grant.ns = bucket;
    grant.path = path;
    auto token = services_->files->Sign(caller, grant, lifetime, false);
    if (!token.ok() && !absl::IsNotFound(token.status()) &&
        !absl::IsPermissionDenied(token.status()) &&
        !absl::IsUnauthenticated(token.status()) &&
        !absl::IsInvalidArgument(token.status())) {
      return token.status();
    }
    out.push_back(
        {{"error", token.ok()
                       ? json(nullptr)
                       : json("Either the object does not exist or you do not "
                              "have access to it")},
         {"path", path},
         {"signedURL",
          token.ok() ? json(SignedPath("sign", bucket, path, token->token))
                     : json(nullptr)}});
  }
  WriteJson(call, 200, out.dump());
  return absl::OkStatus();
}

absl::Status SupabaseHandlers::SignedDownload(const HttpCall& call,
                                              const std::string& bucket,
                                              const std::string& path) {
  ASSIGN_OR_RETURN(SignedGrant grant,
                   RedeemToken(*services_->files, call.req, bucket, path,
                               SignedGrant::Action::kRead));
  return downloads_.SendGranted(call, grant, DownloadOptions(call.req));
}

absl::Status SupabaseHandlers::SignUpload(const HttpCall& call,
                                          const std::string& bucket,
                                          const std::string& path) {
  ASSIGN_OR_RETURN(Identity caller, Caller(call));
  SignedGrant grant;
  grant.action = SignedGrant::Action::kUpload;
  grant.ns = bucket;
  grant.path = path;
  grant.overwrite = call.req.get_header_value("x-upsert") == "true";
  ASSIGN_OR_RETURN(FileService::SignedToken token,
                   services_->files->Sign(caller, grant, kUploadUrlLifetime,
                                          /*single_use=*/true));
  WriteJson(call, 200,
            json{{"url", SignedPath("upload/sign", bucket, path, token.token)},
                 {"token", token.token}}
                .dump());
  return absl::OkStatus();
}

absl::Status SupabaseHandlers::SignedUpload(const HttpCall& call,
                                            const std::string& bucket,
                                            const std::string& path) {
  ASSIGN_OR_RETURN(SignedGrant grant,
                   RedeemToken(*services_->files, call.req, bucket, path,
                               SignedGrant::Action::kUpload));
  ASSIGN_OR_RETURN(UploadRequest request, RawUploadRequest(call.req));
  ASSIGN_OR_RETURN(AdmittedUpload admitted,
                   services_->files->AdmitGrantedUpload(grant, request));
  RETURN_IF_ERROR(Receive(call, admitted).status());
  WriteJson(call, 200, json{{"Key", ObjectKey(bucket, path)}}.dump());
  return absl::OkStatus();
}

}  // namespace sfs::frontend
