// TUS 1.0 at /storage/uploads (issue 12) against two sfs-frontend replicas
// sharing a PostgreSQL catalog and a real cluster: every status code and
// header of the core protocol and its extensions, uploads continued on the
// other replica, a connection cut mid-body, and expiry with its cleanup.
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/checksum.h"
#include "gtest/gtest.h"
#include "sfs-frontend/catalog/testing/catalog_stores.h"
#include "sfs-frontend/server/http_headers.h"
#include "tests/frontend_http.h"
#include "tests/frontend_server.h"
#include "tests/test_cluster.h"

namespace sfs {
namespace {

using nlohmann::json;

constexpr char kOffsetStream[] = "application/offset+octet-stream";

// Upload-Metadata for namespace `ns` and file `name`.
std::string Metadata(const std::string& ns, const std::string& name,
                     const std::string& extra = "") {
  return absl::StrCat("namespace ", absl::Base64Escape(ns), ",filename ",
                      absl::Base64Escape(name), extra);
}

std::string Base64Digest(const EVP_MD* md, const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, md, nullptr);
  return absl::Base64Escape(
      absl::string_view(reinterpret_cast<char*>(digest), length));
}

class FrontendTusTest : public ::testing::Test {
 protected:
  // Uploads stay for the test cluster's default hour: a part of a parallel
  // upload that finished first waits idle for its siblings, however loaded
  // the machine is. Expiry has a suite of its own.
  static void SetUpTestSuite() { StartReplicas(TestClusterOptions{}); }
  static void StartReplicas(const TestClusterOptions& options) {
    auto replicas = ReplicaPair::Start(options);
    ASSERT_TRUE(replicas.ok()) << replicas.status();
    replicas_ = replicas->release();
    cluster_ = replicas_->cluster.get();
    a_ = replicas_->a.get();
    b_ = replicas_->b.get();
    ASSERT_EQ(a_->NewClient()
                  ->Post("/storage/namespaces", Bearer(TestJwt("alice")),
                         "{\"name\":\"tus\",\"max_file_bytes\":300000000}",
                         "application/json")
                  ->status,
              201);
  }
  static void TearDownTestSuite() { delete replicas_; }

  static httplib::Headers Tus(const std::string& user = "alice") {
    httplib::Headers headers = Bearer(TestJwt(user));
    headers.emplace("Tus-Resumable", "1.0.0");
    return headers;
  }

  // Creates an upload through `server`; its path (Location).
  static std::string Create(const FrontendServer& server,
                            const std::string& name,
                            std::optional<uint64_t> length,
                            const std::string& extra_metadata = "") {
    httplib::Headers headers = Tus();
    if (length) {
      headers.emplace("Upload-Length", absl::StrCat(*length));
    } else {
      headers.emplace("Upload-Defer-Length", "1");
    }
    headers.emplace("Upload-Metadata", Metadata("tus", name, extra_metadata));
    auto res = server.NewClient()->Post("/storage/uploads", headers, "",
                                        "application/json");
    EXPECT_TRUE(res && res->status == 201)
        << (res ? res->body : httplib::to_string(res.error()));
    if (!res || res->status != 201) return "";
    EXPECT_EQ(res->get_header_value("Tus-Resumable"), "1.0.0");
    EXPECT_EQ(res->get_header_value("Upload-Offset"), "0");
    EXPECT_FALSE(res->get_header_value("Upload-Expires").empty());
    return res->get_header_value("Location");
  }

  static httplib::Result Patch(const FrontendServer& server,
                               const std::string& location, uint64_t offset,
                               const std::string& body,
                               httplib::Headers headers = Tus()) {
    headers.emplace("Upload-Offset", absl::StrCat(offset));
    return server.NewClient()->Patch(location, headers, body, kOffsetStream);
  }

  static uint64_t Offset(const FrontendServer& server,
                         const std::string& location) {
    auto res = server.NewClient()->Head(location, Tus());
    EXPECT_TRUE(res && res->status == 200) << (res ? res->status : -1);
    return res ? std::stoull(res->get_header_value("Upload-Offset")) : 0;
  }

