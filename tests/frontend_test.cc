// Cross-process tests of sfs-frontend (issue 3): a real cluster, a real
// frontend process, and HTTP from this process.
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/checksum.h"
#include "gtest/gtest.h"
#include "sfs-frontend/auth/api_token_secret.h"
#include "sfs-frontend/auth/jwt.h"
#include "sfs-frontend/auth/password.h"
#include "sfs-frontend/catalog/embedded_catalog.h"
#include "tests/frontend_http.h"
#include "tests/frontend_server.h"
#include "tests/test_cluster.h"

namespace sfs {
namespace {

using frontend::JwtClaims;
using nlohmann::json;

class FrontendTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = new TestCluster();
    ASSERT_TRUE(cluster_->Start().ok());
    std::string catalog_dir = cluster_->dir() + "/catalog";
    {
      auto catalog = frontend::EmbeddedCatalog::Open(catalog_dir);
      ASSERT_TRUE(catalog.ok()) << catalog.status();
      auto hash = frontend::HashPassword("alice-password");
      ASSERT_TRUE(hash.ok());
      ASSERT_TRUE((*catalog)->AddUser({"alice", *hash, false, 1}).ok());
      scoped_token_ = frontend::NewApiTokenSecret();
      std::vector<std::string> scopes;
      for (const char* ns : {"m-0-token", "m-1-token"}) {
        scopes.push_back(
            absl::StrCat("storage.alice.files.", ns, ":read,create,delete"));
        scopes.push_back(
            absl::StrCat("storage.alice.namespaces.", ns, ":update,delete"));
      }
      ASSERT_TRUE((*catalog)
                      ->CreateApiToken(
                          {"in-scope", "alice", scopes,
                           frontend::ApiTokenSecretHash(scoped_token_), 0, 1})
                      .ok());
      other_token_ = frontend::NewApiTokenSecret();
      ASSERT_TRUE(
          (*catalog)
              ->CreateApiToken({"out-of-scope",
                                "alice",
                                {"storage.alice.files.elsewhere:read,create,"
                                 "delete"},
                                frontend::ApiTokenSecretHash(other_token_),
                                0,
                                1})
              .ok());
    }
    server_ = new FrontendServer(
        TestFrontendOptions(*cluster_, "frontend", catalog_dir,
                            // A retention "day" of 2 s, swept every 300 ms.
                            {"--sse_keepalive=1s", "--retention_day=2s",
                             "--lifecycle_interval=300ms"}));
    ASSERT_TRUE(server_->Start().ok());
  }
  static void TearDownTestSuite() {
    delete server_;
    delete cluster_;
  }

  httplib::Result Send(const std::string& method, const std::string& path,
                       const std::string& token, const std::string& body = "",
                       httplib::Headers headers = {}) {
    auto client = server_->NewClient();
    headers.merge(Bearer(token));
    if (method == "GET") return client->Get(path, headers);
    if (method == "HEAD") return client->Head(path, headers);
    if (method == "DELETE") return client->Delete(path, headers);
    if (method == "PUT") return client->Put(path, headers, body, "text/plain");
    if (method == "PATCH") {
      return client->Patch(path, headers, body, "application/json");
    }
    return client->Post(path, headers, body, "application/octet-stream");
  }
  int Status(const std::string& method, const std::string& path,
             const std::string& token, const std::string& body = "") {
    auto res = Send(method, path, token, body);
    return res ? res->status : -1;
  }
  void CreateNamespace(const std::string& name, int visibility,
                       const std::string& extra = "") {
    std::string body = absl::StrCat(
        "{\"name\":\"", name, "\",\"visibility\":", visibility, extra, "}");
    ASSERT_EQ(Status("POST", "/storage/namespaces", TestJwt("alice"), body),
              201)
        << name;
  }

  static TestCluster* cluster_;
  static FrontendServer* server_;
  static std::string scoped_token_;
  static std::string other_token_;
};

TestCluster* FrontendTest::cluster_ = nullptr;
FrontendServer* FrontendTest::server_ = nullptr;
std::string FrontendTest::scoped_token_;
std::string FrontendTest::other_token_;

TEST_F(FrontendTest, OperationsRoutes) {
  EXPECT_EQ(Status("GET", "/healthz", ""), 200);
  EXPECT_EQ(Status("GET", "/readyz", ""), 200);
  auto metrics = Send("GET", "/metrics", "");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("sfs_frontend_requests_total{method=\"GET\","
                               "route=\"healthz\",status=\"200\"}"),
            std::string::npos);
  EXPECT_NE(metrics->body.find("sfs_frontend_active_transfers"),
            std::string::npos);
  auto status = Send("GET", "/storage/status", "");
  ASSERT_TRUE(status);
  EXPECT_EQ(json::parse(status->body)["chunkserver_count"], 4);
  auto missing = Send("GET", "/nope", "");
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(json::parse(missing->body)["code"], "not_found");
  auto wrong = Send("DELETE", "/storage/files", "");
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->get_header_value("Allow"), "GET, HEAD");
  EXPECT_EQ(
      Send("POST", "/storage/download/a/b", "")->get_header_value("Allow"),
      "GET, HEAD");
  EXPECT_EQ(Status("PATCH", "/healthz", ""), 405);
}

