#include "cli/transfer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"

namespace sfs {
namespace {

constexpr size_t kPieceBytes = 1 << 20;

// A one-line progress display on stderr, redrawn at most every 200 ms.
class ProgressLine {
 public:
  ProgressLine(bool enabled, uint64_t total)
      : enabled_(enabled), total_(total) {}
  ~ProgressLine() {
    if (enabled_ && drawn_) fputs("\n", stderr);
  }

  void Update(uint64_t done, bool force = false) {
    absl::Time now = absl::Now();
    if (!enabled_ || (!force && now - last_ < absl::Milliseconds(200))) return;
    last_ = now;
    drawn_ = true;
    double seconds = std::max(1e-3, absl::ToDoubleSeconds(now - start_));
    double mib = done / 1048576.0;
    if (total_ > 0) {
      fprintf(stderr, "\r%8.1f / %.1f MiB %5.1f%% %7.1f MiB/s", mib,
              total_ / 1048576.0, 100.0 * done / total_, mib / seconds);
    } else {
      fprintf(stderr, "\r%8.1f MiB %7.1f MiB/s", mib, mib / seconds);
    }
    fflush(stderr);
  }

 private:
  const bool enabled_;
  const uint64_t total_;
  const absl::Time start_ = absl::Now();
  absl::Time last_ = absl::InfinitePast();
  bool drawn_ = false;
};

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, " ", path, ": ", strerror(errno)));
}

// Writes all of `data` to fd.
absl::Status WriteAll(int fd, const char* data, size_t n,
                      const std::string& path) {
  while (n > 0) {
    ssize_t w = write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot write", path);
    }
    data += w;
    n -= w;
  }
  return absl::OkStatus();
}

}  // namespace

namespace {

// What `put` keeps beside a local file while it uploads it
// ("<local>.sfs-upload"): the upload to resume, and what it was for.
struct PutState {
  std::string upload_id;
  std::string remote;
  uint64_t size = 0;
  int64_t mtime_ns = 0;

  std::string Encode() const {
    return nlohmann::json{{"upload_id", upload_id},
                          {"remote", remote},
                          {"size", size},
                          {"mtime_ns", mtime_ns}}
        .dump();
  }
  // The state saved for `remote` and this very file, if any.
  static std::optional<PutState> Load(const std::string& path,
                                      const PutState& wanted) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json json =
        nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (!json.is_object() || !json["upload_id"].is_string() ||
        json["remote"] != wanted.remote || json["size"] != wanted.size ||
        json["mtime_ns"] != wanted.mtime_ns) {
      return std::nullopt;
    }
    PutState state = wanted;
    state.upload_id = json["upload_id"].get<std::string>();
    return state;
  }
};

}  // namespace

absl::StatusOr<FileInfo> PutFile(Client* client, const std::string& local,
                                 const std::string& remote,
                                 const std::string& content_type,
                                 bool show_progress) {
  int fd =
      local == "-" ? STDIN_FILENO : open(local.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return absl::NotFoundError(
        absl::StrCat("cannot open ", local, ": ", strerror(errno)));
  struct stat st;
  const bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  uint64_t total = regular ? st.st_size : 0;
  auto finish = [&](absl::Status status) {
    if (fd != STDIN_FILENO) close(fd);
    return status;
  };

  CreateOptions create;
  create.content_type = content_type;
  // A regular file's upload survives this process: interrupted, it stays
  // pending in the cluster, and the next `put` of the same file to the same
  // path continues it from what the cluster committed.
  create.resumable = regular;
  // The size, when known, reserves the bytes from the start and brings the
  // first chunk with the upload.
  create.reserve_bytes = total;
  const std::string state_path = local + ".sfs-upload";
  PutState wanted{"", remote, total,
                  static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 +
                      st.st_mtim.tv_nsec};
  std::optional<PutState> saved;
  if (regular) saved = PutState::Load(state_path, wanted);
  absl::StatusOr<std::unique_ptr<FileWriter>> writer;
  PendingUpload resumed;
  if (saved) {
    writer = client->Resume(saved->upload_id, create, &resumed);
    if (writer.ok() && (resumed.path != remote ||
                        lseek(fd, resumed.committed_bytes, SEEK_SET) < 0)) {
      writer = absl::FailedPreconditionError("saved upload does not fit");
    }
    if (writer.ok()) {
      fprintf(stderr, "sfs put: resuming %s at byte %llu\n", remote.c_str(),
              static_cast<unsigned long long>(resumed.committed_bytes));
    }
  }
  if (!writer.ok() || !saved) {
    // Nothing to resume (expired, completed, another file): from the start.
    if (saved) client->AbandonUpload(saved->upload_id).IgnoreError();
    writer = client->Create(remote, create);
    if (!writer.ok()) return finish(writer.status());
    if (regular) {
      wanted.upload_id = (*writer)->upload_id();
      std::ofstream out(state_path, std::ios::trunc);
      out << wanted.Encode();
      // A folder we cannot write to only costs the resumption.
      if (!out.flush()) {
        fprintf(stderr, "sfs put: cannot write %s (%s): not resumable\n",
                state_path.c_str(), strerror(errno));
      }
    }
  }
  ProgressLine progress(show_progress, total);
  std::string piece(kPieceBytes, '\0');
  while (true) {
    ssize_t n = read(fd, piece.data(), piece.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return finish(Errno("cannot read", local));
    if (n == 0) break;
    absl::Status status = (*writer)->Append(absl::string_view(piece.data(), n));
    if (!status.ok()) return finish(status);
    progress.Update((*writer)->acknowledged_bytes());
  }
  absl::StatusOr<FileInfo> info = (*writer)->Close();
  if (info.ok()) {
    progress.Update(info->size, /*force=*/true);
    if (regular) unlink(state_path.c_str());
  }
  finish(absl::OkStatus()).IgnoreError();  // only closes the file
  return info;
}

absl::Status GetFile(Client* client, const std::string& remote,
                     const std::string& local, bool show_progress) {
  ASSIGN_OR_RETURN(std::unique_ptr<FileReader> reader, client->Open(remote));
  bool to_stdout = local == "-";
  std::string partial = local + ".sfs-partial";
  int fd = to_stdout ? STDOUT_FILENO
                     : open(partial.c_str(),
                            O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create", partial);
  absl::Status status;
  {
    ProgressLine progress(show_progress, reader->info().size);
    uint64_t done = 0;
    while (status.ok()) {
      absl::StatusOr<absl::string_view> piece = reader->Next(kPieceBytes);
      if (!piece.ok()) {
        status = piece.status();
      } else if (piece->empty()) {
        break;
      } else {
        status = WriteAll(fd, piece->data(), piece->size(),
                          to_stdout ? "stdout" : partial);
        done += piece->size();
        progress.Update(done);
      }
    }
    if (status.ok()) progress.Update(done, /*force=*/true);
  }
  if (to_stdout) return status;
  if (status.ok() && fsync(fd) != 0) status = Errno("cannot sync", partial);
  close(fd);
  if (status.ok() && rename(partial.c_str(), local.c_str()) != 0) {
    status = Errno("cannot rename to", local);
  }
  if (!status.ok()) unlink(partial.c_str());
  return status;
}

}  // namespace sfs
