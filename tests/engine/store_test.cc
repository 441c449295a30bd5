// Copyright sessionstore authors.

#include "sessionstore/store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <chrono>
#include <set>
#include <span>
#include <thread>

#include "engine/aggregate/session_delta.h"
#include "engine/store_impl.h"
#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::ExpectVerifyClean;
using testing::GetSessionOrDie;
using testing::IngestOrDie;
using testing::kSec;
using testing::kT0;
using testing::LlmSpan;
using testing::MakeTrace;
using testing::NoBackgroundCatchUp;
using testing::OpenOrDie;
using testing::TempDir;
using testing::Turn;

TEST(StoreTest, AggregatesOfOneSession) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  Trace a = Turn("a", "s1", kT0, "hi", "hello");
  a.user_id = "alice";
  a.session_name = "first name";
  a.tags = {"x"};
  Trace b = Turn("b", "s1", kT0 + 60 * kSec, "how?", "like this");
  b.status = TraceStatus::kError;
  b.tags = {"x", "y"};
  b.spans.push_back(LlmSpan("b-emb", kT0 + 61 * kSec, 7, 0, 1, "emb"));
  b.spans.back().kind = SpanKind::kEmbedding;
  b.spans.back().ttft_ns = 400;
  Trace c = Turn("c", "s1", kT0 + 30 * kSec, "mid", "middle");
  c.session_name = "renamed";
  const IngestResult r = IngestOrDie(store.get(), {a, b, c});
  EXPECT_EQ(r.inserted, 3u);
  EXPECT_TRUE(r.rejected.empty());

  const SessionSummary s = GetSessionOrDie(store.get(), "s1");
  EXPECT_EQ(s.session_id, "s1");
  EXPECT_EQ(s.trace_count, 3);
  EXPECT_EQ(s.error_count, 1);
  EXPECT_EQ(s.span_count, 4);
  EXPECT_EQ(s.prompt_tokens, 307);
  EXPECT_EQ(s.completion_tokens, 60);
  EXPECT_EQ(s.total_tokens, 367);
  EXPECT_EQ(s.cost_nano_usd, 4501);
  EXPECT_EQ(s.first_trace_at_ns, kT0);
  EXPECT_EQ(s.last_trace_at_ns, kT0 + 60 * kSec);
  EXPECT_EQ(s.duration_ns, 62 * kSec);
  EXPECT_EQ(s.user_id, "alice");         // Only trace a has one.
  EXPECT_EQ(s.session_name, "renamed");  // c is later than a.
  EXPECT_EQ(s.first_input.value, "hi");
  EXPECT_EQ(s.last_output.value, "like this");
  EXPECT_EQ(s.models.at("gpt-4o"), (ModelUsage{3, 300, 60, 4500}));
  EXPECT_EQ(s.models.at("emb"), (ModelUsage{1, 7, 0, 1}));
  EXPECT_EQ(s.tags, (std::map<std::string, int64_t>{{"x", 2}, {"y", 1}}));
  EXPECT_EQ(s.ttft_count, 1);
  EXPECT_DOUBLE_EQ(s.ttft_avg_ns(), 400.0);
  ExpectVerifyClean(store.get());
}

TEST(StoreTest, RetryChangesNothing) {
  TempDir dir;
  auto store = OpenOrDie(dir.path(), NoBackgroundCatchUp());
  const Trace a = Turn("a", "s", kT0, "q", "r");
  IngestOrDie(store.get(), {a});
  const SessionSummary before = GetSessionOrDie(store.get(), "s");
  for (int i = 0; i < 3; ++i) {
    const IngestResult r = IngestOrDie(store.get(), {a, a});
    EXPECT_EQ(r.unchanged, 1u);
    EXPECT_EQ(r.inserted + r.updated, 0u);
  }
  EXPECT_EQ(GetSessionOrDie(store.get(), "s"), before);
  auto* impl = static_cast<StoreImpl*>(store.get());
  int operands = 0;
  ASSERT_TRUE(impl->TEST_AggregateOperandCount("s", &operands).ok());
  EXPECT_EQ(operands, 1);  // Retries wrote no session delta.
}