  static std::string Read(const std::string& name, int* status = nullptr) {
    auto res =
        a_->NewClient()->Get("/storage/tus/" + name, Bearer(TestJwt("alice")));
    if (status != nullptr) *status = res ? res->status : -1;
    return res && res->status == 200 ? res->body : "";
  }

  static inline ReplicaPair* replicas_ = nullptr;
  static inline TestCluster* cluster_ = nullptr;
  static inline FrontendServer* a_ = nullptr;
  static inline FrontendServer* b_ = nullptr;
};

TEST_F(FrontendTusTest, DiscoveryAndVersion) {
  auto options = a_->NewClient()->Options("/storage/uploads");
  ASSERT_TRUE(options);
  EXPECT_EQ(options->status, 204);
  EXPECT_EQ(options->get_header_value("Tus-Version"), "1.0.0");
  const std::string extensions = options->get_header_value("Tus-Extension");
  for (const char* extension :
       {"creation", "creation-defer-length", "creation-with-upload",
        "termination", "expiration", "checksum"}) {
    EXPECT_NE(extensions.find(extension), std::string::npos) << extension;
  }
  EXPECT_EQ(options->get_header_value("Tus-Checksum-Algorithm"),
            "sha1,sha256,md5");

  httplib::Headers old = Bearer(TestJwt("alice"));
  old.emplace("Tus-Resumable", "0.2.2");
  old.emplace("Upload-Length", "5");
  old.emplace("Upload-Metadata", Metadata("tus", "v.bin"));
  auto refused =
      a_->NewClient()->Post("/storage/uploads", old, "", "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 412);
  EXPECT_EQ(refused->get_header_value("Tus-Version"), "1.0.0");
}

// Pieces over both replicas; nothing visible before the last byte; the
// stored file is the bytes sent.
TEST_F(FrontendTusTest, PiecesOverBothReplicasThenAtomicCompletion) {
  const std::string content = Pattern(1, 0, 3 * kMiB + 123);
  const std::string location = Create(*a_, "pieces.bin", content.size());
  ASSERT_EQ(location.rfind("/storage/uploads/", 0), 0u) << location;
  auto first = Patch(*a_, location, 0, content.substr(0, kMiB));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 204) << first->body;
  EXPECT_EQ(first->get_header_value("Upload-Offset"), absl::StrCat(kMiB));
  // The other replica knows the offset: it lives in the master.
  EXPECT_EQ(Offset(*b_, location), kMiB);
  int status = 0;
  Read("pieces.bin", &status);
  EXPECT_EQ(status, 404);
  // A stale or future offset is refused, and changes nothing.
  auto stale = Patch(*b_, location, 0, "x");
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 409);
  EXPECT_EQ(Offset(*a_, location), kMiB);
  auto wrong_type =
      b_->NewClient()->Patch(location, Tus(), "x", "application/octet-stream");
  ASSERT_TRUE(wrong_type);
  EXPECT_EQ(wrong_type->status, 415);

  auto second = Patch(*b_, location, kMiB, content.substr(kMiB));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 204) << second->body;
  EXPECT_EQ(second->get_header_value("Upload-Offset"),
            absl::StrCat(content.size()));
  EXPECT_EQ(Read("pieces.bin"), content);
  // Finished, the upload is gone.
  auto gone = a_->NewClient()->Head(location, Tus());
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 404);
}

