// What only the embedded catalog promises; shared behaviour is in
// catalog_conformance_test.

#include "sfs-frontend/catalog/embedded_catalog.h"

#include <rocksdb/db.h>

#include <filesystem>

#include "gtest/gtest.h"

namespace sfs::frontend {
namespace {

class EmbeddedCatalogTest : public testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/sfs-embedded-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = std::string(dir_template) + "/catalog";
  }
  void TearDown() override {
    std::filesystem::remove_all(std::filesystem::path(dir_).parent_path());
  }

  std::string dir_;
};

TEST_F(EmbeddedCatalogTest, SecondOpenOfADirectoryIsUnavailable) {
  auto first = EmbeddedCatalog::Open(dir_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(EmbeddedCatalog::Open(dir_).status().code(),
            absl::StatusCode::kUnavailable);
  first->reset();
  EXPECT_TRUE(EmbeddedCatalog::Open(dir_).ok());
}

TEST_F(EmbeddedCatalogTest, UndecodableRecordIsDataLoss) {
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    // Namespace "broken" and user "broken", neither holding a valid record.
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "n/broken", "{not json").ok());
    ASSERT_TRUE(
        db->Put(rocksdb::WriteOptions(), "u/broken", R"({"username":1})").ok());
  }
  auto catalog = EmbeddedCatalog::Open(dir_);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_EQ((*catalog)->GetNamespace("broken").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ((*catalog)->GetUser("broken").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ((*catalog)->ListUsers().status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace sfs::frontend
