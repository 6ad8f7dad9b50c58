#include "sfs-frontend/server/download_handler.h"

#include <httplib.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/log.h"
#include "common/path.h"
#include "common/status_macros.h"
#include "sfs-frontend/files/media_type.h"
#include "sfs-frontend/server/http_headers.h"
#include "sfs-frontend/server/range_header.h"

namespace sfs::frontend {
namespace {

// How long the link a redirect to the content origin carries works: long
// enough to follow it, and to seek in a video it shows.
constexpr absl::Duration kContentLinkLifetime = absl::Hours(1);

// What the content provider needs after the handler has returned; released
// with the response.
struct DownloadBody {
  // Its buffered segment is what each write to the socket sends: the
  // body has no buffer of its own.
  std::unique_ptr<FileReader> reader;
  std::unique_ptr<ProgressReporter> progress;
  std::unique_ptr<Metrics::ActiveTransfer> active;
  // The request's id, the log context of the body's reads (they run after
  // the handler has returned).
  std::string request_id;
};

bool EtagMatches(absl::string_view if_none_match, const std::string& etag) {
  for (absl::string_view tag : absl::StrSplit(if_none_match, ',')) {
    tag = absl::StripAsciiWhitespace(tag);
    absl::ConsumePrefix(&tag, "W/");
    if (tag == "*" || tag == etag) return true;
  }
  return false;
}

bool NotModified(const httplib::Request& req, const std::string& etag,
                 absl::Time modified) {
  if (req.has_header("If-None-Match")) {
    return EtagMatches(req.get_header_value("If-None-Match"), etag);
  }
  std::optional<absl::Time> since =
      ParseHttpDate(req.get_header_value("If-Modified-Since"));
  // HTTP dates have whole seconds; the file's time does not.
  return since && absl::ToUnixSeconds(modified) <= absl::ToUnixSeconds(*since);
}

// How long and where the answer may be cached. Content addressed by
// version can never change: public, it is cacheable for a year. Otherwise
// the writer's Cache-Control applies (kept out of shared caches for private
// namespaces), and without one both kinds revalidate, because a path may be
// overwritten at any time.
std::string CachePolicy(const FileInfo& info, const NamespaceRecord& ns,
                        bool by_version) {
  const bool is_public = ns.visibility == Visibility::kPublic;
  if (by_version && is_public) return "public, max-age=31536000, immutable";
  if (!info.cache_control.empty()) {
    return is_public ? info.cache_control
                     : absl::StrCat("private, ", info.cache_control);
  }
  return is_public ? "public, no-cache" : "private, no-cache";
}

void SetRepresentationHeaders(httplib::Response& res, const FileInfo& info,
                              const std::string& etag,
                              const NamespaceRecord& ns,
                              const SendOptions& options) {
  res.set_header("ETag", etag);
  res.set_header(
      "Last-Modified",
      FormatHttpDate(absl::FromUnixMicros(info.modified_unix_micros)));
  res.set_header("Accept-Ranges", "bytes");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Cache-Control",
                 options.cache_control.empty()
                     ? CachePolicy(info, ns, options.pinned_version)
                     : options.cache_control);
  for (const auto& [key, value] : info.metadata) {
    res.set_header(absl::StrCat("X-Meta-", key), value);
  }
}

}  // namespace

absl::Status DownloadHandler::Serve(const HttpCall& call, const std::string& ns,
                                    const std::string& path,
                                    Disposition disposition) {
  SendOptions options;
  options.disposition = disposition;
  if (call.req.has_param("signature")) {
    ASSIGN_OR_RETURN(options.transfer_id, TransferKey("", call));
    ASSIGN_OR_RETURN(SignedGrant grant,
                     RedeemSignature(*services_, call, ns, path,
                                     SignedGrant::Action::kRead));
    return SendGranted(call, grant, std::move(options));
  }
  ASSIGN_OR_RETURN(Identity caller, Authenticate(*services_, call));
  ASSIGN_OR_RETURN(options.transfer_id, TransferKey(caller.user, call));
  ASSIGN_OR_RETURN(uint64_t version, RequestedVersion(call));
  options.pinned_version = version != 0;
  ASSIGN_OR_RETURN(FileView view,
                   services_->files->Stat(caller, ns, path, version));
  return Send(call, view, std::move(options));
}

absl::Status DownloadHandler::SendGranted(const HttpCall& call,
                                          const SignedGrant& grant,
                                          SendOptions options) {
  ASSIGN_OR_RETURN(FileView view, services_->files->StatGranted(grant));
  options.pinned_version = grant.version != 0;
  if (options.pinned_version) {
    // Those bytes never change: cacheable for as long as the link lives.
    const int64_t left = grant.expires_at - absl::ToUnixSeconds(absl::Now());
    options.cache_control = absl::StrCat(
        view.ns.visibility == Visibility::kPublic ? "public" : "private",
        ", max-age=", std::max<int64_t>(left, 0), ", immutable");
  }
  return Send(call, view, std::move(options));
}