TEST_F(FrontendTusTest, LimitsAndChecksums) {
  // Over the namespace's limit: refused at creation.
  httplib::Headers headers = Tus();
  headers.emplace("Upload-Length", "300000001");
  headers.emplace("Upload-Metadata", Metadata("tus", "huge.bin"));
  auto huge =
      a_->NewClient()->Post("/storage/uploads", headers, "", "text/plain");
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 413);

  const std::string location = Create(*a_, "checked.bin", 10);
  // Past Upload-Length: 413, nothing kept.
  auto past = Patch(*a_, location, 0, std::string(11, 'x'));
  ASSERT_TRUE(past);
  EXPECT_EQ(past->status, 413);
  EXPECT_EQ(Offset(*a_, location), 0u);

  const std::string piece = "hello";
  for (const auto& [algorithm, md] :
       std::vector<std::pair<std::string, const EVP_MD*>>{{"sha1", EVP_sha1()},
                                                          {"md5", EVP_md5()}}) {
    httplib::Headers bad = Tus();
    bad.emplace("Upload-Checksum",
                absl::StrCat(algorithm, " ", Base64Digest(md, "other")));
    auto mismatch = Patch(*a_, location, 0, piece, bad);
    ASSERT_TRUE(mismatch);
    EXPECT_EQ(mismatch->status, 460) << algorithm;
    EXPECT_EQ(Offset(*b_, location), 0u) << algorithm;
  }
  httplib::Headers unknown = Tus();
  unknown.emplace("Upload-Checksum", "crc32 AAAA");
  auto unsupported = Patch(*a_, location, 0, piece, unknown);
  ASSERT_TRUE(unsupported);
  EXPECT_EQ(unsupported->status, 400);

  httplib::Headers good = Tus();
  good.emplace("Upload-Checksum",
               "sha256 " + Base64Digest(EVP_sha256(), piece));
  auto matched = Patch(*a_, location, 0, piece, good);
  ASSERT_TRUE(matched);
  EXPECT_EQ(matched->status, 204);
  auto rest = Patch(*b_, location, 5, "world");
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->status, 204);
  EXPECT_EQ(Read("checked.bin"), "helloworld");
}

TEST_F(FrontendTusTest, DeferredLengthCreationWithUploadAndTermination) {
  const std::string location = Create(*a_, "deferred.txt", std::nullopt);
  auto head = a_->NewClient()->Head(location, Tus());
  ASSERT_TRUE(head);
  EXPECT_EQ(head->get_header_value("Upload-Defer-Length"), "1");
  EXPECT_EQ(head->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(head->get_header_value("Upload-Metadata"),
            Metadata("tus", "deferred.txt"));
  ASSERT_EQ(Patch(*a_, location, 0, "abc")->status, 204);
  httplib::Headers last = Tus();
  last.emplace("Upload-Length", "6");
  ASSERT_EQ(Patch(*b_, location, 3, "def", last)->status, 204);
  EXPECT_EQ(Read("deferred.txt"), "abcdef");

  // creation-with-upload: the body of the POST is the first append.
  httplib::Headers create = Tus();
  create.emplace("Upload-Length", "8");
  create.emplace("Upload-Metadata", Metadata("tus", "with-body.txt"));
  auto created =
      a_->NewClient()->Post("/storage/uploads", create, "1234", kOffsetStream);
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201);
  EXPECT_EQ(created->get_header_value("Upload-Offset"), "4");
  const std::string with_body = created->get_header_value("Location");
  ASSERT_EQ(Patch(*b_, with_body, 4, "5678")->status, 204);
  EXPECT_EQ(Read("with-body.txt"), "12345678");

  // Termination; and an upload is its creator's alone.
  const std::string doomed = Create(*a_, "doomed.bin", 100);
  ASSERT_EQ(Patch(*a_, doomed, 0, std::string(50, 'd'))->status, 204);
  auto foreign = Patch(*b_, doomed, 50, "x", Tus("bob"));
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 404);
  auto terminated = b_->NewClient()->Delete(doomed, Tus());
  ASSERT_TRUE(terminated);
  EXPECT_EQ(terminated->status, 204);
  EXPECT_EQ(a_->NewClient()->Head(doomed, Tus())->status, 404);
  EXPECT_EQ(Patch(*a_, doomed, 50, "x")->status, 404);
  int status = 0;
  Read("doomed.bin", &status);
  EXPECT_EQ(status, 404);
}

