// Copyright sessionstore authors.
//
// SessionDetail: what `session` and `timeline --gaps` show beyond the
// stored aggregate, computed from a session's timeline (Store::Timeline
// pages, start order): usage over time (one row per trace, with the
// cumulative cost), latency percentiles over the traces and idle gaps
// between consecutive traces.
//
// Definitions (README.md, "Command line"):
// - A trace's latency is its effective end minus its effective start
//   (ComputeTraceUsage: over the trace's and its spans' times); a trace
//   where neither the trace nor any span has an end has no latency and
//   counts in no percentile.
// - Percentiles are nearest-rank: the p-th is the ceil(p * n / 100)-th
//   smallest of the n latencies (always an observed value; ties need no
//   interpolation).
// - The idle time before a trace is its start minus the end of the trace
//   before it in start order (that trace's effective end, or its start if
//   it has no end), and 0 when they overlap. The first trace has none.
//
// Pure computation on public value types, except FindPreviousTrace, which
// reads a Store. Not thread-safe (one builder per thread).

#ifndef SESSIONSTORE_TOOLS_SESSION_DETAIL_H_
#define SESSIONSTORE_TOOLS_SESSION_DETAIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sessionstore/store.h"
#include "sessionstore/trace.h"

namespace sessionstore {

// One row of `session --usage`: a trace's usage (TraceUsage rules).
struct UsageRow {
  std::string trace_id;
  int64_t start_ns = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cost_nano_usd = 0;
  std::optional<int64_t> latency_ns;     // Absent: no end known.
  int64_t cumulative_cost_nano_usd = 0;  // This row's and every earlier row's cost.
};

// An idle stretch between two consecutive traces.
struct IdleGap {
  std::string after_trace_id;   // The earlier trace.
  std::string before_trace_id;  // The later trace.
  int64_t from_ns = 0;          // End (or start) of the earlier trace.
  int64_t idle_ns = 0;          // Later trace's start - from_ns; > 0.
};

// Latency percentiles; all absent when no trace has a latency.
struct LatencyPercentiles {
  int64_t count = 0;  // Traces with a latency.
  std::optional<int64_t> p50_ns, p90_ns, p99_ns;
};

struct SessionDetail {
  LatencyPercentiles latency;
  // The longest gap (the earliest of equal ones); absent with fewer than two
  // traces or when every gap is 0.
  std::optional<IdleGap> longest_gap;
  std::vector<UsageRow> usage;  // One per trace, in the order they were added.
};

// Returns the trace's latency, or nothing when neither it nor a span has
// an end.
std::optional<int64_t> TraceLatencyNs(const Trace& trace);

// Returns the idle time before `next` when `prev` is the trace before it
// in start order (0 when they overlap).
int64_t IdleBetweenNs(const Trace& prev, const Trace& next);

// Returns the nearest-rank p-th percentile of `sorted` (ascending).
// REQUIRES: !sorted.empty(), 0 < p <= 100.
int64_t NearestRankPercentile(const std::vector<int64_t>& sorted, int p);

// Accumulates a session's detail over its traces, fed in start order (the
// order of Timeline pages). Memory: one UsageRow and one latency per trace.
class SessionDetailBuilder {
 public:
  // REQUIRES: traces are added in start order (start, then trace id).
  void Add(const Trace& trace);
  // Returns the detail of every trace added so far.
  SessionDetail Finish() const;

 private:
  SessionDetail detail_;
  std::vector<int64_t> latencies_;
  bool has_previous_ = false;
  std::string previous_id_;
  int64_t previous_end_ns_ = 0;  // Effective end, or start without an end.
};

// Reads every trace of the session through Store::Timeline (pages of
// 1000) into a SessionDetail. Cost: one decode of each trace. Errors: as
// Store::Timeline.
Status ComputeSessionDetail(Store* store, std::string_view session_id, SessionDetail* detail);

// Sets *previous to the trace before `trace` in the session's start order
// (start, then trace id) and *found to whether there is one; the window is
// the whole session. Errors: as Store::Timeline.
Status FindPreviousTrace(Store* store, const Trace& trace, Trace* previous, bool* found);

// What `timeline --gaps` marks on one trace of a page.
struct IdleMark {
  // Idle time since the trace before it in the session's start order (which
  // may lie outside the page or window); absent for the session's first.
  std::optional<int64_t> idle_before_ns;
  bool gap = false;  // idle_before_ns > the threshold.
};

// Fills *marks with one IdleMark per trace of `page` (one Timeline page of
// one session, in the order it was read: `descending` as requested). Reads
// the trace before the page's oldest through FindPreviousTrace. Errors: as
// Store::Timeline.
Status MarkIdleGaps(Store* store, const std::vector<Trace>& page, bool descending,
                    int64_t threshold_ns, std::vector<IdleMark>* marks);

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_SESSION_DETAIL_H_
