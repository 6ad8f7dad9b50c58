#include "common/server_flags.h"

#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/flags.h"
#include "common/log.h"

ABSL_FLAG(std::string, log_format, "text",
          "log lines as \"text\" or as \"json\" objects");
ABSL_FLAG(bool, log_rpcs, false,
          "log every gRPC call answered, with its status and latency");
ABSL_FLAG(bool, check_flags, false,
          "parse the command line, then exit 0 without serving");

namespace sfs {

ServerFlags ParseServerCommandLine(int argc, char** argv,
                                   absl::string_view log_name) {
  NormalizeFlagNames(argc, argv);
  absl::ParseCommandLine(argc, argv);
  SetLogName(log_name);
  const std::string format = absl::GetFlag(FLAGS_log_format);
  if (format == "json") {
    SetLogFormat(LogFormat::kJson);
  } else if (format != "text") {
    Log("fatal: --log_format must be text or json, not \"", format, "\"");
    std::exit(1);
  }
  if (absl::GetFlag(FLAGS_check_flags)) std::exit(0);
  return ServerFlags{absl::GetFlag(FLAGS_log_rpcs)};
}

}  // namespace sfs
