// POST /object/list for the supabase dialect: one folder level of a bucket,
// Supabase's way (storage.search): names relative to the folder, folders
// first-class entries, a case-insensitive name prefix as the search, any
// sort column, offset and limit.
//
// Cost is bounded: sorted by name ascending with a search of no letters
// (what storage-js sends by default), the folder is read in order only as
// far as offset + limit entries, keeping only those answered, up to
// kMaxInOrderListPages pages of the master's listing; any other sort or
// search reads and sorts the whole folder, up to kMaxListPages pages (400
// beyond either, saying so). Names sort in byte order (Supabase ignores
// case).
#ifndef SFS_FRONTEND_SUPABASE_OBJECT_LISTER_H_
#define SFS_FRONTEND_SUPABASE_OBJECT_LISTER_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "sfs-frontend/files/file_service.h"

namespace sfs::frontend {

struct ObjectQuery {
  std::string folder;  // "" or ending in "/"
  std::string search;  // a name prefix, any case
  uint32_t limit = 100;
  uint64_t offset = 0;
  // name, updated_at, created_at or last_accessed_at.
  std::string sort_column = "name";
  bool descending = false;
};

// The body storage-js sends: prefix, limit, offset, sortBy {column, order},
// search.
absl::StatusOr<ObjectQuery> ParseObjectQuery(const nlohmann::json& body);

inline constexpr int kMaxListPages = 20;
inline constexpr int kMaxInOrderListPages = 100;

// The entries `query` selects in `bucket` as `caller` may see them:
// {"name", "id", "updated_at", "created_at", "last_accessed_at",
// "metadata"}, with nulls but the name for folders.
absl::StatusOr<nlohmann::json> ListObjects(FileService& files,
                                           const Identity& caller,
                                           const std::string& bucket,
                                           const ObjectQuery& query);

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SUPABASE_OBJECT_LISTER_H_
