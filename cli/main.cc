// sfs: the operator and developer command line.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cli/accounts.h"
#include "cli/local_cluster.h"
#include "cli/transfer.h"
#include "client-lib/client.h"
#include "common/cert_authority.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/process_settings.h"
#include "common/signals.h"

ABSL_FLAG(std::string, master, "",
          "master address (default $SFS_MASTER or localhost:9000)");
ABSL_FLAG(std::string, tls_dir, "",
          "cluster certificate to present (default $SFS_TLS_DIR, else "
          "<--data>/tls/admin when it exists, else plaintext)");
ABSL_FLAG(bool, json, false, "stat, status, fsck: print JSON");
ABSL_FLAG(std::string, content_type, "", "put: content type to record");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(30),
          "deadline of each metadata call");
// `sfs up`
ABSL_FLAG(std::string, data, "./.sfs-data",
          "up: directory for every process's data");
ABSL_FLAG(int, master_port, 9000, "up: master port");
ABSL_FLAG(absl::Duration, validity, absl::Hours(24 * 825),
          "certs: how long the certificates stay valid");
ABSL_FLAG(int, chunkserver_port, 9101,
          "up: port of the first chunkserver (then +1 each)");
ABSL_FLAG(int, http_port, 8080, "up: frontend HTTP port");
ABSL_FLAG(int, ops_port, 9001,
          "up: master's /healthz, /readyz, /metrics port; the chunkservers' "
          "follow it (0: none)");
ABSL_FLAG(int, chunkservers, 4, "up: number of chunkservers (rp1..rpN)");
ABSL_FLAG(absl::Duration, heartbeat, absl::Seconds(2),
          "up: chunkserver heartbeat interval");
ABSL_FLAG(absl::Duration, dead_after, absl::Seconds(15),
          "up: a chunkserver silent this long is dead");
ABSL_FLAG(std::string, master_args, "",
          "up: extra sfs-master flags, space-separated");
ABSL_FLAG(std::string, chunkserver_args, "", "up: extra sfs-chunkserver flags");
ABSL_FLAG(std::string, frontend_args, "", "up: extra sfs-frontend flags");
ABSL_FLAG(bool, cluster_tls, true,
          "up: mutual TLS between the processes (false: plaintext)");
ABSL_FLAG(std::string, web, SFS_WEB_DIR,
          "up: web UI folder the frontend serves at / (empty: none)");
ABSL_FLAG(bool, restart, true,
          "up: restart a process that exits on its own, with growing pauses "
          "(false: leave it down)");

namespace sfs {
namespace {

constexpr char kUsage[] =
    "sfs COMMAND [flags] ARGS\n"
    "  up [--data DIR] [--master-port P] [--http-port P] [--chunkservers N]\n"
    "     [--heartbeat D] [--dead-after D] [--restart=false]\n"
    "                            run a local cluster in the foreground\n"
    "  put LOCAL|- /ns/path      upload a file (or stdin); again: resumes\n"
    "  get /ns/path LOCAL|-      download a file (or to stdout)\n"
    "  ls /ns/[prefix]           list files\n"
    "  rm /ns/path               delete a file\n"
    "  cp /ns/path /ns2/path     copy a file (shares its chunks; replaces)\n"
    "  mv /ns/path /ns2/path     rename a file with its old versions\n"
    "  stat /ns/path [--json]    size, checksum, chunks and their replicas\n"
    "  status [--json]           chunkservers: address, rack, liveness, space\n"
    "  fsck [--json]             replication health (exit 1 when not clean)\n"
    "  admin checkpoint NAME     master writes an online metadata copy to\n"
    "                            NAME under its --backup_dir\n"
    "  user add|del|list [NAME] [--admin] [--catalog C]   frontend accounts\n"
    "  token --user U [--admin] [--ttl D] [--data DIR]    mint a session JWT\n"
    "  token create --user U --scopes S,S [--ttl D]       create an API token\n"
    "  share /ns/path [--expires 15m] [--put] [--http URL]  signed URL\n"
    "  certs DIR ROLE:NAME...    cluster CA (made once) and certificates\n"
    "                            (ROLE: master, chunkserver, frontend, admin)\n"
    "Flags: --master host:port (or $SFS_MASTER), --tls_dir DIR (or\n"
    "$SFS_TLS_DIR), --timeout D";

using Args = std::vector<std::string>;

// A failed command: one line on stderr and exit status 1.
int Fail(const std::string& command, const absl::Status& status) {
  fprintf(stderr, "sfs %s: %s (%s)\n", command.c_str(),
          std::string(status.message()).c_str(),
          absl::StatusCodeToString(status.code()).c_str());
  return 1;
}

int UsageError(const std::string& message) {
  fprintf(stderr, "sfs: %s\n%s\n", message.c_str(), kUsage);
  return 2;
}

std::string Time(int64_t unix_micros) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S",
                          absl::FromUnixMicros(unix_micros),
                          absl::UTCTimeZone());
}

