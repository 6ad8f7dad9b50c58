#include "sfs-frontend/server/router.h"

#include <httplib.h>

#include "gtest/gtest.h"

namespace sfs::frontend {
namespace {

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() : router_(&metrics_) {
    router_.Add({"GET", "POST"}, "/items", "items", [this](const HttpCall& c) {
      last_ = "items " + c.req.method;
      return absl::OkStatus();
    });
    router_.Add({"DELETE"}, "/items/([^/]+)", "item",
                [this](const HttpCall& c) {
                  last_ = "item " + c.match[1].str();
                  return absl::NotFoundError("no such item");
                });
    router_.Add(
        {"GET"}, "/pages/(.+)", "page",
        [](const HttpCall& c) {
          return absl::NotFoundError("no <b>" + c.match[1].str() + "</b>");
        },
        WriteErrorForBrowsers);
    router_.Add({"GET"}, "/(.+)", "anything", [this](const HttpCall& c) {
      last_ = "anything";
      return absl::OkStatus();
    });
  }

  httplib::Response Call(const std::string& method, const std::string& path,
                         const std::string& accept = "*/*") {
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.headers.emplace("Accept", accept);
    httplib::Response res;
    res.status = 200;
    router_.Dispatch(req, res, nullptr);
    return res;
  }

  Metrics metrics_;
  Router router_;
  std::string last_;
};

TEST_F(RouterTest, DispatchesByMethodWithCaptures) {
  EXPECT_EQ(Call("POST", "/items").status, 200);
  EXPECT_EQ(last_, "items POST");
  EXPECT_EQ(Call("HEAD", "/items").status, 200);
  EXPECT_EQ(last_, "items HEAD");
  httplib::Response res = Call("DELETE", "/items/42");
  EXPECT_EQ(last_, "item 42");
  EXPECT_EQ(res.status, 404);
  EXPECT_NE(res.body.find("\"code\":\"not_found\""), std::string::npos);
}

TEST_F(RouterTest, FirstMatchingRouteOwnsThePath) {
  // "/items/42" also matches the catch-all, but the specific route owns it.
  httplib::Response res = Call("GET", "/items/42");
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(res.get_header_value("Allow"), "DELETE");
  res = Call("PUT", "/items");
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(res.get_header_value("Allow"), "GET, POST, HEAD");
  EXPECT_EQ(Call("GET", "/other").status, 200);
  EXPECT_EQ(last_, "anything");
  EXPECT_EQ(Call("GET", "/").status, 404);
}

TEST_F(RouterTest, BrowserNavigationsToPageRoutesGetAnEscapedHtmlError) {
  const std::string navigation = "text/html,application/xhtml+xml,*/*;q=0.8";
  httplib::Response res = Call("GET", "/pages/x", navigation);
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(res.body.find("<title>404 Not Found</title>"), std::string::npos);
  EXPECT_NE(res.body.find("no &lt;b&gt;x&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(res.body.find("<b>"), std::string::npos);

  // fetch() and scripts get JSON from the same route; other routes always.
  res = Call("GET", "/pages/x");
  EXPECT_EQ(res.get_header_value("Content-Type"), "application/json");
  res = Call("DELETE", "/items/1", navigation);
  EXPECT_EQ(res.get_header_value("Content-Type"), "application/json");
}

TEST(RouterFallbackTest, AnswersPathsNoRouteMatches) {
  Metrics metrics;
  Router router(&metrics);
  router.Add({"GET"}, "/items", "items",
             [](const HttpCall&) { return absl::OkStatus(); });
  auto call = [&](const std::string& path) {
    httplib::Request req;
    req.method = "GET";
    req.path = path;
    httplib::Response res;
    res.status = 200;
    router.Dispatch(req, res, nullptr);
    return res;
  };
  EXPECT_EQ(call("/other").status, 404);
  router.SetFallback("pages", [](const HttpCall& c) {
    if (c.req.path == "/missing") return absl::NotFoundError("missing page");
    c.res.status = 200;
    c.res.set_content("page " + c.req.path, "text/html");
    return absl::OkStatus();
  });
  EXPECT_EQ(call("/other").body, "page /other");
  httplib::Response missing = call("/missing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("missing page"), std::string::npos);
  EXPECT_EQ(call("/items").status, 200);
  EXPECT_NE(metrics.Render().find("{method=\"GET\",route=\"pages\",status="
                                  "\"404\"} 1"),
            std::string::npos);
}

TEST_F(RouterTest, CountsAnswersByRouteName) {
  Call("POST", "/items");
  Call("PUT", "/items");
  std::string text = metrics_.Render();
  EXPECT_NE(text.find("{method=\"POST\",route=\"items\",status=\"200\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("{method=\"PUT\",route=\"items\",status=\"405\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("sfs_frontend_request_duration_seconds_count{method="
                      "\"POST\",route=\"items\"} 1"),
            std::string::npos);
}

}  // namespace
}  // namespace sfs::frontend
