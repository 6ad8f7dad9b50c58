// A gtest fixture for any store with `static StatusOr<unique_ptr<Store>>
// Store::Open(dir)`: a fresh temp directory per test, removed afterwards,
// and Reopen() to check what survives closing the store.
#ifndef SFS_COMMON_TESTING_STORE_TEST_BASE_H_
#define SFS_COMMON_TESTING_STORE_TEST_BASE_H_

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace sfs {

template <typename Store>
class StoreTestBase : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sfs-store-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto store = Store::Open(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace sfs

#endif  // SFS_COMMON_TESTING_STORE_TEST_BASE_H_
