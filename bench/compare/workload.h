// Copyright sessionstore authors.
//
// The one workload every peer of bench/compare ingests and queries:
// generated trace versions (tools/workload_generator.h), the sessions and
// users the queries sample, and an extra hot session; plus the query
// parameters every peer shares.

#ifndef SESSIONSTORE_BENCH_COMPARE_WORKLOAD_H_
#define SESSIONSTORE_BENCH_COMPARE_WORKLOAD_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "bench/compare/args.h"
#include "bench/compare/harness.h"
#include "sessionstore/trace.h"
#include "tools/workload_generator.h"

namespace sessionstore::bench {

struct Workload {
  std::vector<Trace> versions;    // Arrival order, retries and partials included.
  std::size_t version_count = 0;  // versions.size(), also when streamed.
  uint64_t json_bytes = 0;
  std::vector<std::string> sessions;  // Sessions to sample for queries.
  std::string biggest_session;
  std::vector<std::string> users;
  int64_t max_start = 0;
  std::vector<Trace> hot;  // The extra hot session.
};

// The filtered listings every peer that can answers (first page of 50,
// newest first): error sessions; session id contains kFilterSearch
// (case-insensitive); a trace carries kFilterTag; cost in
// [kFilterMinCost, kFilterMaxCost] nano-USD, by total tokens.
inline constexpr char kFilterSearch[] = "sess-1";
inline constexpr char kFilterTag[] = "vip";
inline constexpr int64_t kFilterMinCost = 10'000'000;   // $0.01
inline constexpr int64_t kFilterMaxCost = 100'000'000;  // $0.10

// Content search and analytics over the "24h" window (WindowStart to the
// last trace): a word of the generator's vocabulary, first page of 20
// hits; the window's session statistics with this goal tag.
inline constexpr char kSearchWord[] = "orquimida";
inline constexpr char kGoalTag[] = "goal:resolved";

// The session id of Workload::hot.
inline constexpr char kHotSession[] = "hot-session";

// The generator's options for `a`.
WorkloadOptions GeneratorOptions(const Args& a);

// With a.stream, only the statistics: the versions are generated again, in
// chunks, by the ingest that uses them.
Workload MakeWorkload(const Args& a);

// Calls `ingest` with every version in arrival order: w.versions in one
// span, or with a.stream, generated again in chunks of 100K versions (a
// multiple of every peer's batch). Returns the wall and process CPU
// seconds spent inside `ingest` (with a.stream, the generation of the next
// chunk is not counted; background work keeps running meanwhile, and its
// CPU then is not counted either).
Elapsed IngestInChunks(const Args& a, const Workload& w,
                       const std::function<void(std::span<const Trace>)>& ingest);

// Start of the window of the cost-sorted listing ("ListSessions by cost,
// 24h"): a.window_hours before the last trace.
int64_t WindowStart(const Args& a, const Workload& w);

// Samples of the "Timeline <n>" figure: fewer for the longest timeline.
std::size_t TimelineSamples(const Args& a, std::size_t n);

// Samples of the sessionstore and SQLite "ListSessions" figures.
std::size_t ListSamples(const Args& a);

// Samples of the slowest queries: SQLite's cost-sorted listing and every
// DuckDB query.
std::size_t FewSamples(const Args& a);

}  // namespace sessionstore::bench

#endif  // SESSIONSTORE_BENCH_COMPARE_WORKLOAD_H_