nlohmann::json ToJson(const FileInfo& f) {
  nlohmann::json chunks = nlohmann::json::array();
  for (const ChunkInfo& c : f.chunks) {
    nlohmann::json replicas = nlohmann::json::array();
    for (const ReplicaInfo& r : c.replicas) {
      replicas.push_back({{"server_id", r.server_id},
                          {"address", r.address},
                          {"rack", r.rack}});
    }
    chunks.push_back({{"handle", c.handle},
                      {"version", c.version},
                      {"length", c.length},
                      {"crc32c", c.crc32c},
                      {"replicas", replicas}});
  }
  return {{"path", f.path},
          {"size", f.size},
          {"sha256", f.sha256},
          {"content_type", f.content_type},
          {"created_unix_micros", f.created_unix_micros},
          {"modified_unix_micros", f.modified_unix_micros},
          {"chunks", chunks}};
}

int Stat(Client* client, const Args& args) {
  if (args.size() != 1) return UsageError("stat takes one path");
  auto info = client->Stat(args[0]);
  if (!info.ok()) return Fail("stat", info.status());
  if (absl::GetFlag(FLAGS_json)) {
    printf("%s\n", ToJson(*info).dump(2).c_str());
    return 0;
  }
  printf(
      "path:     %s\nsize:     %llu\nsha256:   %s\ntype:     %s\nmodified: "
      "%s\nchunks:   %zu\n",
      info->path.c_str(), static_cast<unsigned long long>(info->size),
      info->sha256.c_str(), info->content_type.c_str(),
      Time(info->modified_unix_micros).c_str(), info->chunks.size());
  for (const ChunkInfo& c : info->chunks) {
    std::string replicas;
    for (const ReplicaInfo& r : c.replicas) {
      absl::StrAppend(&replicas, replicas.empty() ? "" : " ", r.address, "(",
                      r.rack, ")");
    }
    printf("  chunk %llu v%llu %llu bytes: %s\n",
           static_cast<unsigned long long>(c.handle),
           static_cast<unsigned long long>(c.version),
           static_cast<unsigned long long>(c.length), replicas.c_str());
  }
  return 0;
}

