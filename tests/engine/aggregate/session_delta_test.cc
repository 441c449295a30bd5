// Copyright sessionstore authors.

#include "engine/aggregate/session_delta.h"

#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <random>
#include <string>

#include "session_delta_generated.h"
#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::kSec;
using testing::kT0;
using testing::LlmSpan;
using testing::MakeTrace;

TEST(SessionDeltaTest, CountsGenerationSpansOnly) {
  Trace t = MakeTrace("t", "s", kT0);
  Span wrapper = LlmSpan("root", kT0, 100, 100, 100);
  wrapper.kind = SpanKind::kChain;  // Repeats its child's usage: not counted.
  Span embed = LlmSpan("e", kT0, 7, 0, 3, "emb");
  embed.kind = SpanKind::kEmbedding;
  Span llm = LlmSpan("l", kT0, 100, 50, 2000, "gpt");
  llm.ttft_ns = 300;
  llm.status = TraceStatus::kError;
  t.spans = {wrapper, embed, llm};
  t.tags = {"a", "b"};
  t.prompt_tokens = 999;  // Ignored: the trace has spans.
  const SessionDelta d = SessionDelta::FromTrace(t, 1);
  EXPECT_EQ(d.trace_count, 1);
  EXPECT_EQ(d.error_count, 1);
  EXPECT_EQ(d.span_count, 3);
  EXPECT_EQ(d.prompt_tokens, 107);
  EXPECT_EQ(d.completion_tokens, 50);
  EXPECT_EQ(d.cost_nano_usd, 2003);
  EXPECT_EQ(d.ttft_count, 1);
  EXPECT_EQ(d.ttft_sum_ns, 300);
  EXPECT_EQ(d.models.size(), 2u);
  EXPECT_EQ(d.models.at("gpt"), (ModelUsage{1, 100, 50, 2000}));
  EXPECT_EQ(d.tags.at("a"), 1);
}

TEST(SessionDeltaTest, SpanlessTraceCountsItsOwnUsage) {
  Trace t = MakeTrace("t", "s", kT0);
  t.model = "m";
  t.prompt_tokens = 4;
  t.completion_tokens = 6;
  t.cost_nano_usd = 10;
  const SessionDelta d = SessionDelta::FromTrace(t, 1);
  EXPECT_EQ(d.prompt_tokens, 4);
  EXPECT_EQ(d.completion_tokens, 6);
  EXPECT_EQ(d.models.at("m"), (ModelUsage{1, 4, 6, 10}));
  EXPECT_EQ(d.max_end_ns, kT0);  // No end: counts its start.
}

// A random valid trace for AddTrace: models repeated across spans (summed
// per model first), costs up to the limit, tags, previews over 1 KB with
// multi-byte characters.
Trace RandomTrace(std::mt19937_64* rng) {
  auto pick = [&](uint64_t n) { return (*rng)() % n; };
  Trace t = MakeTrace("t" + std::to_string(pick(8)), "s", kT0 + static_cast<int64_t>(pick(4)) * kSec);
  const std::string unit = pick(2) == 0 ? "ab" : "\xC3\xA9";  // 'é': two bytes.
  std::string big;
  for (uint64_t i = pick(2) == 0 ? 3 : 700; i > 0; --i) big += unit;
  t.input = Payload{"in" + big, pick(2) == 0};
  t.output = Payload{"o" + big, pick(2) == 0};
  if (pick(2) == 0) t.user_id = "u" + std::to_string(pick(3));
  if (pick(3) == 0) t.session_name = "n" + std::to_string(pick(3));
  if (pick(4) == 0) t.end_ns = t.start_ns + static_cast<int64_t>(pick(10)) * kSec;
  for (uint64_t i = pick(4); i > 0; --i) {
    Span sp = LlmSpan("sp" + std::to_string(i), t.start_ns - static_cast<int64_t>(pick(2)) * kSec,
                      static_cast<int64_t>(pick(50)), static_cast<int64_t>(pick(50)),
                      pick(5) == 0 ? kMaxCostNanoUsd : static_cast<int64_t>(pick(1000)),
                      "m" + std::to_string(pick(2)));
    if (pick(3) == 0) sp.ttft_ns = static_cast<int64_t>(pick(100));
    if (pick(4) == 0) sp.kind = SpanKind::kTool;
    t.spans.push_back(sp);
  }
  if (t.spans.empty() && pick(2) == 0) {
    t.model = "m" + std::to_string(pick(2));
    t.prompt_tokens = static_cast<int64_t>(pick(9));
  }
  for (uint64_t i = pick(3); i > 0; --i) t.tags.push_back("tag" + std::to_string(pick(3)));
  return t;
}

