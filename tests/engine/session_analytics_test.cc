// Copyright sessionstore authors.
//
// Store::Analytics against statistics computed here, independently, from
// every session's GetSession summary: windows, users, tags, goal tags and
// buckets after a random workload (with updates and deletes), the empty
// window and a user without sessions; read-your-writes and a read-only
// reopen. Also the pure parts (nearest-rank percentiles, bucket starts, the
// bucket limit) on hand-made values.

#include "engine/session_analytics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::kSec;
using testing::kT0;
using testing::OpenOrDie;
using testing::TempDir;

constexpr int64_t kHour = 3600 * kSec;
constexpr int64_t kDay = 24 * kHour;

// ---- the pure parts ----

TEST(SessionAnalyticsTest, NearestRankPercentiles) {
  std::vector<int64_t> four = {4, 1, 3, 2};
  Distribution d = ComputeDistribution(&four);
  EXPECT_EQ(d.p50, 2);  // Rank ceil(0.5 * 4) = 2.
  EXPECT_EQ(d.p90, 4);  // Rank ceil(3.6) = 4.
  EXPECT_EQ(d.p99, 4);
  EXPECT_EQ(d.min, 1);
  EXPECT_EQ(d.max, 4);
  EXPECT_DOUBLE_EQ(d.mean, 2.5);

  std::vector<int64_t> hundred;
  for (int64_t i = 100; i >= 1; --i) hundred.push_back(i * 10);
  d = ComputeDistribution(&hundred);
  EXPECT_EQ(d.p50, 500);
  EXPECT_EQ(d.p90, 900);
  EXPECT_EQ(d.p99, 990);  // The 99th of 100, not the largest.
  EXPECT_DOUBLE_EQ(d.mean, 505);

  std::vector<int64_t> one = {7};
  EXPECT_EQ(ComputeDistribution(&one), (Distribution{7, 7, 7, 7, 7, 7}));
  std::vector<int64_t> none;
  EXPECT_EQ(ComputeDistribution(&none), Distribution());
}

TEST(SessionAnalyticsTest, BucketsAlignToTheEpoch) {
  EXPECT_EQ(BucketStart(0, kDay), 0);
  EXPECT_EQ(BucketStart(kDay - 1, kDay), 0);
  EXPECT_EQ(BucketStart(kDay, kDay), kDay);
  EXPECT_EQ(BucketStart(kT0 + 5, kHour), kT0 + 5 - (kT0 + 5) % kHour);
  EXPECT_EQ(BucketStart(-1, kDay), -kDay);  // Floor below the epoch.
}

TEST(SessionAnalyticsTest, BucketLimitIsEnforced) {
  std::vector<SessionSample> samples(5);
  for (std::size_t i = 0; i < samples.size(); ++i) samples[i].bucket = static_cast<int64_t>(i % 3);
  std::vector<std::pair<int64_t, SessionStats>> buckets;
  EXPECT_TRUE(GroupIntoBuckets(&samples, 2, &buckets).IsInvalidArgument());
  EXPECT_TRUE(buckets.empty());
  ASSERT_TRUE(GroupIntoBuckets(&samples, 3, &buckets).ok());
  ASSERT_EQ(buckets.size(), 3u);
  EXPECT_EQ(buckets[0].first, 0);
  EXPECT_EQ(buckets[0].second.session_count, 2);
  EXPECT_EQ(buckets[2].first, 2);
  EXPECT_EQ(buckets[2].second.session_count, 1);
}

// ---- the store against statistics computed from the summaries ----

// Nearest rank, written independently of the engine: sort, then index.
Distribution WantDistribution(std::vector<int64_t> v) {
  Distribution d;
  if (v.empty()) return d;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  int64_t sum = 0;
  for (int64_t x : v) sum += x;
  d.mean = static_cast<double>(sum) / static_cast<double>(n);
  auto at = [&](std::size_t p) {
    const std::size_t rank = p * n / 100 + (p * n % 100 != 0 ? 1 : 0);
    return v[rank - 1];
  };
  d.p50 = at(50);
  d.p90 = at(90);
  d.p99 = at(99);
  d.min = v.front();
  d.max = v.back();
  return d;
}