int Status(Client* client, const Args& args) {
  auto status = client->Status();
  if (!status.ok()) return Fail("status", status.status());
  if (absl::GetFlag(FLAGS_json)) {
    nlohmann::json servers = nlohmann::json::array();
    for (const ChunkserverStatus& s : status->chunkservers) {
      servers.push_back(
          {{"server_id", s.server_id},
           {"address", s.address},
           {"rack", s.rack},
           {"alive", s.alive},
           {"chunk_count", s.chunk_count},
           {"used_bytes", s.used_bytes},
           {"free_bytes", s.free_bytes},
           {"last_heartbeat_unix_micros", s.last_heartbeat_unix_micros},
           {"disk_failed", s.disk_failed}});
    }
    nlohmann::json out = {
        {"chunkservers", servers},
        {"safe_mode", status->safe_mode},
        {"replication_backlog", status->replication_backlog},
        {"under_replicated_chunks", status->under_replicated_chunks},
        {"corrupt_replicas", status->corrupt_replicas},
        {"file_count", status->file_count},
        {"chunk_count", status->chunk_count},
        {"replication_factor", status->replication_factor}};
    printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  printf("%-10s %-22s %-6s %-5s %8s %12s %12s\n", "ID", "ADDRESS", "RACK",
         "ALIVE", "CHUNKS", "USED_MIB", "FREE_MIB");
  for (const ChunkserverStatus& s : status->chunkservers) {
    printf("%-10s %-22s %-6s %-5s %8llu %12.1f %12.1f\n", s.server_id.c_str(),
           s.address.c_str(), s.rack.c_str(),
           !s.alive        ? "NO"
           : s.disk_failed ? "DISK"
                           : "yes",
           static_cast<unsigned long long>(s.chunk_count),
           s.used_bytes / 1048576.0, s.free_bytes / 1048576.0);
  }
  printf(
      "files: %llu  chunks: %llu  replication: %u  under-replicated: %llu  "
      "clones in flight: %llu  corrupt replicas found: %llu%s\n",
      static_cast<unsigned long long>(status->file_count),
      static_cast<unsigned long long>(status->chunk_count),
      status->replication_factor,
      static_cast<unsigned long long>(status->under_replicated_chunks),
      static_cast<unsigned long long>(status->replication_backlog),
      static_cast<unsigned long long>(status->corrupt_replicas),
      status->safe_mode ? "  SAFE MODE" : "");
  return 0;
}

int Fsck(Client* client, const Args& args) {
  auto report = client->Fsck();
  if (!report.ok()) return Fail("fsck", report.status());
  nlohmann::json out = {
      {"files", report->files},
      {"chunks", report->chunks},
      {"healthy_chunks", report->healthy_chunks},
      {"under_replicated_chunks", report->under_replicated_chunks},
      {"over_replicated_chunks", report->over_replicated_chunks},
      {"missing_chunks", report->missing_chunks},
      {"corrupt_replicas", report->corrupt_replicas},
      {"replication_backlog", report->replication_backlog},
      {"pending_uploads", report->pending_uploads},
      {"dead_chunkservers", report->dead_chunkservers},
      {"safe_mode", report->safe_mode},
      {"clean", report->clean()}};
  if (absl::GetFlag(FLAGS_json)) {
    out["problems"] = report->problems;
    printf("%s\n", out.dump(2).c_str());
  } else {
    for (const auto& [key, value] : out.items()) {
      if (key != "clean")
        printf("%-24s %s\n", key.c_str(), value.dump().c_str());
    }
    for (const std::string& p : report->problems) printf("  %s\n", p.c_str());
    printf("%s\n", report->clean() ? "CLEAN" : "NOT CLEAN");
  }
  return report->clean() ? 0 : 1;
}

int Ls(Client* client, const Args& args) {
  if (args.size() != 1) return UsageError("ls takes one prefix, e.g. /ns/");
  std::string cursor;
  do {
    auto page = client->List(args[0], cursor);
    if (!page.ok()) return Fail("ls", page.status());
    for (const FileInfo& f : page->files) {
      printf("%12llu  %s  %s\n", static_cast<unsigned long long>(f.size),
             Time(f.modified_unix_micros).c_str(), f.path.c_str());
    }
    cursor = page->next_start_after;
  } while (!cursor.empty());
  return 0;
}

int Rm(Client* client, const Args& args) {
  if (args.size() != 1) return UsageError("rm takes one path");
  absl::Status status = client->Delete(args[0]);
  return status.ok() ? 0 : Fail("rm", status);
}

// One line for a file a command wrote.
void PrintWritten(const FileInfo& info) {
  printf("%s %llu bytes sha256 %s\n", info.path.c_str(),
         static_cast<unsigned long long>(info.size), info.sha256.c_str());
}

int Cp(Client* client, const Args& args) {
  if (args.size() != 2) return UsageError("cp takes /ns/path and /ns/path");
  auto info = client->Copy(args[0], 0, args[1]);
  if (!info.ok()) return Fail("cp", info.status());
  PrintWritten(*info);
  return 0;
}

int Mv(Client* client, const Args& args) {
  if (args.size() != 2) return UsageError("mv takes /ns/path and /ns/path");
  auto info = client->Move(args[0], args[1], /*overwrite=*/true);
  if (!info.ok()) return Fail("mv", info.status());
  PrintWritten(*info);
  return 0;
}

int Put(Client* client, const Args& args) {
  if (args.size() != 2) return UsageError("put takes LOCAL|- and /ns/path");
  auto info = PutFile(client, args[0], args[1],
                      absl::GetFlag(FLAGS_content_type), isatty(STDERR_FILENO));
  if (!info.ok()) return Fail("put", info.status());
  PrintWritten(*info);
  return 0;
}

int Get(Client* client, const Args& args) {
  if (args.size() != 2) return UsageError("get takes /ns/path and LOCAL|-");
  absl::Status status =
      GetFile(client, args[0], args[1], isatty(STDERR_FILENO));
  return status.ok() ? 0 : Fail("get", status);
}

int Admin(Client* client, const Args& args) {
  if (args.size() != 2 || args[0] != "checkpoint") {
    return UsageError("admin takes: checkpoint NAME");
  }
  auto checkpoint = client->Checkpoint(args[1]);
  if (!checkpoint.ok()) return Fail("admin checkpoint", checkpoint.status());
  printf("checkpoint of %llu files written to %s on the master\n",
         static_cast<unsigned long long>(checkpoint->files),
         checkpoint->path.c_str());
  return 0;
}

// `sfs certs DIR ROLE:NAME...`
int Certs(const Args& args) {
  if (args.size() < 2) return UsageError("certs takes DIR and ROLE:NAME...");
  std::vector<CertificateRequest> requests;
  for (size_t i = 1; i < args.size(); ++i) {
    std::vector<std::string> parts = absl::StrSplit(args[i], ':');
    absl::StatusOr<ClusterRole> role = ParseRole(parts[0]);
    if (!role.ok()) return Fail("certs", role.status());
    if (parts.size() != 2 || parts[1].empty() ||
        parts[1].find('/') != std::string::npos || parts[1][0] == '.') {
      return UsageError("certs: \"" + args[i] + "\" is not ROLE:NAME");
    }
    requests.push_back({*role, parts[1]});
  }
  absl::Status made = EnsureClusterCertificates(args[0], requests,
                                                absl::GetFlag(FLAGS_validity));
  if (!made.ok()) return Fail("certs", made);
  for (const CertificateRequest& request : requests) {
    printf("%s/%s: %s\n", args[0].c_str(), request.name.c_str(),
           std::string(RoleName(request.role)).c_str());
  }
  return 0;
}

// --tls_dir, else $SFS_TLS_DIR, else the admin certificate `sfs up` made
// under --data, else none.
std::string TlsDir() {
  std::string dir = absl::GetFlag(FLAGS_tls_dir);
  if (!dir.empty()) return dir;
  const char* env = getenv("SFS_TLS_DIR");
  if (env != nullptr && *env) return env;
  dir = absl::GetFlag(FLAGS_data) + "/tls/admin";
  return access((dir + "/tls.crt").c_str(), R_OK) == 0 ? dir : "";
}

int Up(const Args& args) {
  LocalClusterOptions options;
  options.data_dir = absl::GetFlag(FLAGS_data);
  options.master_port = absl::GetFlag(FLAGS_master_port);
  options.first_chunkserver_port = absl::GetFlag(FLAGS_chunkserver_port);
  options.http_port = absl::GetFlag(FLAGS_http_port);
  options.first_ops_port = absl::GetFlag(FLAGS_ops_port);
  options.chunkservers = absl::GetFlag(FLAGS_chunkservers);
  options.heartbeat = absl::GetFlag(FLAGS_heartbeat);
  options.dead_after = absl::GetFlag(FLAGS_dead_after);
  options.master_args = absl::GetFlag(FLAGS_master_args);
  options.chunkserver_args = absl::GetFlag(FLAGS_chunkserver_args);
  options.frontend_args = absl::GetFlag(FLAGS_frontend_args);
  options.web_dir = absl::GetFlag(FLAGS_web);
  options.tls = absl::GetFlag(FLAGS_cluster_tls);
  options.restart = absl::GetFlag(FLAGS_restart);
  if (options.chunkservers < 1)
    return UsageError("--chunkservers must be at least 1");
  SetLogName("sfs-up");
  LocalCluster cluster(options);
  absl::Status status = cluster.Start();
  if (!status.ok()) return Fail("up", status);
  Log("master on 127.0.0.1:", options.master_port, ", ", options.chunkservers,
      " chunkservers from port ", options.first_chunkserver_port,
      ", frontend on http://127.0.0.1:", options.http_port,
      options.first_ops_port == 0
          ? std::string()
          : absl::StrCat(", metrics from http://127.0.0.1:",
                         options.first_ops_port, "/metrics"),
      ", data in ", options.data_dir, ". Ctrl-C stops everything.");
  std::string why = cluster.Supervise();
  Log(why, ": stopping the cluster");
  cluster.Stop();
  return 0;
}

}  // namespace
}  // namespace sfs

