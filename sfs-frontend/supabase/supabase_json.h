// The shapes of the supabase dialect (supabase_handlers.h): what its
// requests say, parsed into the file service's terms, and its answers,
// rendered from the service's records. No I/O.
#ifndef SFS_FRONTEND_SUPABASE_SUPABASE_JSON_H_
#define SFS_FRONTEND_SUPABASE_SUPABASE_JSON_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sfs-frontend/files/file_service.h"
#include "sfs-frontend/server/download_handler.h"

namespace httplib {
struct Request;
}

namespace sfs::frontend {

// --- Request fields ----------------------------------------------------------

// A non-empty string field of a JSON body.
absl::StatusOr<std::string> StringField(const nlohmann::json& body,
                                        const char* key);
// A list of 1 to 1000 strings.
absl::StatusOr<std::vector<std::string>> StringList(const nlohmann::json& body,
                                                    const char* key);
// "expiresIn": whole seconds, at least 1.
absl::StatusOr<absl::Duration> ExpiresIn(const nlohmann::json& body);

// --- Buckets -----------------------------------------------------------------

// GET /bucket's query: limit, offset, search (a case-insensitive part of
// the name), sortColumn (id, name, created_at, updated_at; default name)
// and sortOrder (asc, desc).
struct BucketQuery {
  std::optional<uint64_t> limit;
  uint64_t offset = 0;
  std::string search;
  std::string sort_column = "name";
  bool descending = false;
};
absl::StatusOr<BucketQuery> ParseBucketQuery(const httplib::Request& req);

// {"id", "name", "owner", "public", "type", "file_size_limit",
//  "allowed_mime_types", "created_at", "updated_at"}.
nlohmann::json BucketJson(const NamespaceRecord& ns);
// The buckets `query` selects, in its order.
nlohmann::json BucketsJson(std::vector<NamespaceView> views,
                           const BucketQuery& query);

// Applies a create or update body: "public" (visibility),
// "file_size_limit" (bytes, or a string like "20MB" in decimal units; null
// for none) and "allowed_mime_types" (null or a list of type/subtype and
// type/* entries). Other fields are ignored, but a "type" other than
// STANDARD.
absl::Status ApplyBucketFields(const nlohmann::json& body, NamespaceRecord& ns);

// --- Objects -----------------------------------------------------------------

// What an upload stores besides its bytes.
struct ObjectAttributes {
  std::string cache_control;
  // Supabase's user metadata, a JSON object of scalars, as the file's
  // metadata map (the file service bounds its keys and values).
  std::map<std::string, std::string> metadata;
};
// Of a raw body: the Cache-Control header as sent, x-metadata (base64 of
// the JSON object).
absl::StatusOr<ObjectAttributes> AttributesFromHeaders(
    const httplib::Request& req);
// Of a multipart body: the cacheControl field (seconds: "max-age=<n>") and
// the metadata field (the JSON object).
absl::StatusOr<ObjectAttributes> AttributesFromForm(
    const std::map<std::string, std::string>& fields);

// The object's id: a UUID naming this version of the path.
std::string ObjectId(const FileInfo& file);
// "<bucket>/<path>".
std::string ObjectKey(const std::string& bucket, const std::string& path);
// ISO 8601 UTC with milliseconds, as JavaScript's toISOString writes.
std::string IsoTime(int64_t unix_micros);

// The "metadata" of a listing entry: eTag, size, mimetype, cacheControl,
// lastModified, contentLength, httpStatusCode.
nlohmann::json ObjectMetadataJson(const FileInfo& file);
// GET /object/info: id, name, version, bucket_id, size, content_type,
// cache_control, etag, metadata (the user's), last_modified, created_at.
nlohmann::json InfoJson(const FileView& view);
// An entry of a batch delete's answer.
nlohmann::json DeletedObjectJson(const std::string& bucket,
                                 const std::string& path);

// A download's disposition: inline, or with `download` an attachment (named
// by its value, if any).
SendOptions DownloadOptions(const httplib::Request& req);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SUPABASE_SUPABASE_JSON_H_
