// Copyright sessionstore authors.
//
// What every peer of bench/compare measures with: the clock, latency
// samples, peak RSS, disk footprint, the Result of one peer's run, and the
// Report that prints the results side by side with ratios.

#ifndef SESSIONSTORE_BENCH_COMPARE_HARNESS_H_
#define SESSIONSTORE_BENCH_COMPARE_HARNESS_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace sessionstore::bench {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b);

// Wall-clock and CPU seconds of a timed phase. The CPU is the whole
// process's (user + system, every thread): a peer's background threads
// count while the phase runs, and not after it.
struct Elapsed {
  double wall_s = 0;
  double cpu_s = 0;
  Elapsed& operator+=(const Elapsed& o) {
    wall_s += o.wall_s;
    cpu_s += o.cpu_s;
    return *this;
  }
};

// Measures an Elapsed from its construction.
class Meter {
 public:
  Meter();
  Elapsed Read() const;

 private:
  Clock::time_point wall0_;
  double cpu0_s_ = 0;
};

// Prints "compare: <what>" to stderr and exits with status 1.
[[noreturn]] void Die(const std::string& what);

// Peak resident memory of the process above what it was resident when
// constructed (which resets the peak).
class PeakRss {
 public:
  PeakRss();
  double DeltaMb() const;

 private:
  uint64_t rss0_kb_;
};

struct Latency {
  double p50_us = 0, p99_us = 0;
};
// Runs op(0) ... op(n - 1), timing each call.
Latency Measure(std::size_t n, const std::function<void(std::size_t)>& op);

// The figures of one peer's run.
struct Result {
  std::string peer;
  double ingest_s = 0;
  double traces_per_s = 0, mb_per_s = 0;
  double cpu_us_per_trace = 0;  // Process CPU of the timed ingest.
  double disk_bytes_per_trace = 0;
  double peak_rss_mb = 0;
  std::map<std::string, Latency> latency;  // Query name -> latency.
};

// Sets the ingest figures of `r`: `versions` trace versions, `json_bytes`
// of JSON Lines, ingested in `took`.
void RecordIngest(const Elapsed& took, std::size_t versions, uint64_t json_bytes, Result* r);

// Sets the footprint figures of `r` (peak RSS since `rss` was constructed,
// bytes under `dir` per trace of `traces`), then removes `dir`.
void RecordFootprint(const PeakRss& rss, const std::string& dir, std::size_t traces, Result* r);

// Prints the table: a column per result, a row per figure, and the ratio of
// the first result to each other one.
void Report(const std::vector<Result>& results);

}  // namespace sessionstore::bench

#endif  // SESSIONSTORE_BENCH_COMPARE_HARNESS_H_