absl::Status DownloadHandler::Send(const HttpCall& call, const FileView& view,
                                   SendOptions options) {
  const httplib::Request& req = call.req;
  httplib::Response& res = call.res;
  // httplib 0.11 applies parsed ranges to any content provider without
  // clipping them to its length; ranges are resolved here instead.
  const_cast<httplib::Request&>(req).ranges.clear();
  const FileInfo& info = view.file;
  const NamespaceRecord& record = view.ns;
  const std::string path = info.path.substr(record.name.size() + 2);
  Disposition disposition = options.disposition;

  std::string type = MediaTypeForPath(path);
  if (type == "application/octet-stream" && !info.content_type.empty()) {
    type = info.content_type;
  }
  // Only passive types are ever shown inline, and sandboxed even then:
  // anything a browser could render as a document is a download of bytes.
  if (!IsPassiveInlineType(type)) {
    type = "application/octet-stream";
    disposition = Disposition::kAttachment;
  }
  const ContentOrigin& content_origin = *services_->content_origin;
  if (disposition == Disposition::kInline && content_origin.enabled() &&
      !content_origin.Receives(req)) {
    // Shown from the content origin instead, through a short-lived link to
    // this version (whoever got here may read it).
    ASSIGN_OR_RETURN(FileService::SignedToken link,
                     services_->files->SignViewed(view, kContentLinkLifetime));
    res.set_redirect(content_origin.Url(absl::StrCat(
                         "/storage/", UrlPath(record.name), "/", UrlPath(path),
                         "?signature=", link.token)),
                     302);
    res.set_header("Cache-Control", "no-store");
    return absl::OkStatus();
  }
  const std::string etag = absl::StrCat("\"", info.sha256, "\"");
  SetRepresentationHeaders(res, info, etag, record, options);
  if (NotModified(req, etag, absl::FromUnixMicros(info.modified_unix_micros))) {
    res.status = 304;
    return absl::OkStatus();
  }
  if (disposition == Disposition::kAttachment) {
    res.set_header("Content-Disposition",
                   AttachmentDisposition(options.attachment_name.empty()
                                             ? path
                                             : options.attachment_name));
  } else {
    res.set_header("Content-Security-Policy", "sandbox; default-src 'none'");
  }

  ByteRange range{0, info.size};
  auto requested = ResolveRange(req.get_header_value("Range"), info.size);
  if (!requested.ok()) {
    res.set_header("Content-Range", absl::StrCat("bytes */", info.size));
    return requested.status();
  }
  res.status = 200;
  if (requested->has_value()) {
    range = **requested;
    res.status = 206;
    res.set_header(
        "Content-Range",
        absl::StrCat("bytes ", range.offset, "-",
                     range.offset + range.length - 1, "/", info.size));
  }
  if (range.length == 0) {
    res.set_content("", type);
    return absl::OkStatus();
  }
  if (req.method == "HEAD") {
    // httplib sends the length and never calls the provider for HEAD.
    res.set_content_provider(
        range.length, type,
        [](size_t, size_t, httplib::DataSink&) { return false; });
    return absl::OkStatus();
  }

  auto body = std::make_shared<DownloadBody>();
  ASSIGN_OR_RETURN(body->reader,
                   services_->files->Open(view, range.offset, range.length));
  body->progress = std::make_unique<ProgressReporter>(
      services_->progress, options.transfer_id, "download", range.length);
  body->active = std::make_unique<Metrics::ActiveTransfer>(
      services_->metrics, TransferDirection::kDownload);
  body->request_id = CurrentRequestId();
  const uint64_t total = range.length;
  res.set_content_provider(
      total, type,
      [body, total, full_path = info.path](size_t offset, size_t length,
                                           httplib::DataSink& sink) {
        ScopedRequestId request_id(body->request_id);
        absl::StatusOr<absl::string_view> next = body->reader->Next(length);
        if (!next.ok() || next->empty()) {
          Log("download of ", full_path, " stopped at byte ", offset, ": ",
              next.ok() ? "file shorter than its metadata"
                        : next.status().ToString());
          body->progress->Finish(offset, "read failed");
          return false;
        }
        const size_t n = next->size();
        if (!sink.write(next->data(), n)) return false;
        body->active->Add(n);
        body->progress->Update(offset + n);
        if (offset + n == total) body->progress->Finish(total);
        return true;
      });
  return absl::OkStatus();
}

}  // namespace sfs::frontend
