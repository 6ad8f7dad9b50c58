// Command-line conventions shared by every SFS binary.
#ifndef SFS_COMMON_FLAGS_H_
#define SFS_COMMON_FLAGS_H_

namespace sfs {

// Rewrites "--dead-after=5s" as "--dead_after=5s" in place, so flags may be
// spelled with hyphens (as documented) while absl flags use underscores.
// Stops at "--", after which arguments are positional.
void NormalizeFlagNames(int argc, char** argv);

}  // namespace sfs

#endif  // SFS_COMMON_FLAGS_H_