// GetSession folds the deltas no catch-up has stored yet onto the stored
// aggregate: the same aggregate before and after the catch-up, every delta
// folded counted in StoreStats.
TEST(StoreTest, GetSessionFoldsThePendingDeltas) {
  TempDir dir;
  auto store = OpenOrDie(dir.path(), NoBackgroundCatchUp());
  auto* impl = static_cast<StoreImpl*>(store.get());
  for (int i = 0; i < 40; ++i) {
    IngestOrDie(store.get(), {Turn("t" + std::to_string(i), "s", kT0 + i * kSec, "q", "r")});
    if (i != 2 && i != 39) continue;
    int operands = 0;
    ASSERT_TRUE(impl->TEST_AggregateOperandCount("s", &operands).ok());
    EXPECT_EQ(operands, i + 1);
    StoreStats before, after;
    ASSERT_TRUE(store->GetStats(&before).ok());
    const SessionSummary s = GetSessionOrDie(store.get(), "s");
    ASSERT_TRUE(store->GetStats(&after).ok());
    EXPECT_EQ(s.trace_count, i + 1);
    EXPECT_EQ(s.first_input.value, "q");
    EXPECT_EQ(s.last_trace_at_ns, kT0 + i * kSec);
    EXPECT_EQ(after.merge_operands_read - before.merge_operands_read,
              static_cast<uint64_t>(i + 1));
  }
  const SessionSummary pending = GetSessionOrDie(store.get(), "s");
  ListSessionsOptions o;
  SessionPage page;
  ASSERT_TRUE(store->ListSessions(o, &page).ok());  // Catches up.
  int operands = 0;
  ASSERT_TRUE(impl->TEST_AggregateOperandCount("s", &operands).ok());
  EXPECT_EQ(operands, 1);  // One stored value.
  EXPECT_EQ(GetSessionOrDie(store.get(), "s"), pending);
  ExpectVerifyClean(store.get());
}

