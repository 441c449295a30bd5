// Copyright sessionstore authors.

#include "tools/session_detail.h"

#include <algorithm>
#include <utility>

namespace sessionstore {

namespace {

// The end the idle rule measures from: the effective end, which is the
// start when nothing has an end.
int64_t IdleFromNs(const Trace& trace) { return ComputeTraceUsage(trace).effective_end_ns; }

// True when `a` comes before `b` in a session's key order: start, then the
// trace id's bytes (std::string compares as unsigned char, as RocksDB does).
bool KeyOrderBefore(const Trace& a, const Trace& b) {
  return a.start_ns != b.start_ns ? a.start_ns < b.start_ns : a.trace_id < b.trace_id;
}

}  // namespace

std::optional<int64_t> TraceLatencyNs(const Trace& trace) {
  bool has_end = trace.end_ns.has_value();
  for (const Span& s : trace.spans) has_end = has_end || s.end_ns.has_value();
  if (!has_end) return std::nullopt;
  const TraceUsage u = ComputeTraceUsage(trace);
  return u.effective_end_ns - u.effective_start_ns;
}

int64_t IdleBetweenNs(const Trace& prev, const Trace& next) {
  return std::max<int64_t>(0, next.start_ns - IdleFromNs(prev));
}

int64_t NearestRankPercentile(const std::vector<int64_t>& sorted, int p) {
  const std::size_t n = sorted.size();
  const std::size_t rank = (static_cast<std::size_t>(p) * n + 99) / 100;  // ceil(p * n / 100)
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}

void SessionDetailBuilder::Add(const Trace& trace) {
  const TraceUsage u = ComputeTraceUsage(trace);
  UsageRow row;
  row.trace_id = trace.trace_id;
  row.start_ns = trace.start_ns;
  row.prompt_tokens = u.prompt_tokens;
  row.completion_tokens = u.completion_tokens;
  row.cost_nano_usd = u.cost_nano_usd;
  row.latency_ns = TraceLatencyNs(trace);
  row.cumulative_cost_nano_usd =
      (detail_.usage.empty() ? 0 : detail_.usage.back().cumulative_cost_nano_usd) + u.cost_nano_usd;
  if (row.latency_ns) latencies_.push_back(*row.latency_ns);
  if (has_previous_) {
    const int64_t idle = std::max<int64_t>(0, trace.start_ns - previous_end_ns_);
    if (idle > 0 && (!detail_.longest_gap || idle > detail_.longest_gap->idle_ns)) {
      detail_.longest_gap = IdleGap{previous_id_, trace.trace_id, previous_end_ns_, idle};
    }
  }
  has_previous_ = true;
  previous_id_ = trace.trace_id;
  previous_end_ns_ = u.effective_end_ns;
  detail_.usage.push_back(std::move(row));
}

SessionDetail SessionDetailBuilder::Finish() const {
  SessionDetail d = detail_;
  std::vector<int64_t> sorted = latencies_;
  std::sort(sorted.begin(), sorted.end());
  d.latency.count = static_cast<int64_t>(sorted.size());
  if (!sorted.empty()) {
    d.latency.p50_ns = NearestRankPercentile(sorted, 50);
    d.latency.p90_ns = NearestRankPercentile(sorted, 90);
    d.latency.p99_ns = NearestRankPercentile(sorted, 99);
  }
  return d;
}

Status ComputeSessionDetail(Store* store, std::string_view session_id, SessionDetail* detail) {
  SessionDetailBuilder builder;
  TimelineOptions opts;
  opts.limit = 1000;
  TimelinePage page;
  do {
    Status s = store->Timeline(session_id, opts, &page);
    if (!s.ok()) return s;
    for (const Trace& t : page.traces) builder.Add(t);
    opts.cursor = page.next_cursor;
  } while (!opts.cursor.empty());
  *detail = builder.Finish();
  return Status::OK();
}

Status FindPreviousTrace(Store* store, const Trace& trace, Trace* previous, bool* found) {
  *found = false;
  // Newest first from the trace's start (inclusive: equal starts order by
  // trace id), skipping the trace itself and equal starts after it.
  TimelineOptions opts;
  opts.to_ns = trace.start_ns + 1;  // start_ns < kMaxTime (ingest limits).
  opts.descending = true;
  opts.limit = 16;
  TimelinePage page;
  do {
    Status s = store->Timeline(trace.session_id, opts, &page);
    if (!s.ok()) return s;
    for (Trace& t : page.traces) {
      if (KeyOrderBefore(t, trace)) {
        *previous = std::move(t);
        *found = true;
        return Status::OK();
      }
    }
    opts.cursor = page.next_cursor;
  } while (!opts.cursor.empty());
  return Status::OK();
}

Status MarkIdleGaps(Store* store, const std::vector<Trace>& page, bool descending,
                    int64_t threshold_ns, std::vector<IdleMark>* marks) {
  marks->assign(page.size(), IdleMark());
  const std::size_t n = page.size();
  for (std::size_t k = 0; k < n; ++k) {
    // In start order, the trace before page[i] is page[i - 1] ascending and
    // page[i + 1] descending; the oldest one's lies before the page.
    const std::size_t i = descending ? n - 1 - k : k;
    IdleMark& mark = (*marks)[i];
    if (k == 0) {
      Trace previous;
      bool found = false;
      Status s = FindPreviousTrace(store, page[i], &previous, &found);
      if (!s.ok()) return s;
      if (found) mark.idle_before_ns = IdleBetweenNs(previous, page[i]);
    } else {
      mark.idle_before_ns = IdleBetweenNs(page[descending ? i + 1 : i - 1], page[i]);
    }
    mark.gap = mark.idle_before_ns && *mark.idle_before_ns > threshold_ns;
  }
  return Status::OK();
}

}  // namespace sessionstore
