// Copyright sessionstore authors.

#include "engine/trace_versions.h"

#include <gtest/gtest.h>

#include <limits>

#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::kSec;
using testing::kT0;
using testing::LlmSpan;
using testing::MakeTrace;

// The first span (in trace order) whose id an earlier span has is named,
// and a span that fails its own checks first is named for that.
TEST(TraceVersionsTest, DuplicateSpanIdsNameTheFirstRepeat) {
  Trace t = MakeTrace("t", "s", kT0);
  t.spans = {LlmSpan("b", kT0, 1, 1, 1), LlmSpan("a", kT0, 1, 1, 1), LlmSpan("c", kT0, 1, 1, 1),
             LlmSpan("a", kT0, 1, 1, 1), LlmSpan("b", kT0, 1, 1, 1)};
  EXPECT_EQ(ValidateTrace(t).message(), "spans[3].span_id: duplicate \"a\"");
  t.spans[2].prompt_tokens = -1;
  EXPECT_EQ(ValidateTrace(t).message(), "spans[2].prompt_tokens: negative (-1)");
  t.spans[2].prompt_tokens = 1;
  t.spans[3].span_id = "d";
  EXPECT_EQ(ValidateTrace(t).message(), "spans[4].span_id: duplicate \"b\"");
  t.spans[4].span_id = "e";
  EXPECT_TRUE(ValidateTrace(t).ok());
}

TEST(TraceVersionsTest, ValidationNamesFieldAndReason) {
  Trace t = MakeTrace("", "s", kT0);
  EXPECT_NE(ValidateTrace(t).message().find("trace_id: required"), std::string::npos);
  t.trace_id = std::string(kMaxIdBytes + 1, 'x');
  EXPECT_NE(ValidateTrace(t).message().find("trace_id: longer than"), std::string::npos);
  t = MakeTrace("t", "s", kT0);
  t.end_ns = kT0 - 1;
  EXPECT_NE(ValidateTrace(t).message().find("end_time: before start_time"), std::string::npos);
  t = MakeTrace("t", "s", kT0);
  t.spans = {LlmSpan("a", kT0, 1, 1, 1), LlmSpan("a", kT0, 1, 1, 1)};
  EXPECT_NE(ValidateTrace(t).message().find("spans[1].span_id: duplicate \"a\""),
            std::string::npos);
  t.spans = {LlmSpan("a", kT0, -1, 1, 1)};
  EXPECT_NE(ValidateTrace(t).message().find("spans[0].prompt_tokens: negative"), std::string::npos);
  t = MakeTrace("t", "s", std::numeric_limits<int64_t>::max());
  EXPECT_TRUE(ValidateTrace(t).IsInvalidArgument());
  EXPECT_TRUE(ValidateTrace(MakeTrace("t", "", kT0)).ok());
  // Regression: user ids (an index key) and session names had no limit.
  t = MakeTrace("t", "s", kT0);
  t.user_id = std::string(kMaxIdBytes + 1, 'u');
  EXPECT_NE(ValidateTrace(t).message().find("user_id: longer than"), std::string::npos);
  t = MakeTrace("t", "s", kT0);
  t.session_name = std::string(kMaxIdBytes + 1, 'n');
  EXPECT_NE(ValidateTrace(t).message().find("session_name: longer than"), std::string::npos);
  // Limits that keep sums and aggregates representable.
  t = MakeTrace("t", "s", -1);
  EXPECT_NE(ValidateTrace(t).message().find("start_time: outside"), std::string::npos);
  t = MakeTrace("t", "s", kT0);
  t.tags.assign(kMaxTags + 1, "x");
  EXPECT_NE(ValidateTrace(t).message().find("tags: more than"), std::string::npos);
  t.tags = {std::string(kMaxIdBytes + 1, 'x')};
  EXPECT_NE(ValidateTrace(t).message().find("tags[0]: longer than"), std::string::npos);
  t = MakeTrace("t", "s", kT0);
  t.spans = {LlmSpan("a", kT0, kMaxTokens + 1, 1, 1)};
  EXPECT_NE(ValidateTrace(t).message().find("spans[0].prompt_tokens: larger"), std::string::npos);
  t.spans = {LlmSpan("a", kT0, 1, 1, kMaxCostNanoUsd + 1)};
  EXPECT_NE(ValidateTrace(t).message().find("spans[0].cost_usd: larger"), std::string::npos);
  t.spans = {LlmSpan("a", kT0, 1, 1, 1)};
  t.spans[0].ttft_ns = kMaxTtftNs + 1;
  EXPECT_NE(ValidateTrace(t).message().find("time_to_first_token_ms: outside"), std::string::npos);
}

TEST(TraceVersionsTest, NormalizeCoversSpanTimes) {
  Trace t = MakeTrace("t", "s", kT0);
  t.spans = {LlmSpan("b", kT0 - 5 * kSec, 1, 1, 1), LlmSpan("a", kT0 + 2 * kSec, 1, 1, 1)};
  t.tags = {"z", "a", "z"};
  NormalizeTrace(&t);
  EXPECT_EQ(t.start_ns, kT0 - 5 * kSec);
  ASSERT_TRUE(t.end_ns.has_value());
  EXPECT_EQ(*t.end_ns, kT0 + 3 * kSec);
  EXPECT_EQ(t.spans[0].span_id, "b");  // By start, then id.
  EXPECT_EQ(t.tags, (std::vector<std::string>{"a", "z"}));
}