TEST(StoreTest, DeltasOfLaterTracesCarryNoFirstInput) {
  TempDir dir;
  auto store = OpenOrDie(dir.path(), NoBackgroundCatchUp());
  auto* impl = static_cast<StoreImpl*>(store.get());
  Trace first = MakeTrace("t1", "s", kT0 + 10 * kSec);
  first.input = Payload{"first question", false};
  Trace later = MakeTrace("t2", "s", kT0 + 20 * kSec);
  later.input = Payload{"second question", false};
  Trace earlier = MakeTrace("t0", "s", kT0);  // Arrives last, starts first.
  earlier.input = Payload{"opening question", false};
  for (const Trace& t : {first, later, earlier}) IngestOrDie(store.get(), {t});
  std::vector<std::string> operands;
  ASSERT_TRUE(impl->TEST_AggregateOperands("s", &operands).ok());
  ASSERT_EQ(operands.size(), 3u);
  std::vector<SessionDelta> d(3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(SessionDelta::Decode(operands[i], &d[i]));
  EXPECT_TRUE(d[0].has_first);
  EXPECT_FALSE(d[1].has_first);  // Later than t1: cannot be the first trace.
  EXPECT_TRUE(d[1].first_input.value.empty());
  EXPECT_TRUE(d[2].has_first);  // Earlier than t1: offered.
  EXPECT_EQ(GetSessionOrDie(store.get(), "s").first_input.value, "opening question");
  ExpectVerifyClean(store.get());
}

TEST(StoreTest, PartialUpdatesConvergeToTheFullTrace) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  // Version 1: the root span has started; no output, no end, no usage.
  Trace v1 = MakeTrace("t", "s", kT0 + 10 * kSec);
  v1.input = Payload{"question", false};
  Span root;
  root.span_id = "root";
  root.kind = SpanKind::kAgent;
  root.start_ns = kT0 + 10 * kSec;
  v1.spans = {root};
  IngestOrDie(store.get(), {v1});
  SessionSummary s = GetSessionOrDie(store.get(), "s");
  EXPECT_EQ(s.span_count, 1);
  EXPECT_EQ(s.total_tokens, 0);
  EXPECT_EQ(s.last_output.value, "");

  // Version 2: a child LLM span that started earlier than the trace said,
  // the output, the end and an error status.
  Trace v2 = MakeTrace("t", "", kT0 + 10 * kSec);
  v2.output = Payload{"answer", false};
  v2.end_ns = kT0 + 20 * kSec;
  v2.status = TraceStatus::kError;
  v2.spans = {LlmSpan("llm", kT0 + 5 * kSec, 100, 50, 77)};
  const IngestResult r = IngestOrDie(store.get(), {v2});
  EXPECT_EQ(r.updated, 1u);
  s = GetSessionOrDie(store.get(), "s");
  EXPECT_EQ(s.trace_count, 1);
  EXPECT_EQ(s.span_count, 2);
  EXPECT_EQ(s.error_count, 1);
  EXPECT_EQ(s.total_tokens, 150);
  EXPECT_EQ(s.cost_nano_usd, 77);
  EXPECT_EQ(s.first_trace_at_ns, kT0 + 5 * kSec);  // Start moved earlier.
  EXPECT_EQ(s.last_trace_at_ns, kT0 + 5 * kSec);
  EXPECT_EQ(s.duration_ns, 15 * kSec);
  EXPECT_EQ(s.last_output.value, "answer");

  // Version 3: the status is fixed, the span corrected.
  Trace v3 = MakeTrace("t", "s", kT0 + 10 * kSec);
  v3.status = TraceStatus::kOk;
  v3.spans = {LlmSpan("llm", kT0 + 5 * kSec, 90, 50, 70)};
  IngestOrDie(store.get(), {v3});
  s = GetSessionOrDie(store.get(), "s");
  EXPECT_EQ(s.error_count, 0);
  EXPECT_EQ(s.prompt_tokens, 90);
  EXPECT_EQ(s.cost_nano_usd, 70);

  Trace stored;
  ASSERT_TRUE(store->GetTrace("t", &stored).ok());
  EXPECT_EQ(stored.start_ns, kT0 + 5 * kSec);
  EXPECT_EQ(stored.spans.size(), 2u);
  EXPECT_EQ(stored.input.value, "question");
  EXPECT_EQ(stored.output.value, "answer");
  // The timeline holds the trace once, at its new start.
  TimelinePage page;
  ASSERT_TRUE(store->Timeline("s", TimelineOptions(), &page).ok());
  ASSERT_EQ(page.traces.size(), 1u);
  EXPECT_EQ(page.traces[0].start_ns, kT0 + 5 * kSec);
  ExpectVerifyClean(store.get());
}

TEST(StoreTest, LatestFieldsFollowAStartThatMovesEarlier) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  Trace a = Turn("a", "s", kT0 + 100 * kSec, "qa", "ra");
  a.user_id = "late-user";
  Trace b = Turn("b", "s", kT0 + 50 * kSec, "qb", "rb");
  b.user_id = "early-user";
  IngestOrDie(store.get(), {a, b});
  EXPECT_EQ(GetSessionOrDie(store.get(), "s").user_id, "late-user");
  // A later version of a starts before b: b becomes the latest trace.
  Trace a2 = MakeTrace("a", "s", kT0 + 10 * kSec);
  IngestOrDie(store.get(), {a2});
  const SessionSummary s = GetSessionOrDie(store.get(), "s");
  EXPECT_EQ(s.user_id, "early-user");
  EXPECT_EQ(s.last_trace_at_ns, kT0 + 50 * kSec);
  EXPECT_EQ(s.last_output.value, "rb");
  EXPECT_EQ(s.first_trace_at_ns, kT0 + 10 * kSec);
  EXPECT_EQ(s.first_input.value, "qa");
  ExpectVerifyClean(store.get());
}