TEST_F(FrontendTest, NamespaceRoutes) {
  const std::string alice = TestJwt("alice");
  CreateNamespace("ns-crud", 0, ",\"quota_bytes\":100");
  EXPECT_EQ(
      Status("POST", "/storage/namespaces", alice, "{\"name\":\"ns-crud\"}"),
      409);
  EXPECT_EQ(Status("POST", "/storage/namespaces", alice, "{not json"), 400);
  EXPECT_EQ(Status("POST", "/storage/namespaces", alice,
                   "{\"name\":\"v2\",\"visibility\":2}"),
            400);
  EXPECT_EQ(Status("POST", "/storage/namespaces", alice,
                   absl::StrCat("{\"name\":\"", std::string(64, 'a'), "\"}")),
            400);
  EXPECT_EQ(Status("POST", "/storage/namespaces", alice, "{\"name\":\"..\"}"),
            400);
  EXPECT_EQ(Status("POST", "/storage/namespaces", "", "{\"name\":\"anon\"}"),
            401);
  EXPECT_EQ(Status("GET", "/storage/files?namespace=v2", alice), 404);

  auto list = Send("GET", "/storage/namespaces", alice);
  json names = json::parse(list->body);
  ASSERT_TRUE(names.is_array());
  bool found = false;
  for (const json& ns : names) {
    if (ns["name"] == "ns-crud") {
      found = true;
      EXPECT_EQ(ns["quota_bytes"], 100);
      EXPECT_EQ(ns["owner_id"], "alice");
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(Send("GET", "/storage/namespaces", "")->body, "[]");

  auto updated = Send("PATCH", "/storage/namespaces/ns-crud", alice,
                      "{\"visibility\":1,\"hidden\":true}");
  ASSERT_EQ(updated->status, 200);
  EXPECT_EQ(json::parse(updated->body)["visibility"], 1);
  EXPECT_EQ(json::parse(updated->body)["quota_bytes"], 100);
  EXPECT_EQ(
      Status("PUT", "/storage/namespaces/ns-crud", alice, "{\"visibility\":2}"),
      400);
  EXPECT_EQ(Status("PUT", "/storage/namespaces/ghost", alice, "{}"), 404);
  EXPECT_EQ(Status("GET", "/storage/namespaces/ns-crud", alice), 405);
  EXPECT_EQ(Status("DELETE", "/storage/namespaces/ns-crud", alice), 200);
  EXPECT_EQ(Status("DELETE", "/storage/namespaces/ns-crud", alice), 404);
}

TEST_F(FrontendTest, PoliciesAndChecksums) {
  const std::string alice = TestJwt("alice");
  CreateNamespace("pol", 0,
                  ",\"max_file_bytes\":10,\"quota_bytes\":15,"
                  "\"allowed_mime_types\":[\"text/*\"]");
  EXPECT_EQ(Status("POST", "/storage/pol/big.txt", alice, std::string(11, 'x')),
            413);
  EXPECT_EQ(Status("POST", "/storage/pol/a.png", alice, "png"), 415);
  EXPECT_EQ(Status("POST", "/storage/pol/a.txt", alice, std::string(10, 'x')),
            201);
  EXPECT_EQ(Status("POST", "/storage/pol/b.txt", alice, std::string(6, 'x')),
            507);
  auto sha = Send("POST", "/storage/pol/c.txt", alice, "abc",
                  {{"X-Content-SHA256", std::string(64, '0')}});
  EXPECT_EQ(sha->status, 400);
  EXPECT_NE(sha->body.find("X-Content-SHA256 does not match"),
            std::string::npos)
      << sha->body;
  auto md5 = Send("POST", "/storage/pol/c.txt", alice, "abc",
                  {{"Content-MD5", "AAAAAAAAAAAAAAAAAAAAAA=="}});
  EXPECT_EQ(md5->status, 400);
  EXPECT_EQ(Status("GET", "/storage/pol/c.txt", alice), 404);
  auto good = Send("POST", "/storage/pol/c.txt", alice, "abc",
                   {{"Content-MD5", "kAFQmDzST7DWlj99KOF/cg=="}});
  EXPECT_EQ(good->status, 201);
  // The declared SHA-256 (any case) is checked by the writer, which hashes
  // the file anyway.
  CreateNamespace("sums", 0);
  auto good_sha = Send(
      "POST", "/storage/sums/d.txt", alice, "abc",
      {{"X-Content-SHA256",
        "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"}});
  EXPECT_EQ(good_sha->status, 201) << good_sha->body;
}

TEST_F(FrontendTest, FileRoutesAndHttpSemantics) {
  const std::string alice = TestJwt("alice");
  CreateNamespace("docs", 1);
  for (const std::string& body : {std::string(), std::string("x")}) {
    std::string name = absl::StrCat("raw-", body.size(), ".bin");
    auto up = Send("POST", "/storage/docs/" + name, alice, body);
    ASSERT_EQ(up->status, 201) << up->body;
    EXPECT_EQ(json::parse(up->body)["size"], body.size());
    auto down = Send("GET", "/storage/docs/" + name, "");
    ASSERT_EQ(down->status, 200);
    EXPECT_EQ(down->body, body);
    // Multipart, through the client's form encoder.
    httplib::MultipartFormDataItems items = {
        {"file", body, name, "application/octet-stream"}};
    auto client = server_->NewClient();
    auto multi = client->Post("/storage/docs/multi-" + name + "?overwrite=true",
                              Bearer(alice), items);
    ASSERT_EQ(multi->status, 201) << multi->body;
    EXPECT_EQ(Send("GET", "/storage/docs/multi-" + name, "")->body, body);
  }
  EXPECT_EQ(Status("POST", "/storage/docs/raw-1.bin", alice, "y"), 409);
  EXPECT_EQ(
      Status("PUT", "/storage/docs/raw-1.bin?overwrite=true", alice, "<svg/>"),
      201);

  auto got = Send("GET", "/storage/docs/page.html", alice);
  EXPECT_EQ(got->status, 404);
  ASSERT_EQ(Status("POST", "/storage/docs/page.html", alice, "<b>hi</b>"), 201);
  got = Send("GET", "/storage/docs/page.html", "");
  // HTML is never shown inline: it downloads as bytes.
  EXPECT_EQ(got->get_header_value("Content-Type"), "application/octet-stream");
  EXPECT_EQ(got->get_header_value("Content-Disposition").rfind("attachment", 0),
            0u);
  EXPECT_EQ(got->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(got->get_header_value("Cache-Control"), "public, no-cache");
  const std::string etag = got->get_header_value("ETag");
  EXPECT_EQ(etag.size(), 66u);
  auto cached =
      Send("GET", "/storage/docs/page.html", "", "", {{"If-None-Match", etag}});
  EXPECT_EQ(cached->status, 304);
  EXPECT_EQ(
      Send("GET", "/storage/docs/page.html", "", "",
           {{"If-Modified-Since", got->get_header_value("Last-Modified")}})
          ->status,
      304);
  auto head = Send("HEAD", "/storage/docs/page.html", "");
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->get_header_value("Content-Length"), "9");
  EXPECT_TRUE(head->body.empty());
  auto range = Send("GET", "/storage/docs/page.html", "", "",
                    {{"Range", "bytes=3-100"}});
  EXPECT_EQ(range->status, 206);
  EXPECT_EQ(range->body, "hi</b>");
  EXPECT_EQ(range->get_header_value("Content-Range"), "bytes 3-8/9");
  EXPECT_EQ(
      Send("GET", "/storage/docs/page.html", "", "", {{"Range", "bytes=9-"}})
          ->status,
      416);

  ASSERT_EQ(Status("POST", "/storage/docs/d/r%C3%A9sum%C3%A9.txt", alice, "cv"),
            201);
  auto attachment =
      Send("GET", "/storage/download/docs/d/r%C3%A9sum%C3%A9.txt", "");
  EXPECT_EQ(attachment->body, "cv");
  // httplib 0.11's client percent-decodes every response header value, so
  // the RFC 6266 encoding (unit-tested in http_headers_test) arrives decoded.
  EXPECT_EQ(attachment->get_header_value("Content-Disposition"),
            "attachment; filename=\"r__sum__.txt\"; "
            "filename*=UTF-8''r\xc3\xa9sum\xc3\xa9.txt");

  auto listing = Send("GET", "/storage/files?namespace=docs&limit=2", "");
  ASSERT_EQ(listing->status, 200);
  EXPECT_EQ(json::parse(listing->body).size(), 2u);
  EXPECT_FALSE(listing->get_header_value("X-Next-Cursor").empty());
  auto folders =
      Send("GET", "/storage/files?namespace=docs&delimiter=/&prefix=d", "");
  EXPECT_EQ(json::parse(folders->body)[0]["path"], "d/");

  // Legacy query-parameter routes.
  EXPECT_EQ(Status("POST", "/storage/upload?namespace=docs&name=legacy.txt",
                   alice, "old"),
            201);
  EXPECT_EQ(
      Send("GET", "/storage/download?namespace=docs&name=legacy.txt", "")->body,
      "old");
  EXPECT_EQ(
      Status("DELETE", "/storage/delete?namespace=docs&name=legacy.txt", alice),
      200);
  EXPECT_EQ(Status("DELETE", "/storage/docs/legacy.txt", alice), 404);
  EXPECT_EQ(Status("DELETE", "/storage/docs/page.html", alice), 200);
}

TEST_F(FrontendTest, KeepVersionsKeepsTheNewestOldVersionsReadable) {
  const std::string alice = TestJwt("alice");
  CreateNamespace("hist", 0, ",\"keep_versions\":2");
  for (const char* body : {"one", "two!", "three", "four!!"}) {
    ASSERT_EQ(Status("PUT", "/storage/hist/f.txt?overwrite=true", alice, body),
              201);
  }
  auto listed =
      Send("GET", "/storage/versions?namespace=hist&path=f.txt", alice);
  ASSERT_EQ(listed->status, 200) << listed->body;
  json versions = json::parse(listed->body);
  // The current file and the two newest old versions; "one" is gone.
  ASSERT_EQ(versions.size(), 3u);
  EXPECT_TRUE(versions[0]["current"]);
  EXPECT_FALSE(versions[1]["current"]);
  std::vector<std::string> bodies;
  uint64_t previous = 0;
  for (const json& v : versions) {
    uint64_t version = v["version"];
    if (previous != 0) {
      EXPECT_LT(version, previous);  // newest first
    }
    previous = version;
    auto got = Send(
        "GET", absl::StrCat("/storage/hist/f.txt?version=", version), alice);
    ASSERT_EQ(got->status, 200);
    EXPECT_EQ(got->body.size(), v["size"]);
    EXPECT_EQ(got->get_header_value("ETag"),
              absl::StrCat("\"", v["etag"].get<std::string>(), "\""));
    bodies.push_back(got->body);
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"four!!", "three", "two!"}));
  // Old versions count in the namespace's usage and against its quota.
  int listed_hist = 0;
  for (const json& ns :
       json::parse(Send("GET", "/storage/namespaces", alice)->body)) {
    if (ns["name"] != "hist") continue;
    ++listed_hist;
    EXPECT_EQ(ns["bytes"], 6u);
    EXPECT_EQ(ns["old_versions"], 2u);
    EXPECT_EQ(ns["old_version_bytes"], 9u);
  }
  EXPECT_EQ(listed_hist, 1);
  ASSERT_EQ(
      Status("PUT", "/storage/namespaces/hist", alice, "{\"quota_bytes\":20}"),
      200);
  EXPECT_EQ(Status("POST", "/storage/hist/g.txt", alice, "123456"), 507);
  ASSERT_EQ(Status("POST", "/storage/hist/g.txt", alice, "12345"), 201);
  ASSERT_EQ(Status("DELETE", "/storage/hist/g.txt", alice), 200);
  const uint64_t oldest = versions[2]["version"];
  EXPECT_EQ(
      Send("GET", absl::StrCat("/storage/download/hist/f.txt?version=", oldest),
           alice)
          ->body,
      "two!");
  EXPECT_EQ(Status("GET", "/storage/hist/f.txt?version=1", alice), 404);
  EXPECT_EQ(Status("GET", "/storage/hist/f.txt?version=x", alice), 400);
  // Old versions are as private as the file.
  EXPECT_EQ(Status("GET", "/storage/versions?namespace=hist&path=f.txt",
                   TestJwt("mallory")),
            403);
  EXPECT_EQ(
      Status("GET", absl::StrCat("/storage/hist/f.txt?version=", oldest), ""),
      401);

  // Delete takes the history with it; the chunks go to garbage collection.
  ASSERT_EQ(Status("DELETE", "/storage/hist/f.txt", alice), 200);
  EXPECT_EQ(Status("GET", absl::StrCat("/storage/hist/f.txt?version=", oldest),
                   alice),
            404);
  EXPECT_EQ(Status("GET", "/storage/versions?namespace=hist&path=f.txt", alice),
            404);

  // Without keep_versions an overwrite leaves no history.
  CreateNamespace("nohist", 0);
  for (const char* body : {"a", "b"}) {
    ASSERT_EQ(
        Status("PUT", "/storage/nohist/f.txt?overwrite=true", alice, body),
        201);
  }
  auto single =
      Send("GET", "/storage/versions?namespace=nohist&path=f.txt", alice);
  EXPECT_EQ(json::parse(single->body).size(), 1u);
}