SessionStats WantStats(const std::vector<const SessionSummary*>& sessions,
                       const std::string& goal_tag) {
  SessionStats s;
  std::vector<int64_t> traces, duration, cost, tokens;
  for (const SessionSummary* x : sessions) {
    ++s.session_count;
    if (x->error_count > 0) ++s.error_sessions;
    if (!goal_tag.empty() && x->tags.count(goal_tag) > 0) ++s.goal_sessions;
    traces.push_back(x->trace_count);
    duration.push_back(x->duration_ns);
    cost.push_back(x->cost_nano_usd);
    tokens.push_back(x->total_tokens);
  }
  if (s.session_count > 0) {
    s.error_session_rate = static_cast<double>(s.error_sessions) / s.session_count;
    s.completion_rate = static_cast<double>(s.goal_sessions) / s.session_count;
  }
  s.traces = WantDistribution(traces);
  s.duration_ns = WantDistribution(duration);
  s.cost_nano_usd = WantDistribution(cost);
  s.total_tokens = WantDistribution(tokens);
  return s;
}

AnalyticsReport WantReport(const std::vector<SessionSummary>& all, const AnalyticsOptions& o) {
  std::vector<const SessionSummary*> in;
  std::map<int64_t, std::vector<const SessionSummary*>> by_bucket;
  for (const SessionSummary& s : all) {
    if (o.from_ns >= o.to_ns) break;  // An empty window, though sessions span its instant.
    if (!(s.first_trace_at_ns < o.to_ns && s.last_trace_at_ns >= o.from_ns)) continue;
    if (!o.user_id.empty() && s.user_id != o.user_id) continue;
    if (!std::all_of(o.tags.begin(), o.tags.end(),
                     [&](const std::string& t) { return s.tags.count(t) > 0; })) {
      continue;
    }
    in.push_back(&s);
    if (o.bucket_ns > 0) {
      const int64_t r = ((s.first_trace_at_ns % o.bucket_ns) + o.bucket_ns) % o.bucket_ns;
      by_bucket[s.first_trace_at_ns - r].push_back(&s);
    }
  }
  AnalyticsReport want;
  want.overall = WantStats(in, o.goal_tag);
  for (const auto& [start, sessions] : by_bucket) {
    want.buckets.emplace_back(start, WantStats(sessions, o.goal_tag));
  }
  return want;
}

void ExpectDistribution(const Distribution& got, const Distribution& want,
                        const std::string& what) {
  EXPECT_NEAR(got.mean, want.mean, 1e-9 * std::max(1.0, std::abs(want.mean))) << what;
  EXPECT_EQ(got.p50, want.p50) << what;
  EXPECT_EQ(got.p90, want.p90) << what;
  EXPECT_EQ(got.p99, want.p99) << what;
  EXPECT_EQ(got.min, want.min) << what;
  EXPECT_EQ(got.max, want.max) << what;
}

void ExpectStats(const SessionStats& got, const SessionStats& want, const std::string& what) {
  EXPECT_EQ(got.session_count, want.session_count) << what;
  EXPECT_EQ(got.error_sessions, want.error_sessions) << what;
  EXPECT_EQ(got.goal_sessions, want.goal_sessions) << what;
  EXPECT_DOUBLE_EQ(got.error_session_rate, want.error_session_rate) << what;
  EXPECT_DOUBLE_EQ(got.completion_rate, want.completion_rate) << what;
  ExpectDistribution(got.traces, want.traces, what + " traces");
  ExpectDistribution(got.duration_ns, want.duration_ns, what + " duration");
  ExpectDistribution(got.cost_nano_usd, want.cost_nano_usd, what + " cost");
  ExpectDistribution(got.total_tokens, want.total_tokens, what + " tokens");
}

