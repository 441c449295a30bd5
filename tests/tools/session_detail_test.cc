// Copyright sessionstore authors.

#include "tools/session_detail.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::kSec;
using testing::kT0;

// A span-less trace starting at kT0 + start_s with the given latency (none:
// no end) and cost.
Trace At(const std::string& id, int64_t start_s, std::optional<int64_t> latency_s,
         int64_t cost_nano = 0) {
  Trace t = testing::MakeTrace(id, "s", kT0 + start_s * kSec);
  if (latency_s) t.end_ns = t.start_ns + *latency_s * kSec;
  t.cost_nano_usd = cost_nano;
  return t;
}

SessionDetail DetailOf(const std::vector<Trace>& traces) {
  SessionDetailBuilder b;
  for (const Trace& t : traces) b.Add(t);
  return b.Finish();
}

TEST(SessionDetailTest, EmptySessionHasNoPercentilesGapOrRows) {
  const SessionDetail d = DetailOf({});
  EXPECT_EQ(d.latency.count, 0);
  EXPECT_FALSE(d.latency.p50_ns || d.latency.p90_ns || d.latency.p99_ns);
  EXPECT_FALSE(d.longest_gap);
  EXPECT_TRUE(d.usage.empty());
}

TEST(SessionDetailTest, OneTraceIsEveryPercentileAndHasNoGap) {
  const SessionDetail d = DetailOf({At("a", 0, 7, 250)});
  EXPECT_EQ(d.latency.count, 1);
  EXPECT_EQ(*d.latency.p50_ns, 7 * kSec);
  EXPECT_EQ(*d.latency.p90_ns, 7 * kSec);
  EXPECT_EQ(*d.latency.p99_ns, 7 * kSec);
  EXPECT_FALSE(d.longest_gap);
  ASSERT_EQ(d.usage.size(), 1u);
  EXPECT_EQ(d.usage[0].cumulative_cost_nano_usd, 250);
}

TEST(SessionDetailTest, NearestRankPercentilesWithTies) {
  // Latencies 5 1 3 3 10 2 7 3 9 4 s; sorted: 1 2 3 3 3 4 5 7 9 10.
  std::vector<Trace> traces;
  const int64_t latencies[] = {5, 1, 3, 3, 10, 2, 7, 3, 9, 4};
  for (int i = 0; i < 10; ++i) traces.push_back(At("t" + std::to_string(i), i * 20, latencies[i]));
  const SessionDetail d = DetailOf(traces);
  EXPECT_EQ(d.latency.count, 10);
  EXPECT_EQ(*d.latency.p50_ns, 3 * kSec);   // 5th of 10.
  EXPECT_EQ(*d.latency.p90_ns, 9 * kSec);   // 9th.
  EXPECT_EQ(*d.latency.p99_ns, 10 * kSec);  // 10th.
  EXPECT_EQ(NearestRankPercentile({4}, 1), 4);
  EXPECT_EQ(NearestRankPercentile({1, 2}, 50), 1);
  EXPECT_EQ(NearestRankPercentile({1, 2}, 51), 2);
}

TEST(SessionDetailTest, TracesWithoutEndHaveNoLatencyAndGapsRunFromTheirStart) {
  Trace c = At("c", 300, std::nullopt);
  c.spans = {testing::LlmSpan("c-llm", kT0 + 301 * kSec, 10, 5, 40)};  // Ends at 302 s.
  const SessionDetail d = DetailOf({At("a", 0, std::nullopt, 100), At("b", 100, 10, 20), c});
  EXPECT_EQ(d.latency.count, 2);  // b: 10 s; c: 300..302 = 2 s.
  EXPECT_EQ(*d.latency.p50_ns, 2 * kSec);
  EXPECT_EQ(*d.latency.p99_ns, 10 * kSec);
  ASSERT_TRUE(d.longest_gap);  // a->b: 100 s (from a's start); b->c: 190 s.
  EXPECT_EQ(d.longest_gap->after_trace_id, "b");
  EXPECT_EQ(d.longest_gap->before_trace_id, "c");
  EXPECT_EQ(d.longest_gap->from_ns, kT0 + 110 * kSec);
  EXPECT_EQ(d.longest_gap->idle_ns, 190 * kSec);
  ASSERT_EQ(d.usage.size(), 3u);
  EXPECT_FALSE(d.usage[0].latency_ns);
  EXPECT_EQ(*d.usage[2].latency_ns, 2 * kSec);
  // c has a span, so its own (zero) fields give way to the span's usage.
  EXPECT_EQ(d.usage[2].prompt_tokens, 10);
  EXPECT_EQ(d.usage[2].completion_tokens, 5);
  EXPECT_EQ(d.usage[0].cumulative_cost_nano_usd, 100);
  EXPECT_EQ(d.usage[1].cumulative_cost_nano_usd, 120);
  EXPECT_EQ(d.usage[2].cumulative_cost_nano_usd, 160);
}

TEST(SessionDetailTest, EqualGapsKeepTheEarliestAndOverlapsAreNotIdle) {
  // a 0..10, b 40..50 (gap 30), c 45..95 (overlaps b), d 125 (gap 30 after c).
  const SessionDetail d =
      DetailOf({At("a", 0, 10), At("b", 40, 10), At("c", 45, 50), At("d", 125, 1)});
  ASSERT_TRUE(d.longest_gap);
  EXPECT_EQ(d.longest_gap->after_trace_id, "a");
  EXPECT_EQ(d.longest_gap->idle_ns, 30 * kSec);
  EXPECT_EQ(IdleBetweenNs(At("b", 40, 10), At("c", 45, 50)), 0);
  EXPECT_EQ(IdleBetweenNs(At("c", 45, 50), At("d", 125, 1)), 30 * kSec);
  EXPECT_EQ(IdleBetweenNs(At("x", 0, std::nullopt), At("y", 0, 1)), 0);  // Same start.
  EXPECT_FALSE(DetailOf({At("a", 0, 10), At("b", 5, 10)}).longest_gap);
}

class SessionDetailStoreTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::unique_ptr<Store> store_ = testing::OpenOrDie(dir_.path());
};

TEST_F(SessionDetailStoreTest, ComputeReadsEveryPageInStartOrder) {
  std::vector<Trace> traces;
  for (int i = 0; i < 1001; ++i) traces.push_back(At("t" + std::to_string(1000 - i), i, 1, 1));
  testing::IngestOrDie(store_.get(), traces);
  SessionDetail d;
  ASSERT_TRUE(ComputeSessionDetail(store_.get(), "s", &d).ok());
  ASSERT_EQ(d.usage.size(), 1001u);
  EXPECT_EQ(d.usage.front().trace_id, "t1000");
  EXPECT_EQ(d.usage.back().trace_id, "t0");
  EXPECT_EQ(d.usage.back().cumulative_cost_nano_usd, 1001);
  EXPECT_FALSE(d.longest_gap);  // Each ends as the next starts.
  ASSERT_TRUE(ComputeSessionDetail(store_.get(), "unknown", &d).ok());
  EXPECT_TRUE(d.usage.empty());
}

TEST_F(SessionDetailStoreTest, PreviousTraceOrdersEqualStartsByTraceId) {
  std::vector<Trace> traces = {At("z", -1, 1)};
  for (int i = 0; i < 20; ++i) {
    traces.push_back(At("t" + std::string(i < 10 ? "0" : "") + std::to_string(i), 0, 1));
  }
  traces.push_back(At("later", 5, 1));
  testing::IngestOrDie(store_.get(), traces);
  Trace prev;
  bool found = false;
  ASSERT_TRUE(FindPreviousTrace(store_.get(), traces[1], &prev, &found).ok());  // t00
  ASSERT_TRUE(found);
  EXPECT_EQ(prev.trace_id, "z");  // Past 20 equal starts: more than one page of 16.
  ASSERT_TRUE(FindPreviousTrace(store_.get(), traces[8], &prev, &found).ok());  // t07
  ASSERT_TRUE(found);
  EXPECT_EQ(prev.trace_id, "t06");
  ASSERT_TRUE(FindPreviousTrace(store_.get(), traces.back(), &prev, &found).ok());
  ASSERT_TRUE(found);
  EXPECT_EQ(prev.trace_id, "t19");
  ASSERT_TRUE(FindPreviousTrace(store_.get(), traces[0], &prev, &found).ok());
  EXPECT_FALSE(found);
}

TEST_F(SessionDetailStoreTest, IdleMarksLookBeforeThePageInBothDirections) {
  // a 0..10, b 100..110 (idle 90), c 111 no end (idle 1), d 500 (idle 389).
  testing::IngestOrDie(store_.get(), {At("a", 0, 10), At("b", 100, 10), At("c", 111, std::nullopt),
                                      At("d", 500, 1)});
  TimelineOptions opts;
  opts.from_ns = kT0 + 100 * kSec;  // b, c, d: a lies outside the window.
  TimelinePage page;
  ASSERT_TRUE(store_->Timeline("s", opts, &page).ok());
  std::vector<IdleMark> marks;
  ASSERT_TRUE(MarkIdleGaps(store_.get(), page.traces, false, 60 * kSec, &marks).ok());
  ASSERT_EQ(marks.size(), 3u);
  EXPECT_EQ(*marks[0].idle_before_ns, 90 * kSec);
  EXPECT_TRUE(marks[0].gap);
  EXPECT_EQ(*marks[1].idle_before_ns, 1 * kSec);
  EXPECT_FALSE(marks[1].gap);
  EXPECT_EQ(*marks[2].idle_before_ns, 389 * kSec);
  EXPECT_TRUE(marks[2].gap);

  opts = TimelineOptions();
  opts.descending = true;
  opts.limit = 2;  // d, c; then b, a.
  ASSERT_TRUE(store_->Timeline("s", opts, &page).ok());
  ASSERT_TRUE(MarkIdleGaps(store_.get(), page.traces, true, 90 * kSec, &marks).ok());
  ASSERT_EQ(marks.size(), 2u);
  EXPECT_EQ(*marks[0].idle_before_ns, 389 * kSec);  // d, after c (from its start).
  EXPECT_EQ(*marks[1].idle_before_ns, 1 * kSec);    // c, after b, which is on the next page.
  opts.cursor = page.next_cursor;
  ASSERT_TRUE(store_->Timeline("s", opts, &page).ok());
  ASSERT_TRUE(MarkIdleGaps(store_.get(), page.traces, true, 90 * kSec, &marks).ok());
  ASSERT_EQ(marks.size(), 2u);
  EXPECT_EQ(*marks[0].idle_before_ns, 90 * kSec);
  EXPECT_FALSE(marks[0].gap);             // Not longer than the threshold.
  EXPECT_FALSE(marks[1].idle_before_ns);  // a is the session's first.
  EXPECT_FALSE(marks[1].gap);
}

}  // namespace
}  // namespace sessionstore