// Regression: a trace without an end counts its start as its end; a later
// version with an earlier start must not shrink the session's max end below
// what the aggregate already holds (found in review: verify disagreed).
TEST(StoreTest, EarlierStartOfATraceWithoutEndKeepsTheDurationExact) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  IngestOrDie(store.get(), {MakeTrace("t", "s", kT0 + 10 * kSec)});
  IngestOrDie(store.get(), {MakeTrace("t", "s", kT0 + 5 * kSec)});
  Trace u = MakeTrace("u", "s", kT0 + 20 * kSec);
  IngestOrDie(store.get(), {u});
  Trace v = MakeTrace("u", "s", kT0 + kSec);
  v.end_ns = kT0 + 2 * kSec;
  IngestOrDie(store.get(), {v});
  const SessionSummary s = GetSessionOrDie(store.get(), "s");
  EXPECT_EQ(s.first_trace_at_ns, kT0 + kSec);
  EXPECT_EQ(s.duration_ns, 19 * kSec);  // u still ends at its old start.
  Trace stored;
  ASSERT_TRUE(store->GetTrace("t", &stored).ok());
  ASSERT_TRUE(stored.end_ns.has_value());
  EXPECT_EQ(*stored.end_ns, kT0 + 10 * kSec);
  ExpectVerifyClean(store.get());
}

TEST(StoreTest, OutOfOrderArrivalGivesTheSameResult) {
  std::vector<Trace> traces;
  for (int i = 0; i < 40; ++i) {
    traces.push_back(Turn("t" + std::to_string(i), "s" + std::to_string(i % 3),
                          kT0 + (i * 7919 % 40) * kSec, "in" + std::to_string(i),
                          "out" + std::to_string(i)));
  }
  TempDir d1, d2;
  auto s1 = OpenOrDie(d1.path());
  auto s2 = OpenOrDie(d2.path());
  IngestOrDie(s1.get(), traces);
  std::reverse(traces.begin(), traces.end());
  for (const Trace& t : traces) IngestOrDie(s2.get(), {t});
  for (const char* id : {"s0", "s1", "s2"}) {
    EXPECT_EQ(GetSessionOrDie(s1.get(), id), GetSessionOrDie(s2.get(), id)) << id;
  }
}

TEST(StoreTest, PersistsAcrossReopen) {
  TempDir dir;
  SessionSummary before;
  {
    auto store = OpenOrDie(dir.path());
    IngestOrDie(store.get(), {Turn("a", "s", kT0, "x", "y"), Turn("b", "s", kT0 + kSec, "z", "w")});
    before = GetSessionOrDie(store.get(), "s");
  }
  auto store = OpenOrDie(dir.path());
  EXPECT_EQ(GetSessionOrDie(store.get(), "s"), before);
  // Updates after reopen keep merging onto the recovered aggregate.
  IngestOrDie(store.get(), {Turn("c", "s", kT0 + 2 * kSec, "p", "q")});
  EXPECT_EQ(GetSessionOrDie(store.get(), "s").trace_count, 3);
  ExpectVerifyClean(store.get());
}

TEST(StoreTest, RefusesAStoreOfAnotherFormatVersion) {
  TempDir dir;
  { auto store = OpenOrDie(dir.path()); }
  {
    // Rewrite the version record the way an older build left it.
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.path(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const std::string& name : names) cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir.path(), cfs, &handles, &raw).ok());
    ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), "sessionstore.format_version", "3").ok());
    for (auto* h : handles) ASSERT_TRUE(raw->DestroyColumnFamilyHandle(h).ok());
    delete raw;
  }
  std::unique_ptr<Store> store;
  const Status s = Store::Open(Options(), dir.path(), &store);
  EXPECT_TRUE(s.IsNotSupported()) << s.ToString();
  EXPECT_NE(s.ToString().find("format version 3"), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("re-ingest"), std::string::npos) << s.ToString();
  EXPECT_EQ(store, nullptr);
}

TEST(StoreTest, ReadOnlyStoreRejectsIngest) {
  TempDir dir;
  { auto store = OpenOrDie(dir.path()); }
  Options ro;
  ro.read_only = true;
  auto store = OpenOrDie(dir.path(), ro);
  IngestResult r;
  EXPECT_TRUE(store->Ingest({Turn("a", "s", kT0, "x", "y")}, &r).IsNotSupported());
}