// An independent statement of a trace's contribution (the definition
// before AddTrace): a map of its own, span by span, and the registers
// offered whole previews.
SessionDelta ReferenceFromTrace(const Trace& t, uint64_t version) {
  SessionDelta d;
  const TraceUsage usage = ComputeTraceUsage(t);
  d.trace_count = 1;
  d.error_count = usage.has_error ? 1 : 0;
  d.span_count = static_cast<int64_t>(t.spans.size());
  d.prompt_tokens = usage.prompt_tokens;
  d.completion_tokens = usage.completion_tokens;
  d.cost_nano_usd = usage.cost_nano_usd;
  if (t.spans.empty() && (!t.model.empty() || t.prompt_tokens != 0 ||
                          t.completion_tokens != 0 || t.cost_nano_usd != 0)) {
    AddModelUsage(&d.models, t.model,
                  ModelUsage{1, t.prompt_tokens, t.completion_tokens, t.cost_nano_usd}, 1);
  }
  for (const Span& span : t.spans) {
    if (IsGenerationKind(span.kind)) {
      AddModelUsage(&d.models, span.model,
                    ModelUsage{1, span.prompt_tokens, span.completion_tokens, span.cost_nano_usd},
                    1);
    }
    if (span.ttft_ns) {
      d.ttft_sum_ns += *span.ttft_ns;
      d.ttft_count += 1;
    }
  }
  for (const std::string& tag : t.tags) AddTagCount(&d.tags, tag, 1);
  d.has_first = true;
  d.first_start_ns = usage.effective_start_ns;
  d.first_trace_id = t.trace_id;
  d.first_version = version;
  d.first_input = MakePreview(t.input);
  d.has_max_end = true;
  d.max_end_ns = usage.effective_end_ns;
  LatestRegister offer;
  offer.has_best = true;
  offer.start_ns = t.start_ns;
  offer.trace_id = t.trace_id;
  offer.version = version;
  offer.value = MakePreview(t.output);
  d.last.Then(offer);
  if (!t.user_id.empty()) {
    offer.value = Payload{t.user_id, false};
    d.last_user.Then(offer);
  }
  if (!t.session_name.empty()) {
    offer.value = Payload{t.session_name, false};
    d.last_name.Then(offer);
  }
  return d;
}

TEST(SessionDeltaTest, FromTraceEqualsTheReference) {
  std::mt19937_64 rng(9);
  for (int round = 0; round < 300; ++round) {
    const Trace t = RandomTrace(&rng);
    ASSERT_EQ(SessionDelta::FromTrace(t, 2), ReferenceFromTrace(t, 2)) << "round " << round;
  }
  // Many models, interleaved across spans: each model's spans sum in order.
  Trace many = MakeTrace("t", "s", kT0);
  for (int i = 0; i < 600; ++i) {
    many.spans.push_back(LlmSpan("sp" + std::to_string(i), kT0, i, 2 * i, i % 7,
                                 "m" + std::to_string((i * 37) % 150)));
  }
  EXPECT_EQ(SessionDelta::FromTrace(many, 1), ReferenceFromTrace(many, 1));
  EXPECT_EQ(SessionDelta::FromTrace(many, 1).models.size(), 150u);
}

TEST(SessionDeltaTest, AddTraceEqualsAddingTheTracesContribution) {
  std::mt19937_64 rng(5);
  for (int round = 0; round < 300; ++round) {
    // Start from what a batch's delta may hold: contributions, updates
    // (negative counters), retractions (floors), saturated sums.
    SessionDelta in_place;
    if (rng() % 3 == 0) in_place = SessionDelta::RetractionOf(MakeTrace("t9", "s", kT0 + 3 * kSec));
    if (rng() % 4 == 0) in_place.SubtractCounters(SessionDelta::FromTrace(RandomTrace(&rng), 1));
    if (rng() % 5 == 0) in_place.cost_nano_usd = std::numeric_limits<int64_t>::max();
    SessionDelta reference = in_place;
    for (int k = static_cast<int>(rng() % 6); k >= 0; --k) {
      const Trace t = RandomTrace(&rng);
      const uint64_t version = 1 + rng() % 3;
      in_place.AddTrace(t, version);
      reference.Add(ReferenceFromTrace(t, version));
      ASSERT_EQ(in_place, reference) << "round " << round;
    }
  }
}