// IsNormalized says whether NormalizeTrace would change the trace: the
// writer encodes such a trace without copying it.
TEST(TraceVersionsTest, IsNormalizedAgreesWithNormalizeTrace) {
  Trace base = MakeTrace("t", "s", kT0);
  base.spans = {LlmSpan("a", kT0, 1, 1, 1), LlmSpan("b", kT0 + kSec, 1, 1, 1)};
  base.tags = {"a", "z"};
  NormalizeTrace(&base);
  EXPECT_TRUE(IsNormalized(base));

  std::vector<Trace> variants(6, base);
  variants[0].tags = {"z", "a"};                          // Unsorted tags.
  variants[1].tags = {"a", "a"};                          // Repeated tag.
  std::swap(variants[2].spans[0], variants[2].spans[1]);  // Spans out of order.
  variants[3].start_ns = kT0 + kSec / 2;                  // Start after a span's.
  variants[4].end_ns = kT0;                               // End before a span's.
  variants[5].end_ns.reset();                             // Spans end, trace has none.
  for (std::size_t i = 0; i < variants.size(); ++i) {
    EXPECT_FALSE(IsNormalized(variants[i])) << i;
    Trace n = variants[i];
    NormalizeTrace(&n);
    EXPECT_NE(n, variants[i]) << i;
    EXPECT_TRUE(IsNormalized(n)) << i;
  }

  // No span and no end: nothing to normalize.
  Trace bare = MakeTrace("u", "s", kT0);
  bare.spans.clear();
  bare.end_ns.reset();
  Trace copy = bare;
  NormalizeTrace(&copy);
  EXPECT_TRUE(IsNormalized(bare));
  EXPECT_EQ(copy, bare);
}

TEST(TraceVersionsTest, MergeRules) {
  Trace v1 = MakeTrace("t", "s", kT0);
  v1.user_id = "u1";
  v1.input = Payload{"question", false};
  v1.status = TraceStatus::kError;
  v1.metadata = {{"a", "1"}, {"b", "2"}};
  v1.tags = {"x"};
  v1.spans = {LlmSpan("s1", kT0, 10, 0, 5)};
  NormalizeTrace(&v1);

  Trace v2 = MakeTrace("t", "", kT0 - kSec);  // Earlier start, no session given.
  v2.output = Payload{"answer", false};
  v2.metadata = {{"b", "3"}};
  v2.tags = {"y"};
  v2.spans = {LlmSpan("s1", kT0, 10, 20, 7), LlmSpan("s2", kT0 + 5 * kSec, 1, 1, 1)};
  NormalizeTrace(&v2);

  const Trace m = MergeTraceVersions(v1, v2);
  EXPECT_EQ(m.session_id, "s");
  EXPECT_EQ(m.user_id, "u1");
  EXPECT_EQ(m.input.value, "question");
  EXPECT_EQ(m.output.value, "answer");
  EXPECT_EQ(m.status, TraceStatus::kError);  // Unset does not overwrite.
  EXPECT_EQ(m.metadata, (std::map<std::string, std::string>{{"a", "1"}, {"b", "3"}}));
  EXPECT_EQ(m.tags, (std::vector<std::string>{"x", "y"}));
  ASSERT_EQ(m.spans.size(), 2u);
  EXPECT_EQ(m.spans[0].completion_tokens, 20);  // Incoming span wins.
  EXPECT_EQ(m.start_ns, kT0 - kSec);
  EXPECT_EQ(*m.end_ns, kT0 + 6 * kSec);

  // Merging the same version again is a no-op; ok status overrides error.
  EXPECT_EQ(MergeTraceVersions(m, v2), m);
  Trace v3 = MakeTrace("t", "s", kT0);
  v3.status = TraceStatus::kOk;
  EXPECT_EQ(MergeTraceVersions(m, v3).status, TraceStatus::kOk);
}

// Regression: resending an early partial version (a span without its end
// or usage) after the complete one must not undo the completed span.
TEST(TraceVersionsTest, StalePartialResendChangesNothing) {
  Trace partial = MakeTrace("t", "s", kT0);
  Span root;
  root.span_id = "root";
  root.kind = SpanKind::kAgent;
  root.start_ns = kT0;
  partial.spans = {root};
  NormalizeTrace(&partial);
  Trace full = partial;
  full.spans[0].end_ns = kT0 + 5 * kSec;
  full.spans[0].status = TraceStatus::kOk;
  full.spans[0].output = Payload{"done", false};
  full.spans.push_back(LlmSpan("llm", kT0 + kSec, 5, 5, 5));
  full.output = Payload{"answer", false};
  NormalizeTrace(&full);
  const Trace merged = MergeTraceVersions(partial, full);
  EXPECT_EQ(merged.spans.size(), 2u);
  EXPECT_EQ(MergeTraceVersions(merged, partial), merged);
  EXPECT_EQ(MergeTraceVersions(merged, full), merged);
}

TEST(TraceVersionsTest, MergeIsAssociativeOverVersions) {
  Trace a = MakeTrace("t", "s", kT0);
  a.spans = {LlmSpan("1", kT0, 1, 2, 3)};
  a.input = Payload{"in", false};
  Trace b = MakeTrace("t", "s", kT0 + kSec);
  b.spans = {LlmSpan("1", kT0, 5, 5, 5)};
  b.output = Payload{"out", false};
  b.tags = {"q"};
  Trace c = MakeTrace("t", "", kT0 - kSec);
  c.spans = {LlmSpan("2", kT0 + 9 * kSec, 1, 1, 1)};
  c.end_ns = kT0 + 20 * kSec;
  for (Trace* t : {&a, &b, &c}) NormalizeTrace(t);
  EXPECT_EQ(MergeTraceVersions(MergeTraceVersions(a, b), c),
            MergeTraceVersions(a, MergeTraceVersions(b, c)));
}

}  // namespace
}  // namespace sessionstore
