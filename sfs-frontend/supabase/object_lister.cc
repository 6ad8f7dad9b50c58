#include "sfs-frontend/supabase/object_lister.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "sfs-frontend/supabase/supabase_json.h"

namespace sfs::frontend {
namespace {

using nlohmann::json;

struct Entry {
  std::string name;  // relative to the folder; a folder's without '/'
  std::optional<FileInfo> file;
};

json EntryJson(const Entry& entry) {
  if (!entry.file) {
    return {{"name", entry.name},          {"id", nullptr},
            {"updated_at", nullptr},       {"created_at", nullptr},
            {"last_accessed_at", nullptr}, {"metadata", nullptr}};
  }
  const FileInfo& file = *entry.file;
  return {{"name", entry.name},
          {"id", ObjectId(file)},
          {"updated_at", IsoTime(file.modified_unix_micros)},
          {"created_at", IsoTime(file.created_unix_micros)},
          {"last_accessed_at", IsoTime(file.modified_unix_micros)},
          {"metadata", ObjectMetadataJson(file)}};
}

// Supabase's orders: by name, folders and files together (in byte order,
// the listing's own, where Supabase ignores case); by a time, folders
// (which have none) first by name, then files.
void Sort(std::vector<Entry>& entries, const ObjectQuery& query) {
  const bool by_created = query.sort_column == "created_at";
  const bool by_name = query.sort_column == "name";
  auto key = [&](const Entry& e) {
    return by_created ? e.file->created_unix_micros
                      : e.file->modified_unix_micros;
  };
  std::stable_sort(entries.begin(), entries.end(),
                   [&](const Entry& a, const Entry& b) {
                     if (!by_name && a.file.has_value() != b.file.has_value()) {
                       return !a.file.has_value();
                     }
                     const Entry* x = query.descending ? &b : &a;
                     const Entry* y = query.descending ? &a : &b;
                     if (by_name || !a.file) return x->name < y->name;
                     return key(*x) < key(*y);
                   });
}

}  // namespace

absl::StatusOr<ObjectQuery> ParseObjectQuery(const json& body) {
  ObjectQuery query;
  auto prefix = body.find("prefix");
  if (prefix == body.end() || !prefix->is_string()) {
    return absl::InvalidArgumentError(
        "body must have required property 'prefix'");
  }
  query.folder = prefix->get<std::string>();
  // A prefix is always a folder.
  if (!query.folder.empty() && query.folder.back() != '/') query.folder += '/';
  if (auto search = body.find("search");
      search != body.end() && search->is_string()) {
    query.search = search->get<std::string>();
  }
  if (auto limit = body.find("limit"); limit != body.end()) {
    if (!limit->is_number_integer() || limit->get<int64_t>() < 1 ||
        limit->get<int64_t>() > 1000) {
      return absl::InvalidArgumentError("body/limit must be 1 to 1000");
    }
    query.limit = limit->get<uint32_t>();
  }
  if (auto offset = body.find("offset"); offset != body.end()) {
    if (!offset->is_number_integer() || offset->get<int64_t>() < 0) {
      return absl::InvalidArgumentError("body/offset must be >= 0");
    }
    query.offset = offset->get<uint64_t>();
  }
  if (auto sort = body.find("sortBy");
      sort != body.end() && sort->is_object()) {
    query.sort_column = sort->value("column", "name");
    const std::string order = sort->value("order", "asc");
    if (query.sort_column != "name" && query.sort_column != "updated_at" &&
        query.sort_column != "created_at" &&
        query.sort_column != "last_accessed_at") {
      return absl::InvalidArgumentError(
          "body/sortBy/column must be one of name, updated_at, created_at, "
          "last_accessed_at");
    }
    if (order != "asc" && order != "desc") {
      return absl::InvalidArgumentError(
          "body/sortBy/order must be asc or desc");
    }
    query.descending = order == "desc";
  }
  return query;
}

absl::StatusOr<json> ListObjects(FileService& files, const Identity& caller,
                                 const std::string& bucket,
                                 const ObjectQuery& query) {
  const bool letters =
      std::any_of(query.search.begin(), query.search.end(),
                  [](char c) { return absl::ascii_isalpha(c); });
  // In the listing's own order, only offset + limit entries are needed.
  const bool in_order =
      query.sort_column == "name" && !query.descending && !letters;
  ListRequest request;
  request.folders = true;
  // A search without letters is a plain prefix; one with letters matches
  // either case, so the whole folder is read.
  request.prefix = letters ? query.folder : query.folder + query.search;
  std::vector<Entry> entries;
  std::string last_folder;
  uint64_t skipped = 0;
  const int max_pages = in_order ? kMaxInOrderListPages : kMaxListPages;
  for (int page = 0;; ++page) {
    if (page == max_pages) {
      return absl::InvalidArgumentError(
          in_order ? absl::StrCat(
                         "offset ", query.offset, " reaches past the first ",
                         max_pages * request.limit, " files of this folder")
                   : absl::StrCat("this folder holds more than ",
                                  max_pages * request.limit,
                                  " files; list it by name, ascending, "
                                  "without a search"));
    }
    ASSIGN_OR_RETURN(Listing listing, files.List(caller, bucket, request));
    for (Listing::Entry& item : listing.entries) {
      Entry entry;
      if (item.file) {
        entry.name =
            item.file->path.substr(bucket.size() + 2 + query.folder.size());
        entry.file = std::move(item.file);
      } else {
        entry.name = item.folder.substr(
            query.folder.size(), item.folder.size() - query.folder.size() - 1);
        // A folder whose files span two pages is listed by both.
        if (entry.name == last_folder) continue;
        last_folder = entry.name;
      }
      if (!absl::StartsWithIgnoreCase(entry.name, query.search)) continue;
      if (in_order && skipped < query.offset) {
        ++skipped;
        continue;
      }
      entries.push_back(std::move(entry));
      if (in_order && entries.size() == query.limit) break;
    }
    if (listing.next_cursor.empty() ||
        (in_order && entries.size() == query.limit)) {
      break;
    }
    request.cursor = listing.next_cursor;
  }
  json out = json::array();
  if (in_order) {
    for (const Entry& entry : entries) out.push_back(EntryJson(entry));
    return out;
  }
  Sort(entries, query);
  const uint64_t end =
      std::min<uint64_t>(entries.size(), query.offset + query.limit);
  for (uint64_t i = query.offset; i < end; ++i) {
    out.push_back(EntryJson(entries[i]));
  }
  return out;
}

}  // namespace sfs::frontend