TEST_F(FrontendTest, RetentionExpiresFilesAndTheSweeperDeletesThem) {
  const std::string alice = TestJwt("alice");
  // One retention day is 2 s in this suite.
  CreateNamespace("short", 0, ",\"retention_days\":1");
  ASSERT_EQ(Status("POST", "/storage/short/old.txt", alice, "old"), 201);
  auto listing = Send("GET", "/storage/files?namespace=short", alice);
  json files = json::parse(listing->body);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_TRUE(files[0].contains("expires_at"));
  EXPECT_EQ(Send("GET", "/storage/short/old.txt", alice)->body, "old");

  // Expiry is exact for readers; the sweeper then really deletes the file.
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (Status("GET", "/storage/short/old.txt", alice) == 200 &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(Status("GET", "/storage/short/old.txt", alice), 404);
  ASSERT_EQ(Status("POST", "/storage/short/new.txt", alice, "new"), 201);
  files =
      json::parse(Send("GET", "/storage/files?namespace=short", alice)->body);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0]["name"], "new.txt");
  std::unique_ptr<Client> client = cluster_->NewClient();
  while (client->Stat("/short/old.txt").ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(client->Stat("/short/old.txt").status().code(),
            absl::StatusCode::kNotFound);
  // An expired name may be written again without ?overwrite.
  EXPECT_EQ(Status("POST", "/storage/short/old.txt", alice, "again"), 201);
  EXPECT_EQ(Send("GET", "/storage/short/old.txt", alice)->body, "again");

  // Namespaces without retention keep their files.
  CreateNamespace("forever", 0);
  ASSERT_EQ(Status("POST", "/storage/forever/f.txt", alice, "f"), 201);
  absl::SleepFor(absl::Seconds(3));
  EXPECT_EQ(Status("GET", "/storage/forever/f.txt", alice), 200);
}

TEST_F(FrontendTest, LegacyRoutesUseTheDefaultNamespace) {
  // It exists from the first start: public to read, admins write it.
  const std::string admin = TestJwt("root", true);
  EXPECT_EQ(
      Status("POST", "/storage/upload?name=hello.txt", TestJwt("alice"), "hi"),
      403);
  ASSERT_EQ(Status("POST", "/storage/upload?name=hello.txt", admin, "hi"), 201);
  EXPECT_EQ(Send("GET", "/storage/download?name=hello.txt", "")->body, "hi");
  EXPECT_EQ(Send("GET", "/storage/default/hello.txt", "")->body, "hi");
  EXPECT_EQ(Status("DELETE", "/storage/delete?name=hello.txt", admin), 200);
}

TEST_F(FrontendTest, RefusedBodiesDoNotPoisonKeptAliveConnections) {
  const std::string alice = TestJwt("alice");
  CreateNamespace("keep", 0, ",\"max_file_bytes\":10");
  CreateNamespace("keep-quota", 0, ",\"quota_bytes\":10");
  CreateNamespace("keep-images", 0, ",\"allowed_mime_types\":[\"image/*\"]");
  ASSERT_EQ(Status("POST", "/storage/keep/a.txt", alice, "a"), 201);
  auto client = server_->NewClient();
  client->set_keep_alive(true);
  const std::string big(300 << 10, 'x');
  // Each time the next request on the same connection must be parsed as
  // itself: a refused body is never read as requests of its own. A small
  // refused body is dropped and the connection kept; beyond 64 KiB, a body
  // refused before the handler read any of it is not read on: its answer
  // arrives whole, then the connection closes (the client reconnects).
  auto expect_connection_intact = [&] {
    auto after = client->Get("/storage/keep/a.txt", Bearer(alice));
    ASSERT_TRUE(after);
    EXPECT_EQ(after->status, 200);
    EXPECT_EQ(after->body, "a");
  };
  // Raw bodies, refused before they are read and while they are read.
  auto exists = client->Post("/storage/keep/a.txt", Bearer(alice), "abcdefgh",
                             "text/plain");
  ASSERT_TRUE(exists);
  EXPECT_EQ(exists->status, 409);
  EXPECT_NE(exists->get_header_value("Connection"), "close");
  expect_connection_intact();
  auto anonymous = client->Post("/storage/keep/b.txt", big, "text/plain");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  expect_connection_intact();

  // Multipart bodies, as the original web UI sends them (X-File-Size, the
  // file in part "file"), refused for every reason: before the body is
  // read, at the part's headers, and while the part is read.
  struct Refusal {
    std::string why, path, token, type;
    httplib::Headers headers;
    int status;
  };
  const httplib::Headers declared = {
      {"X-File-Size", std::to_string(big.size())}};
  const std::vector<Refusal> refusals = {
      {"anonymous", "/storage/keep/b.txt", "", "text/plain", declared, 401},
      {"not the owner", "/storage/keep/b.txt", TestJwt("bob"), "text/plain",
       declared, 403},
      {"no namespace", "/storage/nope/b.txt", alice, "text/plain", declared,
       404},
      {"exists", "/storage/keep/a.txt", alice, "text/plain", declared, 409},
      {"declared too large", "/storage/keep/b.txt", alice, "text/plain",
       declared, 413},
      {"found too large", "/storage/keep/b.txt", alice, "text/plain", {}, 413},
      {"type", "/storage/keep-images/b.txt", alice, "text/plain", declared,
       415},
      {"quota", "/storage/keep-quota/b.txt", alice, "text/plain", declared,
       507},
  };
  for (const Refusal& r : refusals) {
    SCOPED_TRACE(r.why);
    httplib::Headers headers = r.headers;
    if (!r.token.empty()) headers.merge(Bearer(r.token));
    httplib::MultipartFormDataItems items = {
        {"note", "before the file", "", ""}, {"file", big, "b.txt", r.type}};
    auto refused = client->Post(r.path, headers, items);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, r.status) << refused->body;
    EXPECT_EQ(refused->get_header_value("Content-Type"), "application/json");
    // Refused before the handler read the body: at most 64 KiB of it is
    // dropped, then the connection closes. Refused while reading it: the
    // request had been let through, and the rest is dropped whole.
    const bool read_first = r.why == "found too large" || r.why == "type";
    EXPECT_EQ(refused->get_header_value("Connection") == "close", !read_first);
    expect_connection_intact();
  }
  EXPECT_EQ(Status("GET", "/storage/keep/b.txt", alice), 404);
  EXPECT_EQ(Status("GET", "/storage/keep-images/b.txt", alice), 404);

  // A multipart body without its boundary gets the refusal too; it is
  // still read to its end by its length, so the connection stays usable.
  auto garbled =
      client->Post("/storage/keep/a.txt", Bearer(alice), std::string(1000, 'x'),
                   "multipart/form-data; boundary=nowhere");
  ASSERT_TRUE(garbled);
  EXPECT_EQ(garbled->status, 409);
  EXPECT_NE(garbled->get_header_value("Connection"), "close");
  EXPECT_NE(garbled->body.find("already_exists"), std::string::npos);
  expect_connection_intact();
  // Where the body is malformed and the refusal comes from it, the answer
  // says why.
  auto malformed = client->Post("/storage/keep/c.txt", Bearer(alice), big,
                                "multipart/form-data; boundary=nowhere");
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 400);
  EXPECT_NE(malformed->body.find("not well-formed multipart"),
            std::string::npos)
      << malformed->body;
  expect_connection_intact();
}

// The original service's clients parse times as Unix seconds.
TEST_F(FrontendTest, ListingsCarryUnixSecondTimes) {
  const std::string alice = TestJwt("alice");
  const int64_t before = absl::ToUnixSeconds(absl::Now());
  CreateNamespace("times", 0, ",\"retention_days\":3");
  ASSERT_EQ(Status("POST", "/storage/times/t.txt", alice, "t"), 201);
  const int64_t after = absl::ToUnixSeconds(absl::Now()) + 1;
  auto within = [&](const json& value) {
    return value.is_number_integer() && value.get<int64_t>() >= before &&
           value.get<int64_t>() <= after;
  };
  auto files = Send("GET", "/storage/files?namespace=times", alice);
  ASSERT_EQ(files->status, 200);
  json file = json::parse(files->body).at(0);
  EXPECT_TRUE(within(file["created_at"])) << file;
  EXPECT_TRUE(within(file["modified_at"])) << file;
  // retention_day is 2 s in this suite: 3 "days" after the upload.
  ASSERT_TRUE(file["expires_at"].is_number_integer()) << file;
  EXPECT_GE(file["expires_at"].get<int64_t>(), before + 5);
  EXPECT_LE(file["expires_at"].get<int64_t>(), after + 6);
  auto versions =
      Send("GET", "/storage/versions?namespace=times&path=t.txt", alice);
  ASSERT_EQ(versions->status, 200);
  EXPECT_TRUE(within(json::parse(versions->body).at(0)["modified_at"]))
      << versions->body;
  auto namespaces = Send("GET", "/storage/namespaces", alice);
  ASSERT_EQ(namespaces->status, 200);
  bool found = false;
  for (const json& ns : json::parse(namespaces->body)) {
    if (ns["name"] != "times") continue;
    found = true;
    EXPECT_TRUE(within(ns["created_at"])) << ns;
  }
  EXPECT_TRUE(found);
}

