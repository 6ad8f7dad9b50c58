#include "bench/load_loop.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"

ABSL_FLAG(int, concurrency, 1, "threads issuing operations at once");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "length of the run");

namespace sfs::bench {
namespace {

double Percentile(const std::vector<double>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  size_t index = static_cast<size_t>(fraction * (sorted.size() - 1));
  return sorted[index];
}

}  // namespace

LoadSpec LoadSpecFromFlags() {
  return LoadSpec{.concurrency = absl::GetFlag(FLAGS_concurrency),
                  .duration = absl::GetFlag(FLAGS_duration)};
}

absl::StatusOr<LoadResult> RunLoad(
    const LoadSpec& spec, const std::function<absl::Status(uint64_t)>& op) {
  std::atomic<uint64_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  absl::Status first_error;
  std::vector<double> latencies_us;

  const absl::Time start = absl::Now();
  const absl::Time deadline = start + spec.duration;
  auto worker = [&] {
    std::vector<double> mine;
    while (!stop.load(std::memory_order_relaxed) && absl::Now() < deadline) {
      uint64_t i = next.fetch_add(1);
      if (spec.max_ops != 0 && i >= spec.max_ops) break;
      absl::Time begin = absl::Now();
      absl::Status status = op(i);
      mine.push_back(absl::ToDoubleMicroseconds(absl::Now() - begin));
      if (!status.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (first_error.ok()) first_error = status;
        stop = true;
      }
    }
    std::lock_guard<std::mutex> lock(mu);
    latencies_us.insert(latencies_us.end(), mine.begin(), mine.end());
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < spec.concurrency; ++t) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (!first_error.ok()) return first_error;

  std::sort(latencies_us.begin(), latencies_us.end());
  LoadResult result;
  result.concurrency = spec.concurrency;
  result.ops = latencies_us.size();
  result.seconds = seconds;
  result.ops_per_sec = seconds > 0 ? result.ops / seconds : 0;
  result.p50_us = Percentile(latencies_us, 0.50);
  result.p99_us = Percentile(latencies_us, 0.99);
  return result;
}

std::string ToJsonLine(const std::string& label, const LoadResult& result) {
  nlohmann::json line = {{"label", label},
                         {"concurrency", result.concurrency},
                         {"ops", result.ops},
                         {"seconds", result.seconds},
                         {"ops_per_sec", result.ops_per_sec},
                         {"p50_us", result.p50_us},
                         {"p99_us", result.p99_us}};
  return line.dump();
}

int Report(const std::string& label, const absl::StatusOr<LoadResult>& result) {
  if (!result.ok()) {
    fprintf(stderr, "%s: %s\n", label.c_str(),
            result.status().ToString().c_str());
    return 1;
  }
  printf("%s\n", ToJsonLine(label, *result).c_str());
  fflush(stdout);
  return 0;
}

}  // namespace sfs::bench