TEST(StoreTest, BadTracesAreRejectedAndTheRestLands) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  Trace no_id = Turn("", "s", kT0, "x", "y");
  Trace dup_span = Turn("d", "s", kT0, "x", "y");
  dup_span.spans.push_back(dup_span.spans[0]);
  Trace bad_end = Turn("e", "s", kT0, "x", "y");
  bad_end.end_ns = kT0 - 1;
  Trace good = Turn("g", "s", kT0, "x", "y");
  IngestResult r;
  ASSERT_TRUE(store->Ingest({no_id, good, dup_span, bad_end}, &r).ok());
  EXPECT_EQ(r.inserted, 1u);
  ASSERT_EQ(r.rejected.size(), 3u);
  EXPECT_EQ(r.rejected[0].index, 0u);
  EXPECT_NE(r.rejected[0].reason.message().find("trace_id"), std::string::npos);
  EXPECT_EQ(r.rejected[1].index, 2u);
  EXPECT_NE(r.rejected[1].reason.message().find("spans[1].span_id: duplicate"), std::string::npos);
  EXPECT_EQ(r.rejected[2].index, 3u);
  EXPECT_NE(r.rejected[2].reason.message().find("end_time"), std::string::npos);
  EXPECT_EQ(GetSessionOrDie(store.get(), "s").trace_count, 1);
  ExpectVerifyClean(store.get());
}

// A span over part of the caller's traces: only those land, and rejection
// indexes count from the span's first trace.
TEST(StoreTest, IngestOfASpanTakesOnlyItsTraces) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  const std::vector<Trace> all = {Turn("a", "s", kT0, "x", "y"), Turn("", "s", kT0, "x", "y"),
                                  Turn("b", "s", kT0 + 1, "x", "y"),
                                  Turn("c", "s", kT0 + 2, "x", "y")};
  IngestResult r;
  ASSERT_TRUE(store->Ingest(std::span<const Trace>(all).subspan(1, 2), &r).ok());
  EXPECT_EQ(r.inserted, 1u);
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].index, 0u);
  Trace got;
  EXPECT_TRUE(store->GetTrace("b", &got).ok());
  EXPECT_TRUE(store->GetTrace("a", &got).IsNotFound());
  EXPECT_TRUE(store->GetTrace("c", &got).IsNotFound());
  EXPECT_EQ(GetSessionOrDie(store.get(), "s").trace_count, 1);
  ExpectVerifyClean(store.get());
}

TEST(StoreTest, TraceMovingToAnotherSessionIsRejected) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  IngestOrDie(store.get(), {Turn("t", "s1", kT0, "x", "y")});
  Trace moved = Turn("t", "s2", kT0, "x", "changed");
  IngestResult r = IngestOrDie(store.get(), {moved, Turn("u", "s2", kT0, "a", "b")});
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].index, 0u);
  EXPECT_NE(r.rejected[0].reason.message().find("is in session \"s1\""), std::string::npos)
      << r.rejected[0].reason.message();
  EXPECT_EQ(r.inserted, 1u);
  // Within one batch as well.
  r = IngestOrDie(store.get(), {Turn("v", "s1", kT0, "x", "y"), Turn("v", "s3", kT0, "x", "y")});
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].index, 1u);
  Trace stored;
  ASSERT_TRUE(store->GetTrace("t", &stored).ok());
  EXPECT_EQ(stored.output.value, "y");
  EXPECT_EQ(GetSessionOrDie(store.get(), "s1").trace_count, 2);
  ExpectVerifyClean(store.get());
}