// The web UI as a single-page app (deep links reload into it) and called
// from another origin, as the original deployment does (UI on cloud.<host>,
// API on storage.cloud.<host>).
TEST_F(FrontendTest, WebUiDeepLinksAndCrossOriginCalls) {
  const std::string web_dir = cluster_->dir() + "/webui";
  std::filesystem::create_directories(web_dir);
  const std::string index = "<!doctype html><title>test UI</title>";
  std::ofstream(web_dir + "/index.html") << index;
  std::ofstream(web_dir + "/app.js") << "console.log('app');";
  FrontendServer web(
      TestFrontendOptions(*cluster_, "frontend-web", "",
                          {"--static=" + web_dir,
                           "--cors-origins=https://cloud.example.test,https://"
                           "*.apps.example.test"}));
  ASSERT_TRUE(web.Start().ok());
  auto client = web.NewClient();
  const httplib::Headers navigation = {
      {"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}};

  for (const char* deep : {"/storage/photos", "/storage", "/settings/a/b"}) {
    auto page = client->Get(deep, navigation);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 200) << deep;
    EXPECT_EQ(page->body, index) << deep;
    EXPECT_EQ(page->get_header_value("Content-Type"),
              "text/html; charset=utf-8");
  }
  auto root = client->Get("/", navigation);
  EXPECT_EQ(root->body, index);
  auto script = client->Get("/app.js");
  EXPECT_EQ(script->status, 200);
  EXPECT_EQ(script->body, "console.log('app');");
  // Scripts asking for unknown things, and the API however asked, get JSON.
  auto json_404 = [&](const std::string& method, const std::string& path,
                      const httplib::Headers& headers) {
    SCOPED_TRACE(method + " " + path);
    auto res = method == "GET" ? client->Get(path, headers)
                               : client->Post(path, headers, "", "text/plain");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 404);
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  };
  json_404("GET", "/storage/photos", {});
  json_404("GET", "/api/nope", navigation);
  json_404("GET", "/sse/nope", navigation);
  json_404("POST", "/storage/photos", navigation);

  // CORS: allowed origins, exact and by wildcard, get credentials and the
  // API's headers; any other origin gets none.
  auto preflight = [&](const std::string& origin) {
    return client->Options(
        "/storage/photos/a.txt",
        {{"Origin", origin},
         {"Access-Control-Request-Method", "POST"},
         {"Access-Control-Request-Headers", "authorization,x-file-size"}});
  };
  for (const char* origin :
       {"https://cloud.example.test", "https://ui.apps.example.test"}) {
    SCOPED_TRACE(origin);
    auto allowed = preflight(origin);
    ASSERT_TRUE(allowed);
    EXPECT_EQ(allowed->status, 204);
    EXPECT_EQ(allowed->get_header_value("Access-Control-Allow-Origin"), origin);
    EXPECT_EQ(allowed->get_header_value("Access-Control-Allow-Credentials"),
              "true");
    for (const char* header : {"Authorization", "X-File-Size", "X-Transfer-Id",
                               "Upload-Offset", "Tus-Resumable"}) {
      EXPECT_NE(allowed->get_header_value("Access-Control-Allow-Headers")
                    .find(header),
                std::string::npos)
          << header;
    }
    auto get = client->Get(
        "/storage/namespaces",
        {{"Origin", origin}, {"Authorization", "Bearer " + TestJwt("alice")}});
    ASSERT_TRUE(get);
    EXPECT_EQ(get->status, 200);
    EXPECT_EQ(get->get_header_value("Access-Control-Allow-Origin"), origin);
  }
  for (const char* origin :
       {"https://evil.example.test", "null", "https://apps.example.test"}) {
    SCOPED_TRACE(origin);
    auto refused = preflight(origin);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 403);
    EXPECT_FALSE(refused->has_header("Access-Control-Allow-Origin"));
    auto get = client->Get("/healthz", {{"Origin", origin}});
    EXPECT_EQ(get->status, 200);
    EXPECT_FALSE(get->has_header("Access-Control-Allow-Origin"));
    EXPECT_FALSE(get->has_header("Access-Control-Allow-Credentials"));
  }
  // Without --cors-origins (the default), nobody gets CORS headers.
  auto plain = server_->NewClient()->Options(
      "/storage/photos/a.txt", {{"Origin", "https://cloud.example.test"},
                                {"Access-Control-Request-Method", "POST"}});
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 403);
  EXPECT_FALSE(plain->has_header("Access-Control-Allow-Origin"));
}

// Server-side copies share chunks: a GiB copied is a metadata write. Moves
// rename; batch deletes report each path.
TEST_F(FrontendTest, CopyOfAGibibyteSharesItsChunksMoveRenamesBatchDeletes) {
  const std::string alice = TestJwt("alice");
  CreateNamespace("copies", 0);
  CreateNamespace("copies-moved", 0);
  const uint64_t size = 1024 * kMiB;
  auto client = server_->NewClient();
  ASSERT_EQ(
      UploadPattern(*client, "/storage/copies/big.bin", alice, 11, size, false)
          ->status,
      201);
  auto chunk_count = [&] {
    auto status = Send("GET", "/storage/status", "");
    return json::parse(status->body)["chunk_count"].get<uint64_t>();
  };
  auto replicas_on_disk = [&] {
    uint64_t files = 0;
    for (int i = 0; i < 4; ++i) {
      for (const auto& entry :
           std::filesystem::directory_iterator(cluster_->chunkserver_dir(i))) {
        files += entry.path().extension() == ".data" ? 1 : 0;
      }
    }
    return files;
  };
  // The last MiB of a file, by range.
  auto tail = [&](const std::string& path) {
    auto res = client->Get(path, {{"Authorization", "Bearer " + alice},
                                  {"Range", "bytes=-1048576"}});
    return res && res->status == 206 ? res->body : "";
  };
  const uint64_t chunks = chunk_count();
  const uint64_t replicas = replicas_on_disk();

  auto copied = Send("POST", "/storage/copy", alice,
                     R"({"from": {"namespace": "copies", "path": "big.bin"},
                         "to": {"namespace": "copies", "path": "copy.bin"}})");
  ASSERT_EQ(copied->status, 201) << copied->body;
  EXPECT_EQ(json::parse(copied->body)["size"], size);
  EXPECT_EQ(chunk_count(), chunks) << "the copy moved no chunk";
  uint64_t got = 0;
  EXPECT_EQ(DownloadSha256(*client, "/storage/copies/copy.bin", alice, &got),
            PatternSha256(11, size));
  // Without overwrite an existing destination refuses; the source must be
  // readable, the destination writable by the caller.
  EXPECT_EQ(Send("POST", "/storage/copy", alice,
                 R"({"from": {"namespace": "copies", "path": "big.bin"},
                     "to": {"namespace": "copies", "path": "copy.bin"}})")
                ->status,
            409);
  EXPECT_EQ(Send("POST", "/storage/copy", TestJwt("bob"),
                 R"({"from": {"namespace": "copies", "path": "big.bin"},
                     "to": {"namespace": "copies", "path": "bob.bin"}})")
                ->status,
            403);
  EXPECT_EQ(
      Send("POST", "/storage/copy", alice, R"({"from": "big.bin"})")->status,
      400);

  // The original goes; the copy stays whole.
  ASSERT_EQ(Status("DELETE", "/storage/copies/big.bin", alice), 200);
  EXPECT_EQ(chunk_count(), chunks);
  EXPECT_EQ(tail("/storage/copies/copy.bin"), Pattern(11, size - kMiB, kMiB));
  // A move to another namespace of the owner renames it.
  auto moved = Send("POST", "/storage/move", alice,
                    R"({"from": {"namespace": "copies", "path": "copy.bin"},
                        "to": {"namespace": "copies-moved", "path": "m.bin"}})");
  ASSERT_EQ(moved->status, 200) << moved->body;
  EXPECT_EQ(Status("GET", "/storage/copies/copy.bin", alice), 404);
  EXPECT_EQ(tail("/storage/copies-moved/m.bin"),
            Pattern(11, size - kMiB, kMiB));
  EXPECT_EQ(chunk_count(), chunks);

  // Batch delete: each path's outcome. The last copy takes the chunks with
  // it, and their replicas leave the disks.
  ASSERT_EQ(Status("POST", "/storage/copies-moved/small.txt", alice, "s"), 201);
  auto batch = Send("POST", "/storage/files/delete", alice,
                    R"({"namespace": "copies-moved",
                        "paths": ["m.bin", "small.txt", "gone.txt", "../x"]})");
  ASSERT_EQ(batch->status, 200) << batch->body;
  json outcome = json::parse(batch->body);
  EXPECT_EQ(outcome["deleted"], json({"m.bin", "small.txt"}));
  ASSERT_EQ(outcome["errors"].size(), 2u);
  EXPECT_EQ(outcome["errors"][0]["path"], "gone.txt");
  EXPECT_EQ(outcome["errors"][0]["code"], "not_found");
  EXPECT_EQ(outcome["errors"][1]["code"], "invalid_argument");
  EXPECT_EQ(chunk_count(), chunks - 16);
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (replicas_on_disk() > replicas - 48 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_LE(replicas_on_disk(), replicas - 48);
}

