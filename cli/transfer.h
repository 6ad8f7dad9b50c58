// The data-moving CLI commands, kept apart from argument parsing: copy a
// local file or stdin into the cluster, and a cluster file out to a local
// file or stdout, in bounded pieces, with an optional progress line.
#ifndef SFS_CLI_TRANSFER_H_
#define SFS_CLI_TRANSFER_H_

#include <string>

#include "absl/status/statusor.h"
#include "client-lib/client.h"

namespace sfs {

// `local` is a file path or "-" for stdin. Returns the stored file's info.
// A local file's upload is resumable: "<local>.sfs-upload" names it while
// it runs, and if this process is interrupted the next PutFile of the same
// file (size and mtime) to the same path continues from what the cluster
// committed (all but the chunk being written).
absl::StatusOr<FileInfo> PutFile(Client* client, const std::string& local,
                                 const std::string& remote,
                                 const std::string& content_type,
                                 bool show_progress);

// `local` is a file path or "-" for stdout. A local file appears only when
// complete: bytes go to "<local>.sfs-partial", renamed at the end.
absl::Status GetFile(Client* client, const std::string& remote,
                     const std::string& local, bool show_progress);

}  // namespace sfs

#endif  // SFS_CLI_TRANSFER_H_