// Regression: two valid versions used to merge past the span and tag limits.
TEST(StoreTest, VersionsThatMergePastTheLimitsAreRejected) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  Trace a = Turn("t", "s", kT0, "x", "y");
  for (std::size_t i = 0; i < kMaxTags; ++i) a.tags.push_back("a" + std::to_string(i));
  IngestOrDie(store.get(), {a});
  Trace b = Turn("t", "s", kT0, "x", "y");
  b.tags = {"b"};
  IngestResult r = IngestOrDie(store.get(), {b});
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_NE(r.rejected[0].reason.message().find("tags: merged"), std::string::npos)
      << r.rejected[0].reason.message();
  // Spans: two halves in one batch, each within the limit.
  Trace c = Turn("u", "s", kT0, "x", "y"), d = c;
  for (std::size_t i = 0; i < kMaxSpans / 2 + 1; ++i) {
    c.spans.push_back(LlmSpan("c" + std::to_string(i), kT0, 1, 1, 1));
    d.spans.push_back(LlmSpan("d" + std::to_string(i), kT0, 1, 1, 1));
  }
  r = IngestOrDie(store.get(), {c, d});  // The version that goes past is the one rejected.
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].index, 1u);
  EXPECT_NE(r.rejected[0].reason.message().find("spans: merged"), std::string::npos);
  EXPECT_EQ(r.inserted, 1u);
  Trace stored;
  ASSERT_TRUE(store->GetTrace("u", &stored).ok());
  EXPECT_EQ(stored.spans.size(), c.spans.size());
  EXPECT_EQ(GetSessionOrDie(store.get(), "s").trace_count, 2);
  ExpectVerifyClean(store.get());
}

TEST(StoreTest, TracesWithoutSessionAreStoredButFormNoSession) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  IngestOrDie(store.get(), {Turn("lonely", "", kT0, "x", "y")});
  Trace t;
  ASSERT_TRUE(store->GetTrace("lonely", &t).ok());
  EXPECT_EQ(t.output.value, "y");
  SessionSummary s;
  EXPECT_TRUE(store->GetSession("", &s).IsNotFound());
  SessionPage page;
  ASSERT_TRUE(store->ListSessions(ListSessionsOptions(), &page).ok());
  EXPECT_TRUE(page.sessions.empty());
  // It may join a session later.
  IngestOrDie(store.get(), {MakeTrace("lonely", "s", kT0)});
  EXPECT_EQ(GetSessionOrDie(store.get(), "s").trace_count, 1);
  EXPECT_EQ(GetSessionOrDie(store.get(), "s").total_tokens, 120);
  ExpectVerifyClean(store.get());
}

TEST(StoreTest, NotFound) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  SessionSummary s;
  EXPECT_TRUE(store->GetSession("nope", &s).IsNotFound());
  Trace t;
  EXPECT_TRUE(store->GetTrace("nope", &t).IsNotFound());
  TimelinePage page;
  ASSERT_TRUE(store->Timeline("nope", TimelineOptions(), &page).ok());
  EXPECT_TRUE(page.traces.empty());
}

// Sessions whose hashes collide share the fixed key prefix but never mix.
TEST(StoreTest, CollidingSessionHashesNeverMix) {
  TempDir dir;
  InternalOptions internal;
  internal.TEST_session_hash = [](std::string_view) { return uint64_t{42}; };
  auto store = OpenOrDie(dir.path(), Options(), internal);
  std::vector<Trace> traces;
  for (int i = 0; i < 30; ++i) {
    const std::string session = i % 3 == 0 ? "s" : i % 3 == 1 ? "s1" : "s12";
    traces.push_back(Turn("t" + std::to_string(i), session, kT0 + i * kSec, "in", "out"));
  }
  IngestOrDie(store.get(), traces);
  for (const char* id : {"s", "s1", "s12"}) {
    const SessionSummary s = GetSessionOrDie(store.get(), id);
    EXPECT_EQ(s.trace_count, 10) << id;
    TimelinePage page;
    ASSERT_TRUE(store->Timeline(id, TimelineOptions(), &page).ok());
    ASSERT_EQ(page.traces.size(), 10u) << id;
    for (const Trace& t : page.traces) EXPECT_EQ(t.session_id, id);
  }
  SessionPage page;
  ListSessionsOptions lo;
  ASSERT_TRUE(store->ListSessions(lo, &page).ok());
  ASSERT_EQ(page.sessions.size(), 3u);
  EXPECT_EQ(page.sessions[0].session_id, "s12");  // Latest trace is t29.
  ExpectVerifyClean(store.get());
}

