// Early-return helpers for absl::Status / absl::StatusOr, in the style of
// Kudu's RETURN_NOT_OK: the error keeps its code so callers can branch on it.
#ifndef SFS_COMMON_STATUS_MACROS_H_
#define SFS_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SFS_CONCAT_INNER_(a, b) a##b
#define SFS_CONCAT_(a, b) SFS_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                  \
  do {                                         \
    ::absl::Status sfs_status_ = (expr);       \
    if (!sfs_status_.ok()) return sfs_status_; \
  } while (0)

// `lhs = value of expr`, or returns its status from the enclosing function.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(SFS_CONCAT_(sfs_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

namespace sfs {

// Returns `status` with `context: ` put before its message, code unchanged.
absl::Status Annotate(const absl::Status& status, absl::string_view context);

}  // namespace sfs

#endif  // SFS_COMMON_STATUS_MACROS_H_
