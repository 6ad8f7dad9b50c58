// `sfs user` and `sfs token`: the accounts the HTTP frontend authenticates,
// kept in its catalog (--catalog, default <--data>/frontend), and tokens
// for them.
//
//   sfs user add NAME [--admin]    password from $SFS_PASSWORD or stdin
//   sfs user del NAME
//   sfs user list
//   sfs token --user U [--admin] [--ttl D]         an HS256 session JWT
//                                                  signed with
//                                                  <--data>/jwt.secret
//   sfs token create --user U --scopes S1,S2 [--ttl D]   an API token; its
//                                                  secret is printed once
//   sfs share /ns/path [--expires D] [--put] [--http URL]
//                                  a signed download (or upload) URL from
//                                  the frontend, as $SFS_TOKEN or, without
//                                  it, as the local cluster's admin
#ifndef SFS_CLI_ACCOUNTS_H_
#define SFS_CLI_ACCOUNTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sfs {

int UserCommand(const std::vector<std::string>& args);
int TokenCommand(const std::vector<std::string>& args);
int ShareCommand(const std::vector<std::string>& args);

// The path of the frontend's HS256 secret in `data_dir`, creating the file
// (32 random bytes, hex, mode 0600) on first use, so `sfs up` and
// `sfs token --data` agree without configuration.
absl::StatusOr<std::string> EnsureJwtSecretFile(const std::string& data_dir);

}  // namespace sfs

#endif  // SFS_CLI_ACCOUNTS_H_