int main(int argc, char** argv) {
  sfs::ConfigureMalloc();
  sfs::SkipMutexDeadlockDetection();
  sfs::BlockTerminationSignals();
  sfs::NormalizeFlagNames(argc, argv);
  absl::SetProgramUsageMessage(sfs::kUsage);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() < 2) return sfs::UsageError("no command given");
  std::string command = positional[1];
  sfs::Args args(positional.begin() + 2, positional.end());
  if (command == "up") return sfs::Up(args);
  if (command == "certs") return sfs::Certs(args);
  if (command == "user") return sfs::UserCommand(args);
  if (command == "token") return sfs::TokenCommand(args);
  if (command == "share") return sfs::ShareCommand(args);

  using Handler = std::function<int(sfs::Client*, const sfs::Args&)>;
  static const std::map<std::string, Handler> kCommands = {
      {"put", sfs::Put},    {"get", sfs::Get},       {"ls", sfs::Ls},
      {"rm", sfs::Rm},      {"cp", sfs::Cp},         {"mv", sfs::Mv},
      {"stat", sfs::Stat},  {"status", sfs::Status}, {"fsck", sfs::Fsck},
      {"admin", sfs::Admin}};
  auto handler = kCommands.find(command);
  if (handler == kCommands.end())
    return sfs::UsageError("unknown command '" + command + "'");

  sfs::ClientOptions options;
  options.master_address = absl::GetFlag(FLAGS_master);
  if (options.master_address.empty()) {
    const char* env = getenv("SFS_MASTER");
    options.master_address = env != nullptr && *env ? env : "localhost:9000";
  }
  options.tls_dir = sfs::TlsDir();
  options.rpc_timeout = absl::GetFlag(FLAGS_timeout);
  auto client = sfs::Client::Connect(options);
  if (!client.ok()) return sfs::Fail(command, client.status());
  return handler->second(client->get(), args);
}
