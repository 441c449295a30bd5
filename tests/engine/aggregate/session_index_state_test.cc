// Copyright sessionstore authors.

#include "engine/aggregate/session_index_state.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>
#include <vector>

#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::kSec;
using testing::kT0;
using testing::LlmSpan;
using testing::MakeTrace;

SessionIndexState Sample() {
  SessionIndexState s;
  s.trace_count = 3;
  s.cost_nano_usd = -7;  // Deltas of updates may be negative.
  s.total_tokens = 12;
  s.has_first = true;
  s.first_ns = -5;
  s.has_max_end = true;
  s.max_end_ns = 99;
  s.last.Offer(40, "t-9", 2, Payload());
  s.last.Retract(50, "t-3");
  s.last_user.Offer(30, "t-1", 1, Payload{"alice", false});
  return s;
}

// The delta of a version of `t` that moved its start earlier by `seconds`:
// the old, later key is retracted, then `d` (the new version's) offered.
SessionDelta MovedEarlier(const Trace& t, const SessionDelta& d, int64_t seconds) {
  Trace old = t;
  old.start_ns += seconds * kSec;
  SessionDelta r = SessionDelta::RetractionOf(old);
  r.Add(d);
  return r;
}

TEST(SessionIndexStateTest, RoundTrip) {
  const SessionIndexState s = Sample();
  SessionIndexState back;
  ASSERT_TRUE(DecodeIndexState(EncodeIndexState(s), &back));
  EXPECT_EQ(back, s);
  ASSERT_TRUE(DecodeIndexState(EncodeIndexState(SessionIndexState()), &back));
  EXPECT_EQ(back, SessionIndexState());
}

TEST(SessionIndexStateTest, MalformedIsRejected) {
  const std::string bytes = EncodeIndexState(Sample());
  SessionIndexState back;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeIndexState(bytes.substr(0, n), &back)) << "truncated to " << n;
  }
  EXPECT_FALSE(DecodeIndexState(bytes + "x", &back));
  std::string bad_format = bytes;
  bad_format[0] = 1;  // Format 1 was the entry-plus-user state of version 3.
  EXPECT_FALSE(DecodeIndexState(bad_format, &back));
  std::string bad_flags = bytes;
  bad_flags[25] = 4;  // The first/max-end flags byte.
  EXPECT_FALSE(DecodeIndexState(bad_flags, &back));
}

// Regression (found by index_state_fuzz): a state decoded from damaged
// bytes, with its latest end before its first start by more than int64
// holds, overflowed computing the duration (undefined behaviour). Both
// projections saturate now.
TEST(SessionIndexStateTest, DurationOfDamagedValuesSaturates) {
  SessionIndexState s;
  s.has_first = true;
  s.first_ns = 1767394069343104512;
  s.has_max_end = true;
  s.max_end_ns = -9223372036854750511;
  EXPECT_EQ(s.Entry().duration_ns, std::numeric_limits<int64_t>::min());
  s.first_ns = std::numeric_limits<int64_t>::min();
  s.max_end_ns = 1;
  EXPECT_EQ(s.Entry().duration_ns, std::numeric_limits<int64_t>::max());
  SessionDelta d;
  d.has_first = true;
  d.first_start_ns = std::numeric_limits<int64_t>::min();
  d.has_max_end = true;
  d.max_end_ns = std::numeric_limits<int64_t>::max();
  SessionSummary summary;
  d.MoveToSummary(&summary);
  EXPECT_EQ(summary.duration_ns, std::numeric_limits<int64_t>::max());
}

// The indexer composes projections; the store composes whole deltas. Both
// must agree on everything the indexes hold, for any grouping.
TEST(SessionIndexStateTest, ProjectionCommutesWithComposition) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200; ++round) {
    SessionDelta whole;
    SessionIndexState composed, grouped, group;
    const int n = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) {
      Trace t = MakeTrace("t" + std::to_string(rng() % 6), "s",
                          kT0 + static_cast<int64_t>(rng() % 20) * kSec);
      t.end_ns = t.start_ns + static_cast<int64_t>(rng() % 5) * kSec;
      if (rng() % 2) t.user_id = "u" + std::to_string(rng() % 3);
      t.spans = {LlmSpan("l", t.start_ns, static_cast<int64_t>(rng() % 100),
                         static_cast<int64_t>(rng() % 100), static_cast<int64_t>(rng() % 1000))};
      SessionDelta d = SessionDelta::FromTrace(t, 1 + rng() % 3);
      if (rng() % 4 == 0) d = MovedEarlier(t, d, 1 + static_cast<int64_t>(rng() % 5));
      whole.Add(d);
      const SessionIndexState p = SessionIndexState::Of(d);
      composed.Add(p);
      group.Add(p);
      if (rng() % 3 == 0) {
        grouped.Add(group);
        group = SessionIndexState();
      }
    }
    grouped.Add(group);
    const SessionIndexState want = SessionIndexState::Of(whole);
    EXPECT_EQ(composed, want) << "round " << round;
    EXPECT_EQ(grouped, want) << "round " << round;
    EXPECT_EQ(want.Exact(), whole.last.Exact() && whole.last_user.Exact());
    if (want.Exact()) {
      SessionSummary summary;
      SessionDelta copy = whole;
      copy.MoveToSummary(&summary);
      const SessionIndexEntry e = want.Entry();
      EXPECT_EQ(e.first_ns, summary.first_trace_at_ns);
      EXPECT_EQ(e.trace_count, summary.trace_count);
      EXPECT_EQ(e.total_tokens, summary.total_tokens);
      EXPECT_EQ(e.cost_nano_usd, summary.cost_nano_usd);
      EXPECT_EQ(e.duration_ns, summary.duration_ns);
    }
  }
}

// The indexer composes batches in sequence order, which is write order only
// for batches that share a trace: for the others, any order must give the
// same result whenever that result is exact (docs/format.md).
TEST(SessionIndexStateTest, ExactResultsDoNotDependOnOrder) {
  std::mt19937_64 rng(11);
  int exact = 0;
  for (int round = 0; round < 500; ++round) {
    std::vector<SessionIndexState> ops;
    const int n = 2 + static_cast<int>(rng() % 6);
    for (int i = 0; i < n; ++i) {
      // Distinct traces (one operand each), some moved earlier.
      Trace t =
          MakeTrace("t" + std::to_string(i), "s", kT0 + static_cast<int64_t>(rng() % 20) * kSec);
      if (rng() % 2) t.user_id = "u" + std::to_string(rng() % 3);
      SessionDelta d = SessionDelta::FromTrace(t, 1);
      if (rng() % 3 == 0) d = MovedEarlier(t, d, 1 + static_cast<int64_t>(rng() % 10));
      ops.push_back(SessionIndexState::Of(d));
    }
    SessionIndexState in_order;
    for (const SessionIndexState& op : ops) in_order.Add(op);
    std::shuffle(ops.begin(), ops.end(), rng);
    SessionIndexState shuffled;
    for (const SessionIndexState& op : ops) shuffled.Add(op);
    EXPECT_EQ(in_order.Exact(), shuffled.Exact()) << "round " << round;
    if (in_order.Exact() && shuffled.Exact()) {
      ++exact;
      EXPECT_EQ(in_order.Entry(), shuffled.Entry()) << "round " << round;
      EXPECT_EQ(in_order.user_id(), shuffled.user_id()) << "round " << round;
    }
  }
  EXPECT_GT(exact, 100);  // The comparison ran on many exact results.
}

}  // namespace
}  // namespace sessionstore