TEST(StoreTest, TimelinePagesInBothDirectionsWithinAWindow) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  std::vector<Trace> traces;
  for (int i = 0; i < 25; ++i) {
    traces.push_back(Turn("t" + std::to_string(100 + i), "s", kT0 + i * kSec, "i", "o"));
  }
  traces.push_back(Turn("other", "s-other", kT0 + 3 * kSec, "i", "o"));
  IngestOrDie(store.get(), traces);
  for (bool desc : {false, true}) {
    TimelineOptions o;
    o.from_ns = kT0 + 2 * kSec;
    o.to_ns = kT0 + 22 * kSec;  // Exclusive: 20 traces, 2..21.
    o.limit = 7;
    o.descending = desc;
    std::vector<int64_t> starts;
    int pages = 0;
    do {
      TimelinePage page;
      Status st = store->Timeline("s", o, &page);
      ASSERT_TRUE(st.ok()) << st.ToString();
      for (const Trace& t : page.traces) starts.push_back(t.start_ns);
      o.cursor = page.next_cursor;
      ++pages;
    } while (!o.cursor.empty() && pages < 10);
    EXPECT_EQ(pages, 3);
    ASSERT_EQ(starts.size(), 20u);
    for (std::size_t i = 0; i < starts.size(); ++i) {
      const int64_t want = desc ? kT0 + (21 - static_cast<int64_t>(i)) * kSec
                                : kT0 + (2 + static_cast<int64_t>(i)) * kSec;
      EXPECT_EQ(starts[i], want) << i;
    }
  }
  // A cursor belongs to its session, window and direction.
  TimelineOptions o;
  o.limit = 5;
  TimelinePage page;
  ASSERT_TRUE(store->Timeline("s", o, &page).ok());
  ASSERT_FALSE(page.next_cursor.empty());
  TimelineOptions wrong = o;
  wrong.cursor = page.next_cursor;
  wrong.descending = true;
  EXPECT_TRUE(store->Timeline("s", wrong, &page).IsInvalidArgument());
  wrong.descending = false;
  EXPECT_TRUE(store->Timeline("s-other", wrong, &page).IsInvalidArgument());
  wrong.cursor = "zz";
  EXPECT_TRUE(store->Timeline("s", wrong, &page).IsInvalidArgument());
}

// One trace per batch into one session, without the background catch-up:
// the writers catch up themselves once kMaxPendingBatches batches are
// pending, so a read never folds more deltas than that.
TEST(StoreTest, HotSessionPendingDeltasStayBounded) {
  TempDir dir;
  auto store = OpenOrDie(dir.path(), NoBackgroundCatchUp());
  auto* impl = static_cast<StoreImpl*>(store.get());
  constexpr int kTraces = 3000;
  int max_seen = 0;
  for (int i = 0; i < kTraces; ++i) {
    Trace t = MakeTrace("t" + std::to_string(i), "hot", kT0 + i);
    t.prompt_tokens = 1;
    IngestOrDie(store.get(), {t});  // One batch per trace: one delta each.
    int parts = 0;
    ASSERT_TRUE(impl->TEST_AggregateOperandCount("hot", &parts).ok());
    max_seen = std::max(max_seen, parts);
  }
  // The stored value plus at most the bound's deltas.
  EXPECT_LE(max_seen, static_cast<int>(SessionIndexer::kMaxPendingBatches) + 1);
  EXPECT_GT(max_seen, 1);
  const SessionSummary s = GetSessionOrDie(store.get(), "hot");
  EXPECT_EQ(s.trace_count, kTraces);
  EXPECT_EQ(s.prompt_tokens, kTraces);
}

TEST(StoreTest, CorruptStoredValueIsReportedNotCrashed) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  IngestOrDie(store.get(), {Turn("a", "s", kT0, "x", "y")});
  auto* impl = static_cast<StoreImpl*>(store.get());
  ASSERT_TRUE(impl->TEST_OverwriteTraceRecord("a", "garbage").ok());
  Trace t;
  Status s = store->GetTrace("a", &t);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  TimelinePage page;
  s = store->Timeline("s", TimelineOptions(), &page);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  IngestResult r;
  EXPECT_TRUE(store->Ingest({Turn("a", "s", kT0, "x", "z")}, &r).IsCorruption());
  VerifyReport report;
  ASSERT_TRUE(store->Verify(&report).ok());
  EXPECT_FALSE(report.mismatches.empty());
}

}  // namespace
}  // namespace sessionstore