// What a writer says about a file comes back with it: Cache-Control and
// X-Meta-* headers, in listings, and through copies. Versioned URLs of
// public namespaces are immutable.
TEST_F(FrontendTest, FileMetadataAndCaching) {
  const std::string alice = TestJwt("alice");
  CreateNamespace("meta-public", 1);
  CreateNamespace("meta-private", 0);
  auto client = server_->NewClient();
  httplib::Headers headers = Bearer(alice);
  headers.emplace("Cache-Control", "max-age=60");
  headers.emplace("X-Meta-Owner", "team-a");
  headers.emplace("x-meta-build", "42");
  for (const char* ns : {"meta-public", "meta-private"}) {
    auto up = client->Post(absl::StrCat("/storage/", ns, "/m.txt"), headers,
                           "content", "text/plain");
    ASSERT_EQ(up->status, 201) << up->body;
  }
  auto pub = client->Get("/storage/meta-public/m.txt");
  ASSERT_EQ(pub->status, 200);
  EXPECT_EQ(pub->get_header_value("Cache-Control"), "max-age=60");
  EXPECT_EQ(pub->get_header_value("X-Meta-owner"), "team-a");
  EXPECT_EQ(pub->get_header_value("X-Meta-build"), "42");
  auto priv = client->Get("/storage/meta-private/m.txt", Bearer(alice));
  ASSERT_EQ(priv->status, 200);
  EXPECT_EQ(priv->get_header_value("Cache-Control"), "private, max-age=60");
  auto listed = Send("GET", "/storage/files?namespace=meta-public", alice);
  json file = json::parse(listed->body).at(0);
  EXPECT_EQ(file["cache_control"], "max-age=60");
  EXPECT_EQ(file["metadata"], json({{"owner", "team-a"}, {"build", "42"}}));
  // A version can never change: public, it may be cached for a year.
  const std::string version = std::to_string(file["version"].get<uint64_t>());
  EXPECT_EQ(client->Get("/storage/meta-public/m.txt?version=" + version)
                ->get_header_value("Cache-Control"),
            "public, max-age=31536000, immutable");
  auto private_listing =
      Send("GET", "/storage/files?namespace=meta-private", alice);
  const std::string private_version = std::to_string(
      json::parse(private_listing->body).at(0)["version"].get<uint64_t>());
  EXPECT_EQ(client
                ->Get("/storage/meta-private/m.txt?version=" + private_version,
                      Bearer(alice))
                ->get_header_value("Cache-Control"),
            "private, max-age=60");
  // Copies keep it.
  ASSERT_EQ(Send("POST", "/storage/copy", alice,
                 R"({"from": {"namespace": "meta-public", "path": "m.txt"},
                     "to": {"namespace": "meta-public", "path": "c.txt"}})")
                ->status,
            201);
  EXPECT_EQ(client->Get("/storage/meta-public/c.txt")
                ->get_header_value("X-Meta-owner"),
            "team-a");
  // Malformed or oversized metadata is refused and nothing is stored.
  std::vector<httplib::Headers> bad = {{{"X-Meta-bad_key", "v"}},
                                       {{"X-Meta-k", std::string(1025, 'v')}},
                                       {{"Cache-Control", "\x7f"}}};
  httplib::Headers many;
  for (int i = 0; i < 17; ++i) many.emplace(absl::StrCat("X-Meta-k", i), "v");
  bad.push_back(many);
  for (httplib::Headers& h : bad) {
    h.merge(Bearer(alice));
    auto refused =
        client->Post("/storage/meta-public/bad.txt", h, "x", "text/plain");
    EXPECT_EQ(refused->status, 400) << refused->body;
  }
  EXPECT_EQ(Status("GET", "/storage/meta-public/bad.txt", alice), 404);
}

// Uploaded content never renders in the API's origin: whatever a client
// declares, only passive types are shown inline (sandboxed); everything else
// downloads as application/octet-stream. Malformed declared types are
// refused at upload.
TEST_F(FrontendTest, DocumentLikeUploadsAreNeverServedInline) {
  const std::string alice = TestJwt("alice");
  CreateNamespace("hostile", 1);
  auto client = server_->NewClient();
  auto upload = [&](const std::string& path, const std::string& type) {
    return client->Post("/storage/hostile/" + path, Bearer(alice),
                        "<script>alert(document.cookie)</script>", type);
  };
  const std::vector<std::pair<std::string, std::string>> documents = {
      {"a.bin", "text/html"},
      {"b.bin", "TEXT/HTML ; charset=utf-8"},
      {"c.bin", "image/svg+xml"},
      {"d.bin", "application/xhtml+xml"},
      {"e.bin", "text/xml"},
      {"f.bin", "application/javascript"},
      {"g.html", "application/octet-stream"},  // the name decides: HTML
      {"h.svg", ""},
      {"i.bin", "multipart/x-mixed-replace"},
  };
  for (const auto& [path, type] : documents) {
    SCOPED_TRACE(path + " as " + type);
    ASSERT_EQ(upload(path, type)->status, 201);
    for (const char* route :
         {"/storage/hostile/", "/storage/download/hostile/"}) {
      auto got = client->Get(route + path);
      ASSERT_EQ(got->status, 200);
      EXPECT_EQ(got->get_header_value("Content-Type"),
                "application/octet-stream");
      EXPECT_EQ(
          got->get_header_value("Content-Disposition").rfind("attachment", 0),
          0u);
      EXPECT_EQ(got->get_header_value("X-Content-Type-Options"), "nosniff");
    }
  }
  for (const char* malformed :
       {"text/html, image/png", "image/png; foo=bar", "image/png;charset=a;b=c",
        "text", "image/ png"}) {
    auto refused = upload("m.bin", malformed);
    EXPECT_EQ(refused->status, 400) << malformed << " " << refused->body;
  }
  EXPECT_EQ(Status("GET", "/storage/hostile/m.bin", alice), 404);
  // Passive types are shown inline, sandboxed.
  ASSERT_EQ(upload("p.png", "image/png")->status, 201);
  ASSERT_EQ(upload("t.txt", "text/plain; charset=UTF-8")->status, 201);
  for (const char* path : {"p.png", "t.txt"}) {
    auto got = client->Get(std::string("/storage/hostile/") + path);
    EXPECT_FALSE(got->has_header("Content-Disposition")) << path;
    EXPECT_EQ(got->get_header_value("Content-Security-Policy"),
              "sandbox; default-src 'none'");
  }
  EXPECT_EQ(
      client->Get("/storage/hostile/t.txt")->get_header_value("Content-Type"),
      "text/plain; charset=utf-8");
}