TEST(SessionDeltaTest, PreviewsAreCutAtACharacterBoundary) {
  Trace t = MakeTrace("t", "s", kT0);
  std::string text(kPreviewBytes - 1, 'x');
  text += "\xC3\xA9";  // Two bytes across the limit.
  t.input = Payload{text, true};
  t.output = Payload{"{}", true};
  const SessionDelta d = SessionDelta::FromTrace(t, 1);
  EXPECT_EQ(d.first_input.value, std::string(kPreviewBytes - 1, 'x'));
  EXPECT_FALSE(d.first_input.is_json);  // A cut value is no longer JSON.
  EXPECT_EQ(d.last.value, (Payload{"{}", true}));
  EXPECT_EQ(d.first_input, MakePreview(t.input));
}

TEST(SessionDeltaTest, UpdateDeltaTurnsOldIntoNew) {
  Trace old_t = MakeTrace("t", "s", kT0);
  old_t.spans = {LlmSpan("a", kT0, 10, 10, 10, "x")};
  old_t.tags = {"keep", "gone"};
  Trace new_t = old_t;
  new_t.spans = {LlmSpan("a", kT0, 20, 5, 1, "y")};
  new_t.tags = {"keep", "new"};
  SessionDelta base = SessionDelta::FromTrace(old_t, 1);
  SessionDelta d = SessionDelta::FromTrace(new_t, 2);
  d.SubtractCounters(SessionDelta::FromTrace(old_t, 1));
  base.Add(d);
  SessionDelta want = SessionDelta::FromTrace(new_t, 2);
  EXPECT_EQ(base, want);
}

TEST(SessionDeltaTest, EncodeDecodeRoundTrip) {
  Trace t = MakeTrace("t", "s", kT0);
  t.input = Payload{std::string(5000, 'x'), false};
  t.spans = {LlmSpan("a", kT0, 1, 2, 3)};
  t.tags = {"x"};
  SessionDelta d = SessionDelta::FromTrace(t, 9);
  EXPECT_EQ(d.first_input.value.size(), kPreviewBytes);
  SessionDelta back;
  ASSERT_TRUE(SessionDelta::Decode(d.Encode(), &back));
  EXPECT_EQ(back, d);
  SessionDelta empty;
  ASSERT_TRUE(SessionDelta::Decode(empty.Encode(), &back));
  EXPECT_TRUE(back.IsIdentity());
  EXPECT_FALSE(SessionDelta::Decode("garbage", &back));
  const std::string enc = d.Encode();
  for (std::size_t n = 0; n < enc.size(); n += 7) {
    EXPECT_FALSE(SessionDelta::Decode(std::string_view(enc.data(), n), &back)) << n;
  }
}

TEST(SessionDeltaTest, FirstRegisterPrefersEarliestThenNewestVersion) {
  SessionDelta a = SessionDelta::FromTrace(MakeTrace("b", "s", kT0), 1);
  Trace t2 = MakeTrace("a", "s", kT0);  // Same start, smaller id wins.
  t2.input = Payload{"v1", false};
  SessionDelta b = SessionDelta::FromTrace(t2, 1);
  t2.input = Payload{"v2", false};
  SessionDelta c = SessionDelta::FromTrace(t2, 2);
  SessionDelta x = a;
  x.Add(c);
  x.Add(b);
  SessionDelta y = b;
  y.Add(a);
  y.Add(c);
  EXPECT_EQ(x, y);
  EXPECT_EQ(x.first_trace_id, "a");
  EXPECT_EQ(x.first_input.value, "v2");
  EXPECT_EQ(x.max_end_ns, kT0);
  (void)kSec;
}

// Every supported format writes all three latest registers: a value without
// one is not a valid aggregate.
TEST(SessionDeltaTest, ValueWithoutARegisterFailsToDecode) {
  flatbuffers::FlatBufferBuilder b;
  fb::SessionDeltaFbBuilder d(b);
  d.add_trace_count(1);
  b.Finish(d.Finish());
  const std::string bytes(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
  SessionDelta out;
  EXPECT_FALSE(SessionDelta::Decode(bytes, &out));
  // The same value with its registers decodes.
  SessionDelta full = SessionDelta::FromTrace(MakeTrace("t", "s", kT0), 1);
  ASSERT_TRUE(SessionDelta::Decode(full.Encode(), &out));
  EXPECT_EQ(out, full);
}

}  // namespace
}  // namespace sessionstore
