// What only the PostgreSQL catalog promises: several replicas on one
// database (progress fan-out, concurrent schema migration) and recovery from
// broken connections. The shared behaviour is in catalog_conformance_test.

#include "sfs-frontend/catalog/postgres_catalog.h"

#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "sfs-frontend/catalog/postgres_connection.h"
#include "sfs-frontend/catalog/postgres_schema.h"
#include "sfs-frontend/catalog/testing/catalog_stores.h"
#include "sfs-frontend/catalog/testing/progress_inbox.h"

namespace sfs::frontend {
namespace {

NamespaceRecord Namespace(const std::string& name) {
  NamespaceRecord record;
  record.name = name;
  record.owner_id = "alice";
  return record;
}

class PostgresCatalogTest : public testing::Test {
 protected:
  void SetUp() override {
    auto conninfo = NewPostgresDatabase();
    ASSERT_TRUE(conninfo.ok()) << conninfo.status();
    conninfo_ = *conninfo;
  }

  std::unique_ptr<PostgresCatalog> OpenReplica() {
    auto catalog = PostgresCatalog::Open(conninfo_);
    EXPECT_TRUE(catalog.ok()) << catalog.status();
    return catalog.ok() ? *std::move(catalog) : nullptr;
  }

  // Runs `sql` on a connection of its own.
  absl::StatusOr<PgResult> Sql(const std::string& sql) {
    auto conn = PgConnection::Connect(conninfo_);
    if (!conn.ok()) return conn.status();
    return (*conn)->Exec(sql);
  }

  std::string conninfo_;
};

TEST_F(PostgresCatalogTest, ProgressPublishedOnOneReplicaReachesAnother) {
  std::unique_ptr<PostgresCatalog> a = OpenReplica();
  std::unique_ptr<PostgresCatalog> b = OpenReplica();
  ASSERT_TRUE(a && b);
  ProgressInbox on_a, on_b;
  auto sub_a = a->Subscribe(on_a.Callback());
  auto sub_b = b->Subscribe(on_b.Callback());

  const std::string event =
      R"({"id":"t1","direction":"upload","bytes":10,"total":100})";
  ASSERT_TRUE(a->PublishProgress(event).ok());
  EXPECT_TRUE(on_b.WaitFor(event));
  EXPECT_TRUE(on_a.WaitFor(event));

  ASSERT_TRUE(b->PublishProgress("from b").ok());
  EXPECT_TRUE(on_a.WaitFor("from b"));
}

TEST_F(PostgresCatalogTest, RecordsWrittenByOneReplicaAreSeenByAnother) {
  std::unique_ptr<PostgresCatalog> a = OpenReplica();
  std::unique_ptr<PostgresCatalog> b = OpenReplica();
  ASSERT_TRUE(a && b);
  NamespaceRecord record = Namespace("shared");
  ASSERT_TRUE(a->CreateNamespace(record).ok());
  EXPECT_EQ(b->CreateNamespace(record).code(),
            absl::StatusCode::kAlreadyExists);
  auto got = b->GetNamespace("shared");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, record);