// Signed URLs (POST /storage/sign): the link is the only credential, for
// its one file and method, until it expires or the keys are rotated.
TEST_F(FrontendTest, SignedUrls) {
  CreateNamespace("signed", 0, ",\"max_file_bytes\":1000");
  const std::string content(600, 's');
  ASSERT_EQ(Status("PUT", "/storage/signed/a b.txt", TestJwt("alice"), content),
            201);
  auto sign = [&](const std::string& path, const std::string& body) {
    auto res =
        Send("POST", "/storage/sign/signed/" + path, TestJwt("alice"), body);
    EXPECT_TRUE(res && res->status == 200)
        << (res ? res->body : httplib::to_string(res.error()));
    return res && res->status == 200
               ? json::parse(res->body)["url"].get<std::string>()
               : std::string();
  };
  const std::string get = sign("a b.txt", "{\"expires_in\":60}");
  ASSERT_EQ(get.rfind("/storage/signed/a%20b.txt?signature=", 0), 0u) << get;
  // No credential, a range, and the attachment route: all by the link.
  auto whole = Send("GET", get, "");
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->status, 200);
  EXPECT_EQ(whole->body, content);
  auto part = Send("GET", get, "", "", {{"Range", "bytes=10-19"}});
  ASSERT_TRUE(part);
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, content.substr(10, 10));
  const std::string signature = get.substr(get.find("?signature="));
  auto attachment =
      Send("GET", "/storage/download/signed/a%20b.txt" + signature, "");
  ASSERT_TRUE(attachment);
  EXPECT_EQ(attachment->status, 200);
  EXPECT_EQ(attachment->body, content);

  // Another file, another method, a tampered signature: 403.
  ASSERT_EQ(Status("PUT", "/storage/signed/b.txt", TestJwt("alice"), "b"), 201);
  EXPECT_EQ(Status("GET", "/storage/signed/b.txt" + signature, ""), 403);
  EXPECT_EQ(Status("PUT", get, "", "x"), 403);
  std::string tampered = get;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(Status("GET", tampered, ""), 403);
  // Signing needs the right to read; a missing file has no link.
  EXPECT_EQ(Status("POST", "/storage/sign/signed/a b.txt", TestJwt("bob"),
                   "{\"expires_in\":60}"),
            403);
  EXPECT_EQ(
      Status("POST", "/storage/sign/signed/none.txt", TestJwt("alice"), "{}"),
      404);

  // A pinned version is cacheable for the link's lifetime.
  auto versions =
      Send("GET", "/storage/versions?namespace=signed&path=a%20b.txt",
           TestJwt("alice"));
  ASSERT_TRUE(versions && versions->status == 200);
  const uint64_t version = json::parse(versions->body)[0]["version"];
  const std::string pinned =
      sign("a b.txt",
           absl::StrCat("{\"expires_in\":600,\"version\":", version, "}"));
  auto cached = Send("GET", pinned, "");
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->status, 200);
  const std::string cache = cached->get_header_value("Cache-Control");
  EXPECT_EQ(cache.rfind("private, max-age=", 0), 0u) << cache;
  EXPECT_NE(cache.find("immutable"), std::string::npos) << cache;

  // Upload links: the namespace's limit and the link's own, one use.
  const std::string put = sign(
      "up.bin", "{\"method\":\"PUT\",\"single_use\":true,\"max_bytes\":500}");
  EXPECT_EQ(Status("PUT", put, "", std::string(501, 'x')), 413);
  EXPECT_EQ(Status("PUT", put, "", std::string(500, 'x')), 201);
  EXPECT_EQ(Status("PUT", put, "", std::string(10, 'y')), 409);
  auto stored = Send("GET", "/storage/signed/up.bin", TestJwt("alice"));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->body, std::string(500, 'x'));
  const std::string big = sign("big.bin", "{\"method\":\"PUT\"}");
  EXPECT_EQ(Status("PUT", big, "", std::string(1001, 'x')), 413);
  EXPECT_EQ(Status("GET", put, ""), 403);  // not a download link

  // `sfs share` asks for a link the same way.
  const std::string http = absl::StrCat("http://127.0.0.1:", server_->port());
  setenv("SFS_TOKEN", TestJwt("alice").c_str(), 1);
  CommandResult share = cluster_->RunCli(
      {"share", "/signed/a b.txt", "--expires=10m", "--http=" + http});
  CommandResult unshared =
      cluster_->RunCli({"share", "/signed/none.txt", "--http=" + http});
  unsetenv("SFS_TOKEN");
  ASSERT_EQ(share.exit_code, 0) << share.err;
  ASSERT_EQ(share.out.rfind(http + "/storage/signed/a%20b.txt?signature=", 0),
            0u)
      << share.out;
  auto shared = Send(
      "GET", share.out.substr(http.size(), share.out.size() - http.size() - 1),
      "");
  ASSERT_TRUE(shared);
  EXPECT_EQ(shared->body, content);
  EXPECT_EQ(unshared.exit_code, 1);
  EXPECT_NE(unshared.err.find("404"), std::string::npos) << unshared.err;

  // Expiry and rotation end links.
  const std::string brief = sign("a b.txt", "{\"expires_in\":1}");
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(Status("GET", brief, ""), 403);
  const std::string lasting = sign("a b.txt", "{\"expires_in\":600}");
  EXPECT_EQ(Status("GET", lasting, ""), 200);
  EXPECT_EQ(Status("POST", "/api/signing-keys/rotate", TestJwt("alice")), 403);
  EXPECT_EQ(Status("POST", "/api/signing-keys/rotate", TestJwt("root", true)),
            200);
  EXPECT_EQ(Status("GET", lasting, ""), 403);
  EXPECT_EQ(Status("GET", sign("a b.txt", "{}"), ""), 200);
}

TEST_F(FrontendTest, BrowserNavigationsGetAnHtmlErrorPage) {
  CreateNamespace("pages", 1);
  const httplib::Headers navigation = {
      {"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}};
  auto page =
      Send("GET", "/storage/pages/%3Cscript%3E.txt", "", "", navigation);
  EXPECT_EQ(page->status, 404);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("404 Not Found"), std::string::npos);
  EXPECT_EQ(page->body.find("<script>"), std::string::npos);
  auto download =
      Send("GET", "/storage/download/pages/missing.txt", "", "", navigation);
  EXPECT_EQ(download->status, 404);
  EXPECT_NE(download->body.find("<html"), std::string::npos);
  // Scripts and fetch() keep getting JSON.
  auto api = Send("GET", "/storage/pages/missing.txt", "");
  EXPECT_EQ(api->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(api->body)["code"], "not_found");
}

TEST_F(FrontendTest, BadInputIsRejectedAndNothingStored) {
  const std::string alice = TestJwt("alice");
  CreateNamespace("bad", 0);
  EXPECT_EQ(Status("POST", "/storage/bad/a/../../etc/passwd", alice, "x"), 400);
  EXPECT_EQ(Status("POST", "/storage/bad/%2e%2e/x", alice, "x"), 400);
  EXPECT_EQ(
      Status("POST", "/storage/bad/" + std::string(1100, 'n'), alice, "x"),
      400);
  EXPECT_EQ(Status("POST", "/storage/bad/%FF%FE.txt", alice, "x"), 400);
  EXPECT_EQ(Status("POST", "/storage/bad/ctl%01.txt", alice, "x"), 400);

  JwtClaims expired;
  expired.subject = "alice";
  expired.expires_at = absl::ToUnixSeconds(absl::Now() - absl::Hours(2));
  // Changes the signature's first character: all six of its bits carry
  // data (the last one's low bits are padding, which decoders must reject
  // separately; jwt_test covers that).
  std::string forged = alice;
  char& first_of_signature = forged[forged.rfind('.') + 1];
  first_of_signature = first_of_signature == 'A' ? 'B' : 'A';
  const std::string none =
      absl::WebSafeBase64Escape("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." +
      absl::WebSafeBase64Escape("{\"sub\":\"alice\"}") + ".";
  const std::string rs256 =
      absl::WebSafeBase64Escape("{\"alg\":\"RS256\",\"typ\":\"JWT\"}") + "." +
      absl::WebSafeBase64Escape("{\"sub\":\"alice\"}") + "." +
      absl::WebSafeBase64Escape(std::string(256, 'x'));
  for (const std::string& token :
       {forged, *frontend::MintHs256Jwt(expired, kTestJwtSecret, absl::Now()),
        none, rs256, std::string("sfs_unknown")}) {
    EXPECT_EQ(Status("POST", "/storage/bad/t.txt", token, "x"), 401) << token;
    EXPECT_EQ(Status("GET", "/storage/namespaces", token), 401);
  }
  auto list = Send("GET", "/storage/files?namespace=bad", alice);
  EXPECT_EQ(list->body, "[]");
  // Transfer ids are bounded keys.
  EXPECT_EQ(Status("GET", "/sse/progress?id=" + std::string(129, 'a'), ""),
            400);
  EXPECT_EQ(Status("GET", "/sse/progress?id=a%20b", ""), 400);
  auto odd_id = Send("POST", "/storage/bad/odd-id.txt", TestJwt("alice"), "x",
                     {{"X-Transfer-Id", "<script>"}});
  EXPECT_EQ(odd_id->status, 400) << odd_id->body;
}

TEST_F(FrontendTest, LoginSessionLogout) {
  auto client = server_->NewClient();
  auto bad = client->Post("/api/login",
                          "{\"username\":\"alice\",\"password\":\"nope\"}",
                          "application/json");
  EXPECT_EQ(bad->status, 401);
  EXPECT_EQ(client->Post("/api/login", "{", "application/json")->status, 400);
  auto ok = client->Post(
      "/api/login", "{\"username\":\"alice\",\"password\":\"alice-password\"}",
      "application/json");
  ASSERT_EQ(ok->status, 200);
  std::string cookie = ok->get_header_value("Set-Cookie");
  cookie = cookie.substr(0, cookie.find(';'));
  auto session = client->Get("/api/session", {{"Cookie", cookie}});
  ASSERT_EQ(session->status, 200);
  // What the original service's web UI reads: the session's fields, and
  // the token's payload, which it decodes itself.
  const json expected_session = {{"username", "alice"},
                                 {"display_name", "alice"},
                                 {"user_id", "alice"},
                                 {"is_admin", false}};
  EXPECT_EQ(json::parse(session->body), expected_session);
  const std::string token = json::parse(ok->body)["token"];
  std::string payload;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(
      token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1),
      &payload));
  json claims = json::parse(payload);
  EXPECT_EQ(claims["username"], "alice");
  EXPECT_EQ(claims["user_id"], "alice");
  EXPECT_EQ(claims["is_admin"], false);
  EXPECT_GT(claims["exp"].get<int64_t>(), absl::ToUnixSeconds(absl::Now()));
  EXPECT_EQ(client->Get("/api/session?token=" + token)->status, 200);
  EXPECT_EQ(client->Get("/api/session")->status, 401);
  EXPECT_EQ(claims["iss"], "sfs");
  // Logout ends the session itself, not only the cookie: the token is
  // refused from then on, wherever it is presented.
  auto out = client->Post("/api/logout", Bearer(token), "", "application/json");
  EXPECT_EQ(out->status, 200);
  EXPECT_NE(out->get_header_value("Set-Cookie").find("Max-Age=0"),
            std::string::npos);
  auto ended = client->Get("/api/session?token=" + token);
  EXPECT_EQ(ended->status, 401);
  EXPECT_NE(ended->body.find("logged out"), std::string::npos) << ended->body;
  EXPECT_EQ(client->Get("/api/login")->status, 405);
}

