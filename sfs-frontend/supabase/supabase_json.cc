#include "sfs-frontend/supabase/supabase_json.h"

#include <httplib.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/checksum.h"
#include "common/status_macros.h"
#include "sfs-frontend/files/media_type.h"
#include "sfs-frontend/server/http_error.h"
#include "sfs-frontend/supabase/supabase_errors.h"

namespace sfs::frontend {
namespace {

using nlohmann::json;

constexpr size_t kMaxListedStrings = 1000;

// "20MB" and the like in bytes, with Supabase's decimal units; nullopt if
// `text` is not such a size.
std::optional<int64_t> ParseSize(absl::string_view text) {
  static constexpr std::pair<absl::string_view, double> kUnits[] = {
      {"gb", 1e9}, {"mb", 1e6}, {"kb", 1e3}, {"b", 1}};
  const std::string lower = absl::AsciiStrToLower(text);
  for (const auto& [suffix, factor] : kUnits) {
    if (!absl::EndsWith(lower, suffix)) continue;
    absl::string_view number(lower);
    number.remove_suffix(suffix.size());
    double value = 0;
    const bool plain = !number.empty() &&
                       std::all_of(number.begin(), number.end(), [](char c) {
                         return absl::ascii_isdigit(c) || c == '.';
                       });
    if (!plain || !absl::SimpleAtod(number, &value) || value * factor > 9e18) {
      return std::nullopt;
    }
    return static_cast<int64_t>(std::llround(value * factor));
  }
  return std::nullopt;
}

// A bucket's allow-list entry: type/subtype or type/*.
bool IsMimePattern(const std::string& pattern) {
  if (absl::EndsWith(pattern, "/*")) {
    return CanonicalMediaType(
               absl::StrCat(pattern.substr(0, pattern.size() - 2), "/x"))
        .ok();
  }
  return CanonicalMediaType(pattern).ok();
}

// Supabase's user metadata, a JSON object of scalars, as strings.
absl::StatusOr<std::map<std::string, std::string>> MetadataFromJson(
    const std::string& text) {
  json object = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) {
    return absl::InvalidArgumentError("metadata must be a JSON object");
  }
  std::map<std::string, std::string> metadata;
  for (const auto& [key, value] : object.items()) {
    if (value.is_string()) {
      metadata[key] = value.get<std::string>();
    } else if (value.is_number() || value.is_boolean()) {
      metadata[key] = value.dump();
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "metadata value of \"", key, "\" must be a string, number or bool"));
    }
  }
  return metadata;
}

}  // namespace

absl::StatusOr<std::string> StringField(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_string() || it->get<std::string>().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("body must have required property '", key, "'"));
  }
  return it->get<std::string>();
}

