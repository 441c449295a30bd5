// Copyright sessionstore authors.
//
// WorkloadGenerator: a seeded synthetic LLM-observability workload for
// demos, tests and benchmarks. Heavy-tailed: a few sessions hold a large
// share of the traces, payload sizes are log-normal (mean about
// mean_payload_bytes, capped at 64 KiB) of word-based text that compresses
// like chat, 1 to 5 spans per trace. It also emits what real clients send:
// exact retries and partial first versions completed by a later version.
//
// The same options and seed always give the same sequence. Not thread-safe.

#ifndef SESSIONSTORE_TOOLS_WORKLOAD_GENERATOR_H_
#define SESSIONSTORE_TOOLS_WORKLOAD_GENERATOR_H_

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "sessionstore/trace.h"

namespace sessionstore {

struct WorkloadOptions {
  uint64_t seed = 42;
  // Distinct traces generated (retries and partial versions come on top).
  std::size_t traces = 10000;
  std::size_t sessions = 1000;
  std::size_t users = 200;
  // Fraction of traces first sent as a partial version (no output, no end,
  // fewer spans) and completed later. Default: 0.1.
  double partial_fraction = 0.1;
  // Fraction of sent versions that are resent unchanged. Default: 0.03.
  double retry_fraction = 0.03;
  double error_fraction = 0.05;
  std::size_t mean_payload_bytes = 1024;
  int64_t start_ns = 1767225600LL * 1'000'000'000;  // 2026-01-01T00:00:00Z
};

class WorkloadGenerator {
 public:
  explicit WorkloadGenerator(const WorkloadOptions& options);

  // Produces the next trace version to send. Returns false when done.
  bool Next(Trace* trace);

 private:
  Trace MakeTrace(std::size_t n);
  std::string Text(std::size_t bytes);
  std::size_t PayloadSize();

  WorkloadOptions options_;
  std::mt19937_64 rng_;
  std::size_t produced_ = 0;
  std::vector<int64_t> session_clock_;
  std::vector<std::size_t> session_turns_;
  // Versions to send later, with the number of sends still to wait.
  std::deque<std::pair<std::size_t, Trace>> later_;
  std::vector<std::string> words_;
  static constexpr std::size_t kWordTableSize = 1 << 16;
  std::vector<std::size_t> word_table_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_WORKLOAD_GENERATOR_H_