// Security events land in the audit log, which only unscoped admins read.
TEST_F(FrontendTest, AuditLogRecordsSecurityEvents) {
  auto client = server_->NewClient();
  // `since` is in whole seconds: the events of the test before may share
  // its second, and are told apart by their microseconds below.
  const int64_t since_us = absl::ToUnixMicros(absl::Now());
  const int64_t since = since_us / 1000000;
  EXPECT_EQ(
      client
          ->Post("/api/login", R"({"username":"alice","password":"wrong"})",
                 "application/json")
          ->status,
      401);
  auto login = client->Post(
      "/api/login", R"({"username":"alice","password":"alice-password"})",
      "application/json");
  ASSERT_EQ(login->status, 200);
  const std::string alice = TestJwt("alice");
  CreateNamespace("audited", 0);
  ASSERT_EQ(Status("POST", "/storage/audited/a.txt", alice, "a"), 201);
  ASSERT_EQ(Status("DELETE", "/storage/audited/a.txt", alice), 200);
  EXPECT_EQ(Status("DELETE", "/storage/audited/a.txt", TestJwt("bob")), 403);
  ASSERT_EQ(Status("DELETE", "/storage/namespaces/audited", alice), 200);

  // Logout is recorded by who the session was, though it no longer
  // verifies afterwards.
  const std::string session = json::parse(login->body)["token"];
  EXPECT_EQ(Status("POST", "/api/logout", session), 200);
  EXPECT_EQ(Status("GET", "/api/audit", ""), 401);
  EXPECT_EQ(Status("GET", "/api/audit", alice), 403);
  auto res = Send("GET", absl::StrCat("/api/audit?since=", since),
                  TestJwt("root", /*admin=*/true));
  ASSERT_EQ(res->status, 200) << res->body;
  std::vector<std::string> seen;
  const json events = json::parse(res->body)["events"];
  for (const json& e : events) {
    if (e["at_us"].get<int64_t>() < since_us) continue;
    seen.push_back(absl::StrCat(
        e["action"].get<std::string>(), " ", e["actor"].get<std::string>(), " ",
        e["target"].get<std::string>(), " ", e["outcome"].get<std::string>()));
    EXPECT_EQ(e["address"], "127.0.0.1");
  }
  // Newest first; uploads and reads are not security events.
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "logout alice alice ok",
                      "namespace.delete alice /storage/namespaces/audited ok",
                      "file.delete bob /storage/audited/a.txt 403 forbidden",
                      "file.delete alice /storage/audited/a.txt ok",
                      "namespace.create alice /storage/namespaces ok",
                      "login alice alice ok",
                      "login alice alice 401 unauthenticated",
                  }))
      << res->body;
}

// {caller} x {action} on a private and a public namespace.
TEST_F(FrontendTest, AuthorizationMatrix) {
  struct Caller {
    std::string name;
    std::string token;
    bool full;       // owner-equivalent rights
    bool forbidden;  // 403 rather than 401 when refused
  };
  const std::vector<Caller> callers = {
      {"owner", TestJwt("alice"), true, true},
      {"other", TestJwt("bob"), false, true},
      {"anonymous", "", false, false},
      {"token", scoped_token_, true, true},
      {"outofscope", other_token_, false, true},
      {"admin", TestJwt("root", true), true, true},
  };
  for (int visibility : {0, 1}) {
    for (const Caller& c : callers) {
      SCOPED_TRACE(absl::StrCat(c.name, " visibility ", visibility));
      const std::string ns = absl::StrCat("m-", visibility, "-", c.name);
      CreateNamespace(ns, visibility);
      ASSERT_EQ(
          Status("POST", "/storage/" + ns + "/f.txt", TestJwt("alice"), "f"),
          201);
      const int refused = c.forbidden ? 403 : 401;
      const int read = c.full || visibility == 1 ? 200 : refused;
      const int write = c.full ? 200 : refused;

      auto listed = Send("GET", "/storage/namespaces", c.token);
      ASSERT_EQ(listed->status, 200);
      bool found = false;
      for (const json& n : json::parse(listed->body)) found |= n["name"] == ns;
      EXPECT_EQ(found, c.full) << "list namespaces";
      EXPECT_EQ(Status("GET", "/storage/files?namespace=" + ns, c.token), read)
          << "list files";
      EXPECT_EQ(Status("POST", "/storage/" + ns + "/g.txt", c.token, "g"),
                c.full ? 201 : refused)
          << "upload";
      EXPECT_EQ(Status("GET", "/storage/" + ns + "/f.txt", c.token), read)
          << "view";
      EXPECT_EQ(Status("GET", "/storage/download/" + ns + "/f.txt", c.token),
                read)
          << "download";
      EXPECT_EQ(Status("DELETE", "/storage/" + ns + "/f.txt", c.token), write)
          << "delete";
      EXPECT_EQ(Status("PUT", "/storage/namespaces/" + ns, c.token,
                       "{\"hidden\":true}"),
                write)
          << "update namespace";
      EXPECT_EQ(Status("DELETE", "/storage/namespaces/" + ns, c.token), write)
          << "delete namespace";
    }
  }
}

TEST_F(FrontendTest, HundredMiBRawAndMultipartAndRangeAcrossChunks) {
  const std::string alice = TestJwt("alice");
  CreateNamespace("big", 1);
  const uint64_t size = 100 * kMiB;
  const std::string want = PatternSha256(7, size);
  auto client = server_->NewClient();
  for (bool multipart : {false, true}) {
    std::string path =
        multipart ? "/storage/big/multi.bin" : "/storage/big/raw.bin";
    auto up = UploadPattern(*client, path, alice, 7, size, multipart);
    ASSERT_TRUE(up);
    ASSERT_EQ(up->status, 201) << up->body;
    EXPECT_EQ(json::parse(up->body)["etag"], want);
    uint64_t got_size = 0;
    EXPECT_EQ(DownloadSha256(*client, path, "", &got_size), want);
    EXPECT_EQ(got_size, size);
  }
  const uint64_t from = 64 * kMiB - 1000;
  auto range =
      client->Get("/storage/big/raw.bin",
                  {{"Range", absl::StrCat("bytes=", from, "-", from + 1999)}});
  ASSERT_EQ(range->status, 206);
  EXPECT_EQ(range->body, Pattern(7, from, 2000));
}

TEST_F(FrontendTest, AbortedUploadLeavesPreviousVersion) {
  const std::string alice = TestJwt("alice");
  CreateNamespace("abort", 0);
  ASSERT_EQ(Status("POST", "/storage/abort/keep.bin", alice, "version one"),
            201);
  // Each upload promises 32 MiB, sends 8 MiB, then drops the connection.
  for (const std::string path :
       {"/storage/abort/keep.bin?overwrite=true", "/storage/abort/new.bin"}) {
    httplib::Client client("127.0.0.1", server_->port());
    auto res = client.Post(
        path, Bearer(alice), 32 * kMiB,
        [](size_t offset, size_t, httplib::DataSink& sink) {
          if (offset >= 8 * kMiB) return false;
          std::string piece = Pattern(1, offset, kMiB);
          return sink.write(piece.data(), piece.size());
        },
        "application/octet-stream");
    EXPECT_FALSE(res);
  }
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(Send("GET", "/storage/abort/keep.bin", alice)->body, "version one");
  EXPECT_EQ(Status("GET", "/storage/abort/new.bin", alice), 404);
}

TEST_F(FrontendTest, ProgressOverServerSentEvents) {
  const std::string alice = TestJwt("alice");
  CreateNamespace("sse", 0);
  const uint64_t size = 24 * kMiB;
  ProgressWatch watch(server_->port(), "transfer-1", alice);
  auto client = server_->NewClient();
  auto up = UploadPattern(*client, "/storage/sse/p.bin", alice, 3, size, false,
                          {{"X-Transfer-Id", "transfer-1"}});
  ASSERT_EQ(up->status, 201);
  ExpectCompleteUploadProgress(watch.Events(), size);

  // The original web UI's upload: multipart, `?id=`, X-File-Size; one event
  // per 64 KiB of 3 MiB at least.
  const uint64_t small = 3 * kMiB;
  ProgressWatch small_watch(server_->port(), "transfer-2", alice);
  up = UploadPattern(*client, "/storage/sse/small.bin?id=transfer-2", alice, 4,
                     small, /*multipart=*/true,
                     {{"X-File-Size", std::to_string(small)}});
  ASSERT_EQ(up->status, 201);
  ExpectCompleteUploadProgress(small_watch.Events(), small, 40);
  // A late watcher gets the final state at once.
  std::vector<std::string> late =
      WatchProgress(server_->port(), "transfer-1", alice);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_TRUE(json::parse(late[0])["done"].get<bool>());

  // The transfer is alice's: another user, or someone with no credentials,
  // watching the same id sees nothing of it (the first two seconds of the
  // stream hold keep-alive comments only; this server sends one a second).
  auto first_seconds = [&](const httplib::Headers& headers) {
    httplib::Client watcher("127.0.0.1", server_->port());
    const absl::Time until = absl::Now() + absl::Seconds(2);
    std::string seen;
    watcher.Get("/sse/progress?id=transfer-1", headers,
                [&](const char* data, size_t n) {
                  seen.append(data, n);
                  return absl::Now() < until;
                });
    return seen;
  };
  EXPECT_NE(first_seconds(Bearer(alice)).find("data: "), std::string::npos);
  for (const httplib::Headers& stranger :
       {Bearer(TestJwt("bob")), httplib::Headers()}) {
    const std::string seen = first_seconds(stranger);
    EXPECT_EQ(seen.find("data: "), std::string::npos) << seen;
    EXPECT_NE(seen.find(": keepalive"), std::string::npos) << seen;
  }
  // ...and bob's upload under the same id lands in bob's own transfer.
  const std::string bob = TestJwt("bob");
  ASSERT_EQ(Status("POST", "/storage/namespaces", bob,
                   "{\"name\":\"bobs\",\"visibility\":0}"),
            201);
  ProgressWatch bob_watch(server_->port(), "transfer-1", bob);
  up = UploadPattern(*client, "/storage/bobs/b.bin", bob, 5, small, false,
                     {{"X-Transfer-Id", "transfer-1"}});
  ASSERT_EQ(up->status, 201);
  ExpectCompleteUploadProgress(bob_watch.Events(), small, 40);
  late = WatchProgress(server_->port(), "transfer-1", alice);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(json::parse(late[0])["total"].get<uint64_t>(), size);
}