absl::StatusOr<std::vector<std::string>> StringList(const json& body,
                                                    const char* key) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_array() || it->empty() ||
      it->size() > kMaxListedStrings) {
    return absl::InvalidArgumentError(
        absl::StrCat("body/", key, " must be a list of 1 to ",
                     kMaxListedStrings, " strings"));
  }
  std::vector<std::string> out;
  for (const json& item : *it) {
    if (!item.is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("body/", key, " must hold strings"));
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

absl::StatusOr<absl::Duration> ExpiresIn(const json& body) {
  auto it = body.find("expiresIn");
  if (it == body.end() || !it->is_number_integer() || it->get<int64_t>() < 1) {
    return SupabaseError(
        absl::InvalidArgumentError("Invalid Parameter expiresIn"), 400,
        "InvalidParameter");
  }
  return absl::Seconds(it->get<int64_t>());
}

absl::StatusOr<BucketQuery> ParseBucketQuery(const httplib::Request& req) {
  BucketQuery query;
  if (req.has_param("limit")) {
    uint64_t limit = 0;
    if (!absl::SimpleAtoi(req.get_param_value("limit"), &limit) || limit == 0) {
      return absl::InvalidArgumentError("querystring/limit must be >= 1");
    }
    query.limit = limit;
  }
  if (req.has_param("offset") &&
      !absl::SimpleAtoi(req.get_param_value("offset"), &query.offset)) {
    return absl::InvalidArgumentError("querystring/offset must be >= 0");
  }
  query.search = absl::AsciiStrToLower(req.get_param_value("search"));
  if (req.has_param("sortColumn")) {
    query.sort_column = req.get_param_value("sortColumn");
    if (query.sort_column != "id" && query.sort_column != "name" &&
        query.sort_column != "created_at" &&
        query.sort_column != "updated_at") {
      return absl::InvalidArgumentError(
          "querystring/sortColumn must be one of id, name, created_at, "
          "updated_at");
    }
  }
  const std::string order = req.get_param_value("sortOrder");
  if (!order.empty() && order != "asc" && order != "desc") {
    return absl::InvalidArgumentError(
        "querystring/sortOrder must be asc or desc");
  }
  query.descending = order == "desc";
  return query;
}

json BucketJson(const NamespaceRecord& ns) {
  const NamespacePolicies& policies = ns.policies;
  // A namespace of no user (created with the service key) has no owner.
  return {{"id", ns.name},
          {"name", ns.name},
          {"owner", ns.owner_id == kSystemOwner ? "" : ns.owner_id},
          {"public", ns.visibility == Visibility::kPublic},
          {"type", "STANDARD"},
          {"file_size_limit", policies.max_file_bytes
                                  ? json(*policies.max_file_bytes)
                                  : json(nullptr)},
          {"allowed_mime_types", policies.allowed_mime_types.empty()
                                     ? json(nullptr)
                                     : json(policies.allowed_mime_types)},
          {"created_at", IsoTime(ns.created_at)},
          // The catalog keeps no change time.
          {"updated_at", IsoTime(ns.created_at)}};
}

json BucketsJson(std::vector<NamespaceView> views, const BucketQuery& query) {
  std::vector<const NamespaceRecord*> selected;
  for (const NamespaceView& view : views) {
    if (absl::StrContains(absl::AsciiStrToLower(view.record.name),
                          query.search)) {
      selected.push_back(&view.record);
    }
  }
  // Names are ids, and a bucket's update time is its creation time.
  const bool by_time = absl::EndsWith(query.sort_column, "_at");
  std::stable_sort(selected.begin(), selected.end(),
                   [&](const NamespaceRecord* a, const NamespaceRecord* b) {
                     if (query.descending) std::swap(a, b);
                     return by_time ? a->created_at < b->created_at
                                    : a->name < b->name;
                   });
  json out = json::array();
  const uint64_t end =
      query.limit ? query.offset + *query.limit : selected.size();
  for (uint64_t i = query.offset; i < std::min<uint64_t>(end, selected.size());
       ++i) {
    out.push_back(BucketJson(*selected[i]));
  }
  return out;
}

absl::Status ApplyBucketFields(const json& body, NamespaceRecord& ns) {
  if (auto type = body.find("type");
      type != body.end() && !type->is_null() && *type != "STANDARD") {
    return absl::InvalidArgumentError("only STANDARD buckets are supported");
  }
  if (auto is_public = body.find("public"); is_public != body.end()) {
    if (!is_public->is_boolean()) {
      return absl::InvalidArgumentError("body/public must be boolean");
    }
    ns.visibility =
        is_public->get<bool>() ? Visibility::kPublic : Visibility::kPrivate;
  }
  NamespacePolicies& policies = ns.policies;
  if (auto limit = body.find("file_size_limit"); limit != body.end()) {
    std::optional<int64_t> bytes;
    if (limit->is_number_integer() && limit->get<int64_t>() >= 0) {
      bytes = limit->get<int64_t>();
    } else if (limit->is_string()) {
      bytes = ParseSize(limit->get<std::string>());
    }
    if (!limit->is_null() && !bytes) {
      return absl::InvalidArgumentError(
          "Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B");
    }
    policies.max_file_bytes = bytes;
  }
  if (auto types = body.find("allowed_mime_types"); types != body.end()) {
    if (!types->is_null() && !types->is_array()) {
      return absl::InvalidArgumentError(
          "body/allowed_mime_types must be a list of strings");
    }
    policies.allowed_mime_types.clear();
    for (const json& type : types->is_array() ? *types : json::array()) {
      const std::string text = type.is_string() ? type.get<std::string>() : "";
      if (type.is_string() && text.empty()) continue;
      if (!IsMimePattern(text)) {
        return UnsupportedMediaTypeError(
            absl::StrCat("mime type ", type.dump(), " is not supported"));
      }
      policies.allowed_mime_types.push_back(absl::AsciiStrToLower(text));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ObjectAttributes> AttributesFromHeaders(
    const httplib::Request& req) {
  ObjectAttributes attributes;
  attributes.cache_control = req.get_header_value("Cache-Control");
  const std::string encoded = req.get_header_value("x-metadata");
  if (!encoded.empty()) {
    std::string text;
    if (!absl::Base64Unescape(encoded, &text)) {
      return absl::InvalidArgumentError("x-metadata must be base64 of JSON");
    }
    ASSIGN_OR_RETURN(attributes.metadata, MetadataFromJson(text));
  }
  return attributes;
}

absl::StatusOr<ObjectAttributes> AttributesFromForm(
    const std::map<std::string, std::string>& fields) {
  ObjectAttributes attributes;
  if (auto it = fields.find("cacheControl"); it != fields.end()) {
    uint64_t seconds = 0;
    if (!absl::SimpleAtoi(it->second, &seconds)) {
      return absl::InvalidArgumentError("cacheControl must be seconds");
    }
    attributes.cache_control = absl::StrCat("max-age=", seconds);
  }
  if (auto it = fields.find("metadata"); it != fields.end()) {
    ASSIGN_OR_RETURN(attributes.metadata, MetadataFromJson(it->second));
  }
  return attributes;
}

std::string ObjectId(const FileInfo& file) {
  Sha256 hash;
  hash.Update(absl::StrCat(file.path, "#", file.generation));
  const std::string hex = hash.FinishHex();
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-",
                      hex.substr(12, 4), "-", hex.substr(16, 4), "-",
                      hex.substr(20, 12));
}

std::string ObjectKey(const std::string& bucket, const std::string& path) {
  return absl::StrCat(bucket, "/", path);
}

std::string IsoTime(int64_t unix_micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ",
                          absl::FromUnixMicros(unix_micros),
                          absl::UTCTimeZone());
}

json ObjectMetadataJson(const FileInfo& file) {
  return {{"eTag", absl::StrCat("\"", file.sha256, "\"")},
          {"size", file.size},
          {"mimetype", file.content_type.empty() ? MediaTypeForPath(file.path)
                                                 : file.content_type},
          {"cacheControl",
           file.cache_control.empty() ? "no-cache" : file.cache_control},
          {"lastModified", IsoTime(file.modified_unix_micros)},
          {"contentLength", file.size},
          {"httpStatusCode", 200}};
}

json InfoJson(const FileView& view) {
  const FileInfo& file = view.file;
  const json metadata = ObjectMetadataJson(file);
  return {
      {"id", ObjectId(file)},
      {"name", file.path.substr(view.ns.name.size() + 2)},
      {"version", std::to_string(file.generation)},
      {"bucket_id", view.ns.name},
      {"size", file.size},
      {"content_type", metadata["mimetype"]},
      {"cache_control", metadata["cacheControl"]},
      {"etag", metadata["eTag"]},
      {"metadata", file.metadata.empty() ? json(nullptr) : json(file.metadata)},
      {"last_modified", IsoTime(file.modified_unix_micros)},
      {"created_at", IsoTime(file.created_unix_micros)}};
}

json DeletedObjectJson(const std::string& bucket, const std::string& path) {
  return {{"name", path}, {"bucket_id", bucket}};
}

SendOptions DownloadOptions(const httplib::Request& req) {
  SendOptions options;
  if (req.has_param("download")) {
    options.disposition = Disposition::kAttachment;
    options.attachment_name = req.get_param_value("download");
  }
  return options;
}

}  // namespace sfs::frontend