void ExpectReport(Store* store, const std::vector<SessionSummary>& all, const AnalyticsOptions& o,
                  const std::string& what) {
  AnalyticsReport got;
  const Status s = store->Analytics(o, &got);
  ASSERT_TRUE(s.ok()) << what << ": " << s.ToString();
  const AnalyticsReport want = WantReport(all, o);
  ExpectStats(got.overall, want.overall, what);
  ASSERT_EQ(got.buckets.size(), want.buckets.size()) << what;
  for (std::size_t i = 0; i < want.buckets.size(); ++i) {
    EXPECT_EQ(got.buckets[i].first, want.buckets[i].first) << what << " bucket " << i;
    ExpectStats(got.buckets[i].second, want.buckets[i].second,
                what + " bucket " + std::to_string(i));
  }
}

constexpr int kSessions = 80;

// A random workload over five days: sessions of 1 to about 40 traces, four
// users, tags (conversion among them), errors, spans with usage.
std::vector<Trace> RandomTraces(std::mt19937_64& rng, int count, int first_id) {
  std::vector<Trace> out;
  for (int i = 0; i < count; ++i) {
    // Heavy-tailed: low session numbers get most traces.
    const double u = static_cast<double>(rng() % 10000) / 10000.0;
    const int session = static_cast<int>(u * u * u * kSessions);
    Trace t = testing::MakeTrace("t" + std::to_string(first_id + i), "s" + std::to_string(session),
                                 kT0 + static_cast<int64_t>(rng() % (5 * kDay)));
    t.user_id = "u" + std::to_string(session % 4);
    if (rng() % 5 != 0) t.end_ns = t.start_ns + static_cast<int64_t>(rng() % 600) * kSec;
    if (rng() % 8 == 0) t.status = TraceStatus::kError;
    static const char* const kTags[] = {"conversion", "tag1", "tag2", "tag3"};
    if (rng() % 3 == 0) t.tags.push_back(kTags[rng() % std::size(kTags)]);
    const int spans = static_cast<int>(rng() % 3);
    for (int k = 0; k < spans; ++k) {
      t.spans.push_back(testing::LlmSpan(
          "sp" + std::to_string(k), t.start_ns, static_cast<int64_t>(rng() % 2000),
          static_cast<int64_t>(rng() % 500), static_cast<int64_t>(rng() % 3'000'000)));
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<SessionSummary> AllSummaries(Store* store) {
  std::vector<SessionSummary> all;
  for (int i = 0; i < kSessions; ++i) {
    SessionSummary s;
    const Status st = store->GetSession("s" + std::to_string(i), &s);
    if (st.IsNotFound()) continue;
    EXPECT_TRUE(st.ok()) << st.ToString();
    all.push_back(std::move(s));
  }
  return all;
}

// The queries compared after each step.
std::vector<std::pair<std::string, AnalyticsOptions>> Queries() {
  std::vector<std::pair<std::string, AnalyticsOptions>> q;
  auto add = [&](std::string name, auto set) {
    AnalyticsOptions o;
    set(o);
    q.emplace_back(std::move(name), o);
  };
  add("all time", [](AnalyticsOptions&) {});
  add("all time by day", [](AnalyticsOptions& o) { o.bucket_ns = kDay; });
  add("all time by hour", [](AnalyticsOptions& o) { o.bucket_ns = kHour; });
  add("day 2", [](AnalyticsOptions& o) {
    o.from_ns = kT0 + kDay;
    o.to_ns = kT0 + 2 * kDay;
  });
  add("day 2 by hour, user u1", [](AnalyticsOptions& o) {
    o.from_ns = kT0 + kDay;
    o.to_ns = kT0 + 2 * kDay;
    o.bucket_ns = kHour;
    o.user_id = "u1";
  });
  add("from only", [](AnalyticsOptions& o) { o.from_ns = kT0 + 3 * kDay + 7 * kHour; });
  add("to only, by day", [](AnalyticsOptions& o) {
    o.to_ns = kT0 + 2 * kDay + 5 * kHour;
    o.bucket_ns = kDay;
  });
  add("user u2", [](AnalyticsOptions& o) { o.user_id = "u2"; });
  add("user without sessions", [](AnalyticsOptions& o) { o.user_id = "nobody"; });
  add("tag1", [](AnalyticsOptions& o) { o.tags = {"tag1"}; });
  add("tag1 and tag2 from day 1", [](AnalyticsOptions& o) {
    o.tags = {"tag2", "tag1"};
    o.from_ns = kT0 + kDay;
  });
  add("unknown tag", [](AnalyticsOptions& o) { o.tags = {"never"}; });
  add("goal tag2", [](AnalyticsOptions& o) { o.goal_tag = "tag2"; });
  add("unknown goal tag", [](AnalyticsOptions& o) { o.goal_tag = "never"; });
  add("no goal tag, by 6 h", [](AnalyticsOptions& o) {
    o.goal_tag = "";
    o.bucket_ns = 6 * kHour;
  });
  add("empty window", [](AnalyticsOptions& o) { o.from_ns = o.to_ns = kT0 + kDay; });
  add("window without sessions", [](AnalyticsOptions& o) {
    o.from_ns = kT0 + 30 * kDay;
    o.to_ns = kT0 + 31 * kDay;
    o.bucket_ns = kDay;
  });
  return q;
}

void ExpectAllQueries(Store* store, const std::string& step) {
  const std::vector<SessionSummary> all = AllSummaries(store);
  for (const auto& [name, o] : Queries()) ExpectReport(store, all, o, step + ": " + name);
}

TEST(StoreAnalyticsTest, MatchesStatisticsComputedFromTheSummaries) {
  TempDir dir;
  std::mt19937_64 rng(20261202);
  {
    auto store = OpenOrDie(dir.path());
    int next = 0;
    for (int batch = 0; batch < 4; ++batch) {
      testing::IngestOrDie(store.get(), RandomTraces(rng, 150, next));
      next += 150;
      // Read-your-writes: no flush or wait between ingest and analytics.
      ExpectAllQueries(store.get(), "batch " + std::to_string(batch));
    }
    // Updates: retries that add the goal tag, an error and earlier starts.
    std::vector<Trace> updates;
    for (int i = 0; i < 40; ++i) {
      Trace u = testing::MakeTrace("t" + std::to_string(rng() % next), "", 0);
      Trace stored;
      ASSERT_TRUE(store->GetTrace(u.trace_id, &stored).ok());
      u.session_id = stored.session_id;
      u.start_ns = i % 4 == 0 ? stored.start_ns - kHour : stored.start_ns;
      u.tags = {i % 2 == 0 ? "conversion" : "tag3"};
      if (i % 5 == 0) u.status = TraceStatus::kError;
      updates.push_back(std::move(u));
    }
    testing::IngestOrDie(store.get(), updates);
    ExpectAllQueries(store.get(), "updates");
    DeleteResult deleted;
    ASSERT_TRUE(store->DeleteSession("s0", &deleted).ok());
    ASSERT_TRUE(store->DeleteTracesBefore(kT0 + kDay / 2, &deleted).ok());
    ExpectAllQueries(store.get(), "deletes");
  }
  Options ro;
  ro.read_only = true;
  auto reader = OpenOrDie(dir.path(), ro);
  ExpectAllQueries(reader.get(), "read-only reopen");
}

TEST(StoreAnalyticsTest, RefusesNegativeBuckets) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  testing::IngestOrDie(store.get(), {testing::Turn("a1", "a", kT0, "hi", "hello")});
  AnalyticsOptions o;
  o.bucket_ns = -kHour;
  AnalyticsReport report;
  report.overall.session_count = 5;
  const Status s = store->Analytics(o, &report);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(report.overall, SessionStats());
  o.bucket_ns = 0;
  ASSERT_TRUE(store->Analytics(o, &report).ok());
  EXPECT_EQ(report.overall.session_count, 1);
  EXPECT_EQ(report.overall.traces, (Distribution{1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(report.overall.cost_nano_usd, (Distribution{1500, 1500, 1500, 1500, 1500, 1500}));
  EXPECT_EQ(report.overall.duration_ns.max, 2 * kSec);
}

}  // namespace
}  // namespace sessionstore