// A watch token lets someone without the uploader's credentials watch one
// transfer, and nothing else.
TEST_F(FrontendTest, AWatchTokenWatchesOneTransferWithoutCredentials) {
  const std::string alice = TestJwt("alice");
  CreateNamespace("wt", 0);
  auto issued = Send("POST", "/sse/progress/watch-token?id=shared-1", alice,
                     "{\"expires_in\": 600}");
  ASSERT_EQ(issued->status, 200) << issued->body;
  const json answer = json::parse(issued->body);
  const std::string url = answer["url"].get<std::string>();
  EXPECT_EQ(url,
            "/sse/progress?watch_token=" + answer["token"].get<std::string>());
  EXPECT_GT(answer["expires_at"].get<int64_t>(),
            absl::ToUnixSeconds(absl::Now()));

  auto client = server_->NewClient();
  const uint64_t size = 3 * kMiB;
  auto up = UploadPattern(*client, "/storage/wt/w.bin", alice, 6, size, false,
                          {{"X-Transfer-Id", "shared-1"}});
  ASSERT_EQ(up->status, 201);
  // No credentials but the token: the final state of alice's transfer.
  std::vector<std::string> events = WatchProgressAt(server_->port(), url, "");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(json::parse(events[0])["done"].get<bool>());
  EXPECT_EQ(json::parse(events[0])["total"].get<uint64_t>(), size);
  EXPECT_EQ(json::parse(events[0])["id"].get<std::string>(), "shared-1");

  // A tampered token, a download link's token and a bad lifetime are
  // refused.
  std::string forged = url;
  char& flipped = forged[forged.size() - 5];  // in the signature
  flipped = flipped == 'A' ? 'B' : 'A';
  EXPECT_EQ(Status("GET", forged, ""), 403);
  auto link = Send("POST", "/storage/sign/wt/w.bin", alice,
                   "{\"method\": \"GET\", \"expires_in\": 60}");
  ASSERT_EQ(link->status, 200) << link->body;
  const std::string link_url =
      json::parse(link->body)["url"].get<std::string>();
  const std::string link_token =
      link_url.substr(link_url.find("signature=") + 10);
  EXPECT_EQ(Status("GET", "/sse/progress?watch_token=" + link_token, ""), 403);
  EXPECT_EQ(Status("POST", "/sse/progress/watch-token?id=x", alice,
                   "{\"expires_in\": 0}"),
            400);
  EXPECT_EQ(Status("POST", "/sse/progress/watch-token", alice, ""), 400);
}

// With --content_origin, files are shown inline only from that origin,
// which serves nothing else and acts as nobody.
TEST_F(FrontendTest, InlineFilesAreShownFromTheContentOriginOnly) {
  FrontendServer frontend(
      TestFrontendOptions(*cluster_, "content-origin", "",
                          {"--content_origin=http://content.test"}));
  ASSERT_TRUE(frontend.Start().ok());
  auto client = frontend.NewClient();
  const httplib::Headers alice = Bearer(TestJwt("alice"));
  auto created =
      client->Post("/storage/namespaces", alice,
                   R"({"name":"co","visibility":0})", "application/json");
  ASSERT_TRUE(created && created->status == 201);
  const std::string png = "\x89PNG\r\n\x1a\n not really";
  for (const char* name : {"pic.png", "page.html"}) {
    auto put = client->Put(absl::StrCat("/storage/co/", name), alice, png,
                           "application/octet-stream");
    ASSERT_TRUE(put && put->status == 201) << put->body;
  }

  // The API's origin redirects an inline view to the content origin...
  auto view = client->Get("/storage/co/pic.png", alice);
  ASSERT_TRUE(view);
  ASSERT_EQ(view->status, 302);
  EXPECT_EQ(view->get_header_value("Cache-Control"), "no-store");
  const std::string location = view->get_header_value("Location");
  const std::string prefix =
      "http://content.test/storage/co/pic.png?signature=";
  ASSERT_EQ(location.substr(0, prefix.size()), prefix);
  // ...which shows it, sandboxed, to whoever follows the link.
  const httplib::Headers on_content = {{"Host", "content.test"}};
  auto shown =
      client->Get(location.substr(strlen("http://content.test")), on_content);
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->status, 200);
  EXPECT_EQ(shown->body, png);
  EXPECT_EQ(shown->get_header_value("Content-Security-Policy"),
            "sandbox; default-src 'none'");

  // Downloads and types never shown inline stay on the API's origin.
  auto document = client->Get("/storage/co/page.html", alice);
  ASSERT_TRUE(document);
  EXPECT_EQ(document->status, 200);
  EXPECT_EQ(document->get_header_value("Content-Type"),
            "application/octet-stream");
  auto download = client->Get("/storage/download/co/pic.png", alice);
  ASSERT_TRUE(download);
  EXPECT_EQ(download->status, 200);

  // The content origin acts as nobody (credentials are dropped) and
  // serves nothing but files.
  httplib::Headers as_alice = alice;
  as_alice.emplace("Host", "content.test");
  auto private_file = client->Get("/storage/co/pic.png", as_alice);
  ASSERT_TRUE(private_file);
  EXPECT_NE(private_file->status, 200);
  for (const char* path : {"/api/session", "/storage/files?namespace=co"}) {
    auto api = client->Get(path, as_alice);
    ASSERT_TRUE(api);
    EXPECT_EQ(api->status, 404) << path;
    EXPECT_NE(api->body.find("file content only"), std::string::npos);
  }
}

// `sfs user` and `sfs token create` with --http change accounts through
// the running frontend's admin API: no restart, no catalog lock.
TEST_F(FrontendTest, TheCliChangesAccountsThroughTheAdminApi) {
  const std::string http =
      absl::StrCat("--http=http://127.0.0.1:", server_->port());
  auto sfs = [&](std::vector<std::string> args, const std::string& token) {
    setenv("SFS_TOKEN", token.c_str(), 1);
    setenv("SFS_PASSWORD", "dave-password", 1);
    args.insert(args.begin(), BinDir() + "/sfs");
    args.push_back(http);
    CommandResult result = RunCommand(args);
    unsetenv("SFS_TOKEN");
    unsetenv("SFS_PASSWORD");
    return result;
  };
  const std::string root = TestJwt("root", /*admin=*/true);
  auto login = [&] {
    return server_->NewClient()
        ->Post("/api/login",
               R"({"username":"dave","password":"dave-password"})",
               "application/json")
        ->status;
  };

  // Only an administrator changes accounts; the CLI says why not.
  CommandResult refused = sfs({"user", "add", "dave"}, TestJwt("alice"));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("403"), std::string::npos) << refused.err;
  EXPECT_EQ(login(), 401);

  CommandResult added = sfs({"user", "add", "dave"}, root);
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_EQ(login(), 200);
  CommandResult listed = sfs({"user", "list"}, root);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("dave\n"), std::string::npos) << listed.out;
  EXPECT_NE(sfs({"user", "add", "dave"}, root).exit_code, 0);  // taken

  // An API token for dave's namespaces works at once; one naming
  // another's namespace is refused.
  CommandResult token = sfs({"token", "create", "--user=dave",
                             "--scopes=storage.dave.files.notes:read,create"},
                            root);
  ASSERT_EQ(token.exit_code, 0) << token.err;
  const std::string secret(absl::StripTrailingAsciiWhitespace(token.out));
  EXPECT_EQ(Status("GET", "/api/session", secret), 200);
  CommandResult foreign = sfs(
      {"token", "create", "--user=dave", "--scopes=storage.alice.files.x:read"},
      root);
  EXPECT_NE(foreign.exit_code, 0);
  EXPECT_NE(foreign.err.find("may only name"), std::string::npos)
      << foreign.err;

  // Deleting dave ends his logins and his token.
  CommandResult deleted = sfs({"user", "del", "dave"}, root);
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_EQ(login(), 401);
  EXPECT_EQ(Status("GET", "/api/session", secret), 401);
}

}  // namespace
}  // namespace sfs