// Concatenation: parts uploaded (over both replicas) as partial uploads,
// then one final upload names them: the file is the parts in order, and
// the parts are gone.
TEST_F(FrontendTusTest, ConcatenationPutsPartsTogether) {
  auto partial = [&](const FrontendServer& server, const std::string& data) {
    httplib::Headers headers = Tus();
    headers.emplace("Upload-Concat", "partial");
    headers.emplace("Upload-Length", absl::StrCat(data.size()));
    headers.emplace("Upload-Metadata", Metadata("tus", "joined.bin"));
    auto res =
        server.NewClient()->Post("/storage/uploads", headers, "", "text/plain");
    EXPECT_TRUE(res && res->status == 201) << (res ? res->body : "");
    const std::string location = res ? res->get_header_value("Location") : "";
    EXPECT_EQ(Patch(server, location, 0, data)->status, 204);
    return location;
  };
  const std::string one = Pattern(5, 0, kMiB + 7);
  const std::string two = Pattern(6, 0, 2 * kMiB);
  const std::string first = partial(*a_, one);
  const std::string second = partial(*b_, two);
  // A finished part stays, waiting for its final upload.
  EXPECT_EQ(Offset(*b_, first), one.size());
  int status = 0;
  Read("joined.bin", &status);
  EXPECT_EQ(status, 404);

  auto final_upload = [&](const std::string& parts, const std::string& name) {
    httplib::Headers headers = Tus();
    headers.emplace("Upload-Concat", "final;" + parts);
    headers.emplace("Upload-Metadata", Metadata("tus", name));
    return b_->NewClient()->Post("/storage/uploads", headers, "", "text/plain");
  };
  // Every part must be complete.
  const std::string unfinished = Create(*a_, "unfinished.bin", 10);
  auto refused = final_upload(first + " " + unfinished, "joined.bin");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);

  auto joined = final_upload(
      absl::StrCat("http://127.0.0.1:", a_->port(), first, " ", second),
      "joined.bin");
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->status, 201) << joined->body;
  EXPECT_EQ(joined->get_header_value("Upload-Offset"),
            absl::StrCat(one.size() + two.size()));
  EXPECT_EQ(Read("joined.bin"), one + two);
  EXPECT_EQ(a_->NewClient()->Head(first, Tus())->status, 404);
  EXPECT_EQ(a_->NewClient()->Head(second, Tus())->status, 404);
}

