// sfs-bench-rocksdb: what RocksDB alone does on this disk, the baseline of
// the master's metadata figures (the master keeps its namespace in RocksDB).
//
//   sfs-bench-rocksdb --db=/tmp/x --op=put --concurrency=16
//   sfs-bench-rocksdb --db=/tmp/x --op=get --keys=10000 --concurrency=16
//
// put: one small record per write with a synced WAL (WriteOptions::sync), as
//      the master writes every mutation; concurrent writers share syncs the
//      way the master's do (RocksDB group commit).
// get: point lookups of random keys among --keys preloaded records; every
//      lookup must find its record.
// Prints one JSON line per run (see load_loop.h).
#include <memory>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/load_loop.h"
#include "common/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

ABSL_FLAG(std::string, db, "", "database directory (created; must be new)");
ABSL_FLAG(std::string, op, "put", "put | get");
ABSL_FLAG(uint64_t, keys, 10000, "get: records preloaded and looked up");
ABSL_FLAG(int, value_bytes, 128, "bytes per record, about a file record");

namespace sfs::bench {
namespace {

absl::Status FromRocks(const rocksdb::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::InternalError(status.ToString());
}

std::string Key(uint64_t index) { return absl::StrFormat("k%016d", index); }

// Fills keys [0, count) in large unsynced batches, then flushes them to SST
// files so lookups go through the same read path as a long-running master.
absl::Status Preload(rocksdb::DB* db, uint64_t count,
                     const std::string& value) {
  rocksdb::WriteBatch batch;
  for (uint64_t i = 0; i < count; ++i) {
    batch.Put(Key(i), value);
    if (batch.Count() == 10000 || i + 1 == count) {
      RETURN_IF_ERROR(FromRocks(db->Write(rocksdb::WriteOptions(), &batch)));
      batch.Clear();
    }
  }
  return FromRocks(db->Flush(rocksdb::FlushOptions()));
}

absl::StatusOr<LoadResult> Run(const std::string& op, rocksdb::DB* db) {
  const std::string value(absl::GetFlag(FLAGS_value_bytes), 'v');
  const uint64_t keys = absl::GetFlag(FLAGS_keys);
  const LoadSpec spec = LoadSpecFromFlags();
  if (op == "put") {
    rocksdb::WriteOptions synced;
    synced.sync = true;
    return RunLoad(spec, [&](uint64_t i) {
      return FromRocks(db->Put(synced, Key(i), value));
    });
  }
  if (op == "get") {
    if (keys == 0) return absl::InvalidArgumentError("get needs --keys");
    RETURN_IF_ERROR(Preload(db, keys, value));
    return RunLoad(spec, [&](uint64_t i) -> absl::Status {
      std::string found;
      const std::string key = Key((i * 0x9E3779B97F4A7C15ULL) % keys);
      RETURN_IF_ERROR(FromRocks(db->Get(rocksdb::ReadOptions(), key, &found)));
      if (found != value) return absl::DataLossError("wrong value at " + key);
      return absl::OkStatus();
    });
  }
  return absl::InvalidArgumentError("--op must be put or get");
}

}  // namespace
}  // namespace sfs::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string op = absl::GetFlag(FLAGS_op);
  rocksdb::Options options;
  options.create_if_missing = true;
  options.error_if_exists = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status opened =
      rocksdb::DB::Open(options, absl::GetFlag(FLAGS_db), &raw);
  if (!opened.ok()) {
    fprintf(stderr, "cannot open %s: %s\n", absl::GetFlag(FLAGS_db).c_str(),
            opened.ToString().c_str());
    return 1;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  return sfs::bench::Report(op, sfs::bench::Run(op, db.get()));
}
