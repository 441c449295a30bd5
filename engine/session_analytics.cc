// Copyright sessionstore authors.

#include "engine/session_analytics.h"

#include <algorithm>
#include <string>

namespace sessionstore {

namespace {

// The index of the nearest-rank pP of n values: rank ceil(P * n / 100),
// 1-based. REQUIRES: n > 0, 0 < p <= 100.
std::size_t RankIndex(std::size_t n, std::size_t p) { return (p * n + 99) / 100 - 1; }

double Ratio(int64_t part, int64_t whole) {
  return whole == 0 ? 0 : static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

int64_t BucketStart(int64_t t, int64_t bucket_ns) {
  int64_t q = t / bucket_ns;
  if (t % bucket_ns < 0) --q;  // Floor, not truncation, below the epoch.
  return q * bucket_ns;
}

Distribution ComputeDistribution(std::vector<int64_t>* values) {
  Distribution d;
  std::vector<int64_t>& v = *values;
  const std::size_t n = v.size();
  if (n == 0) return d;
  // Exact for every int64 sum of fewer than 2^63 values (64-bit mantissa
  // on x86; elsewhere long double may be double and the mean approximate).
  long double sum = 0;
  for (int64_t x : v) sum += static_cast<long double>(x);
  d.mean = static_cast<double>(sum / static_cast<long double>(n));
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  d.min = *lo;
  d.max = *hi;
  // Largest rank first: each later selection only needs the part below it.
  auto end = v.end();
  for (auto [p, out] : {std::pair{std::size_t{99}, &d.p99}, std::pair{std::size_t{90}, &d.p90},
                        std::pair{std::size_t{50}, &d.p50}}) {
    const auto nth = v.begin() + static_cast<std::ptrdiff_t>(RankIndex(n, p));
    std::nth_element(v.begin(), nth, end);
    *out = *nth;
    end = nth + 1;
  }
  return d;
}

SessionStats ComputeSessionStats(std::span<const SessionSample> samples) {
  SessionStats s;
  s.session_count = static_cast<int64_t>(samples.size());
  std::vector<int64_t> values;
  values.reserve(samples.size());
  for (const SessionSample& x : samples) {
    s.error_sessions += x.error ? 1 : 0;
    s.goal_sessions += x.goal ? 1 : 0;
  }
  s.error_session_rate = Ratio(s.error_sessions, s.session_count);
  s.completion_rate = Ratio(s.goal_sessions, s.session_count);
  const std::pair<int64_t SessionSample::*, Distribution*> metrics[] = {
      {&SessionSample::traces, &s.traces},
      {&SessionSample::duration_ns, &s.duration_ns},
      {&SessionSample::cost_nano_usd, &s.cost_nano_usd},
      {&SessionSample::total_tokens, &s.total_tokens}};
  for (const auto& [field, out] : metrics) {
    values.clear();
    for (const SessionSample& x : samples) values.push_back(x.*field);
    *out = ComputeDistribution(&values);
  }
  return s;
}

Status GroupIntoBuckets(std::vector<SessionSample>* samples, std::size_t max_buckets,
                        std::vector<std::pair<int64_t, SessionStats>>* buckets) {
  buckets->clear();
  std::vector<SessionSample>& v = *samples;
  std::sort(v.begin(), v.end(),
            [](const SessionSample& a, const SessionSample& b) { return a.bucket < b.bucket; });
  std::vector<std::pair<std::size_t, std::size_t>> ranges;  // [begin, end) per bucket.
  for (std::size_t i = 0; i < v.size(); i = ranges.back().second) {
    std::size_t j = i + 1;
    while (j < v.size() && v[j].bucket == v[i].bucket) ++j;
    ranges.emplace_back(i, j);
    if (ranges.size() > max_buckets) {
      return Status::InvalidArgument("bucket_ns: more than " + std::to_string(max_buckets) +
                                     " non-empty buckets; use larger buckets or a narrower "
                                     "window");
    }
  }
  buckets->reserve(ranges.size());
  for (const auto& [b, e] : ranges) {
    buckets->emplace_back(v[b].bucket, ComputeSessionStats(std::span(v).subspan(b, e - b)));
  }
  return Status::OK();
}

std::vector<SessionSample> SessionAnalytics::Collect(const AnalyticsOptions& o) const {
  WindowScan q;
  q.from_ns = o.from_ns;
  q.to_ns = o.to_ns;
  q.has_from = o.from_ns != kMinTime;
  q.user_id = o.user_id;
  q.tags = o.tags.empty() ? nullptr : &o.tags;
  q.mark_tag = o.goal_tag;
  std::vector<SessionSample> samples;
  table_->VisitWindow(q, [&](const SessionIndexEntry& e, bool goal) {
    SessionSample x;
    x.bucket = o.bucket_ns > 0 ? BucketStart(e.first_ns, o.bucket_ns) : 0;
    x.traces = e.trace_count;
    x.duration_ns = e.duration_ns;
    x.cost_nano_usd = e.cost_nano_usd;
    x.total_tokens = e.total_tokens;
    x.error = e.error_count > 0;
    x.goal = goal;
    samples.push_back(x);
  });
  return samples;
}

Status SessionAnalytics::Analyze(const AnalyticsOptions& options, AnalyticsReport* report) const {
  *report = AnalyticsReport();
  if (options.bucket_ns < 0) {
    return Status::InvalidArgument("bucket_ns: " + std::to_string(options.bucket_ns) +
                                   " is negative (0: no buckets)");
  }
  if (options.from_ns >= options.to_ns) return Status::OK();
  if (!read_only_) {
    Status s = indexer_->CatchUp();  // Read-your-writes.
    if (!s.ok()) return s;
  }
  Status s = indexer_->LoadTable();
  if (!s.ok()) return s;
  std::vector<SessionSample> samples = Collect(options);
  if (options.bucket_ns > 0) {
    s = GroupIntoBuckets(&samples, kMaxAnalyticsBuckets, &report->buckets);
    if (!s.ok()) return s;
  }
  report->overall = ComputeSessionStats(samples);
  return Status::OK();
}

}  // namespace sessionstore