// A connection cut mid-body keeps exactly the bytes that arrived; the
// upload continues from there on the other replica.
TEST_F(FrontendTusTest, CutConnectionKeepsWhatArrived) {
  const std::string content = Pattern(2, 0, 2 * kMiB);
  const std::string location = Create(*a_, "cut.bin", content.size());
  const size_t sent = 700 * 1024;
  {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(a_->port());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(
        connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    std::string request = absl::StrCat(
        "PATCH ", location, " HTTP/1.1\r\nHost: 127.0.0.1\r\n",
        "Authorization: Bearer ", TestJwt("alice"),
        "\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n",
        "Content-Type: ", kOffsetStream, "\r\nContent-Length: ", content.size(),
        "\r\n\r\n", content.substr(0, sent));
    for (size_t at = 0; at < request.size();) {
      ssize_t n = send(fd, request.data() + at, request.size() - at, 0);
      ASSERT_GT(n, 0);
      at += n;
    }
    shutdown(fd, SHUT_WR);
    // The frontend answers (or closes) once it saw the body end.
    char buffer[4096];
    while (recv(fd, buffer, sizeof(buffer), 0) > 0) {
    }
    close(fd);
  }
  EXPECT_EQ(Offset(*b_, location), sent);
  ASSERT_EQ(Patch(*b_, location, sent, content.substr(sent))->status, 204);
  EXPECT_EQ(Read("cut.bin"), content);
}

// Unmodified tus-js-client (tests/tus) uploads 200 MiB to one replica,
// aborts at about 40 %, and resumes on the other: the stored file is the
// bytes sent, and nothing was visible in between. Then the same file with
// parallelUploads: 4 (TUS concatenation).
TEST_F(FrontendTusTest, TusJsClientResumesOnTheOtherReplica) {
  constexpr uint64_t kSize = 200 * kMiB;
  const std::string local = cluster_->dir() + "/tus-200mib.bin";
  {
    std::ofstream out(local, std::ios::binary);
    for (uint64_t at = 0; at < kSize; at += 8 * kMiB) {
      out << Pattern(4, at, 8 * kMiB);
    }
  }
  CommandResult run = RunCommand(
      {"/usr/bin/env", "node",
       std::string(SFS_TUS_CLIENT_DIR) + "/resume_upload.mjs",
       absl::StrCat("--first=http://127.0.0.1:", a_->port()),
       absl::StrCat("--second=http://127.0.0.1:", b_->port()),
       "--token=" + TestJwt("alice"), "--file=" + local, "--namespace=tus",
       "--name=from tus-js-client.bin", "--abort-at=0.4"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json report = json::parse(run.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << run.out;
  EXPECT_EQ(report["status_between"], 404);
  const uint64_t resumed_at = report["resumed_at"];
  // Retries: the aborted request committed its tail after the client read
  // the offset (resume_upload.mjs says why that is allowed).
  printf("resumed at byte %llu, %d retries\n",
         static_cast<unsigned long long>(resumed_at),
         report.value("retries", -1));
  // Aborted after 40 % went out: the replicas kept a part, not all.
  EXPECT_GT(resumed_at, 0u);
  EXPECT_LT(resumed_at, kSize);
  EXPECT_NE(report["upload_url"].get<std::string>().find(
                absl::StrCat(":", a_->port(), "/storage/uploads/")),
            std::string::npos);
  auto file = cluster_->NewClient()->Stat("/tus/from tus-js-client.bin");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->size, kSize);
  EXPECT_EQ(file->sha256, PatternSha256(4, kSize));

  // The same file over four connections at once (parallelUploads: 4).
  CommandResult parallel =
      RunCommand({"/usr/bin/env", "node",
                  std::string(SFS_TUS_CLIENT_DIR) + "/parallel_upload.mjs",
                  absl::StrCat("--endpoint=http://127.0.0.1:", b_->port()),
                  "--token=" + TestJwt("alice"), "--file=" + local,
                  "--namespace=tus", "--name=in parallel.bin", "--parallel=4"});
  ASSERT_EQ(parallel.exit_code, 0) << parallel.err;
  file = cluster_->NewClient()->Stat("/tus/in parallel.bin");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->size, kSize);
  EXPECT_EQ(file->sha256, PatternSha256(4, kSize));
}

// Uploads expire after 4 s idle.
class FrontendTusExpiryTest : public FrontendTusTest {
 protected:
  static void SetUpTestSuite() {
    TestClusterOptions options;
    options.upload_idle_timeout = absl::Seconds(4);
    StartReplicas(options);
  }
};

// An upload idle past Upload-Expires is gone, and so are its chunks.
TEST_F(FrontendTusExpiryTest, ExpiredUploadsAreCleanedUp) {
  auto chunks = [] {
    auto status = cluster_->NewClient()->Status();
    EXPECT_TRUE(status.ok());
    return status.ok() ? status->chunk_count : 0;
  };
  const uint64_t before = chunks();
  const std::string location = Create(*a_, "abandoned.bin", 10 * kMiB);
  ASSERT_EQ(Patch(*a_, location, 0, Pattern(3, 0, kMiB))->status, 204);
  EXPECT_EQ(chunks(), before + 1);
  auto head = a_->NewClient()->Head(location, Tus());
  ASSERT_TRUE(head);
  const std::optional<absl::Time> expires =
      frontend::ParseHttpDate(head->get_header_value("Upload-Expires"));
  ASSERT_TRUE(expires.has_value());
  EXPECT_LE(*expires, absl::Now() + absl::Seconds(5));
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  int status = 200;
  while (status != 404 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(200));
    status = a_->NewClient()->Head(location, Tus())->status;
  }
  EXPECT_EQ(status, 404);
  EXPECT_EQ(Patch(*b_, location, kMiB, "x")->status, 404);
  EXPECT_EQ(chunks(), before);
}

}  // namespace
}  // namespace sfs