  SigningKeyRecord key = {"k1", std::string(kMinSigningKeySecretBytes, 's'), 1};
  ASSERT_TRUE(a->AddSigningKey(key).ok());
  EXPECT_EQ(*b->ListSigningKeys(), std::vector<SigningKeyRecord>{key});
  ASSERT_TRUE(a->ClaimSingleUse("g1", 200, 100).ok());
  EXPECT_EQ(b->ClaimSingleUse("g1", 200, 100).code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(PostgresCatalogTest, MigrationsRunOnceAcrossReopens) {
  for (int i = 0; i < 3; ++i) ASSERT_NE(OpenReplica(), nullptr);
  auto applied = Sql("SELECT version FROM schema_migrations ORDER BY version");
  ASSERT_TRUE(applied.ok()) << applied.status();
  ASSERT_EQ(applied->rows(), static_cast<int>(PgMigrations().size()));
  for (int i = 0; i < applied->rows(); ++i) {
    EXPECT_EQ(applied->Text(i, 0), std::to_string(PgMigrations()[i].version));
  }
}

// The previous release's database: migration 1 only, with records in it.
TEST_F(PostgresCatalogTest, DatabaseOfVersion1GainsLaterTables) {
  {
    std::unique_ptr<PostgresCatalog> catalog = OpenReplica();
    ASSERT_NE(catalog, nullptr);
    ASSERT_TRUE(catalog->CreateNamespace(Namespace("kept")).ok());
  }
  for (const char* sql :
       {"DROP TABLE signing_keys", "DROP TABLE single_use_grants",
        "DROP TABLE audit_events",
        "DELETE FROM schema_migrations WHERE version > 1"}) {
    ASSERT_TRUE(Sql(sql).ok()) << sql;
  }

  std::unique_ptr<PostgresCatalog> catalog = OpenReplica();
  ASSERT_NE(catalog, nullptr);
  EXPECT_TRUE(catalog->GetNamespace("kept").ok());
  EXPECT_TRUE(catalog
                  ->AddSigningKey(
                      {"k1", std::string(kMinSigningKeySecretBytes, 's'), 1})
                  .ok());
  EXPECT_TRUE(catalog->ClaimSingleUse("g1", 200, 100).ok());
  EXPECT_TRUE(catalog->AppendAudit({1, "a", "b", "c", "ok", ""}).ok());
  auto applied = Sql("SELECT count(*) FROM schema_migrations");
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(applied->Text(0, 0), std::to_string(PgMigrations().size()));
}

TEST_F(PostgresCatalogTest, ReplicasStartingTogetherMigrateSafely) {
  constexpr int kReplicas = 6;
  std::vector<std::unique_ptr<PostgresCatalog>> replicas(kReplicas);
  std::vector<absl::Status> results(kReplicas);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      auto catalog = PostgresCatalog::Open(conninfo_);
      results[i] = catalog.status();
      if (catalog.ok()) replicas[i] = *std::move(catalog);
    });
  }
  for (auto& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  auto applied = Sql("SELECT count(*) FROM schema_migrations");
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(applied->Text(0, 0), std::to_string(PgMigrations().size()));
}

TEST_F(PostgresCatalogTest, RecoversAfterServerDropsConnections) {
  std::unique_ptr<PostgresCatalog> catalog = OpenReplica();
  ASSERT_NE(catalog, nullptr);
  ASSERT_TRUE(catalog->CreateNamespace(Namespace("kept")).ok());
  ProgressInbox inbox;
  auto subscription = catalog->Subscribe(inbox.Callback());

  // Kill every other session on the database: the pool's connections and
  // the listener's.
  auto killed =
      Sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
          "WHERE datname = current_database() AND pid <> pg_backend_pid()");
  ASSERT_TRUE(killed.ok()) << killed.status();
  ASSERT_GE(killed->rows(), 2);

  // A stale pooled connection may fail one call with Unavailable; the next
  // call reconnects.
  absl::StatusOr<NamespaceRecord> got = catalog->GetNamespace("kept");
  if (!got.ok()) {
    EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable)
        << got.status();
    got = catalog->GetNamespace("kept");
  }
  ASSERT_TRUE(got.ok()) << got.status();

  // The listener reconnects on its own; events published after that arrive.
  bool delivered = false;
  for (int i = 0; i < 100 && !delivered; ++i) {
    std::string event = "after reconnect " + std::to_string(i);
    absl::Status published = catalog->PublishProgress(event);
    delivered = published.ok() && inbox.WaitFor(event, absl::Milliseconds(200));
  }
  EXPECT_TRUE(delivered);
}

TEST(PostgresCatalogOpenTest, UnreachableServerIsUnavailable) {
  auto catalog = PostgresCatalog::Open(
      "host=/nonexistent-sfs-socket-dir port=1 dbname=x connect_timeout=2");
  EXPECT_EQ(catalog.status().code(), absl::StatusCode::kUnavailable)
      << catalog.status();
}

}  // namespace
}  // namespace sfs::frontend
