// Copyright sessionstore authors.
//
// Deletes: what each one removes and keeps, exactness of the trimmed
// sessions, idempotence, ingest after a delete, deletes under concurrent
// ingest. (Random deletes against the model: store_model_test.cc.)

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "engine/store_impl.h"
#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::ExpectVerifyClean;
using testing::GetSessionOrDie;
using testing::IngestOrDie;
using testing::kSec;
using testing::kT0;
using testing::OpenOrDie;
using testing::TempDir;
using testing::Turn;

std::vector<std::string> Listed(Store* store) {
  SessionPage page;
  ListSessionsOptions o;
  o.limit = 1000;
  EXPECT_TRUE(store->ListSessions(o, &page).ok());
  std::vector<std::string> ids;
  for (const SessionSummary& s : page.sessions) ids.push_back(s.session_id);
  return ids;
}

TEST(StoreDeleteTest, DeleteSessionRemovesItAndOnlyIt) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  IngestOrDie(store.get(), {Turn("a1", "a", kT0, "q", "r"), Turn("b1", "b", kT0 + kSec, "q", "r"),
                            Turn("b2", "b", kT0 + 2 * kSec, "q2", "r2")});
  EXPECT_EQ(Listed(store.get()), (std::vector<std::string>{"b", "a"}));
  DeleteResult r;
  ASSERT_TRUE(store->DeleteSession("b", &r).ok());
  EXPECT_EQ(r.sessions_deleted, 1);
  EXPECT_EQ(r.traces_deleted, 2);
  SessionSummary s;
  EXPECT_TRUE(store->GetSession("b", &s).IsNotFound());
  Trace t;
  EXPECT_TRUE(store->GetTrace("b1", &t).IsNotFound());
  TimelinePage page;
  ASSERT_TRUE(store->Timeline("b", TimelineOptions(), &page).ok());
  EXPECT_TRUE(page.traces.empty());
  EXPECT_EQ(Listed(store.get()), (std::vector<std::string>{"a"}));
  EXPECT_EQ(GetSessionOrDie(store.get(), "a").trace_count, 1);
  ExpectVerifyClean(store.get());
  // Idempotent; an unknown session deletes nothing.
  ASSERT_TRUE(store->DeleteSession("b", &r).ok());
  EXPECT_EQ(r.traces_deleted, 0);
  EXPECT_TRUE(store->DeleteSession("", &r).IsInvalidArgument());
  // A trace ingested afterwards starts the session afresh, also a retry.
  IngestOrDie(store.get(), {Turn("b2", "b", kT0 + 2 * kSec, "q2", "r2")});
  const SessionSummary again = GetSessionOrDie(store.get(), "b");
  EXPECT_EQ(again.trace_count, 1);
  EXPECT_EQ(again.first_input.value, "q2");
  ExpectVerifyClean(store.get());
}

TEST(StoreDeleteTest, DeleteUserRemovesEverySessionTheUserIsInWhole) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  Trace mixed_a = Turn("m1", "mixed", kT0, "q", "r");
  mixed_a.user_id = "alice";
  Trace mixed_b = Turn("m2", "mixed", kT0 + kSec, "q", "r");
  mixed_b.user_id = "bob";
  Trace bobs = Turn("b1", "bobs", kT0, "q", "r");
  bobs.user_id = "bob";
  Trace lone = Turn("l1", "", kT0, "q", "r");
  lone.user_id = "alice";
  Trace other_lone = Turn("l2", "", kT0, "q", "r");
  IngestOrDie(store.get(), {mixed_a, mixed_b, bobs, lone, other_lone});
  DeleteResult r;
  ASSERT_TRUE(store->DeleteUser("alice", &r).ok());
  EXPECT_EQ(r.sessions_deleted, 1);  // "mixed", bob's trace in it too.
  EXPECT_EQ(r.traces_deleted, 3);    // m1, m2 and the lone l1.
  Trace t;
  EXPECT_TRUE(store->GetTrace("m2", &t).IsNotFound());
  EXPECT_TRUE(store->GetTrace("l1", &t).IsNotFound());
  EXPECT_TRUE(store->GetTrace("l2", &t).ok());
  EXPECT_EQ(Listed(store.get()), (std::vector<std::string>{"bobs"}));
  ExpectVerifyClean(store.get());
}

TEST(StoreDeleteTest, DeleteTracesBeforeRecomputesWhatRemains) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  Trace first = Turn("t1", "s", kT0, "first q", "first r");
  first.user_id = "u-old";
  first.tags = {"old"};
  Trace second = Turn("t2", "s", kT0 + 10 * kSec, "second q", "second r");
  Trace third = Turn("t3", "s", kT0 + 20 * kSec, "third q", "third r");
  third.spans = {testing::LlmSpan("t3-llm", kT0 + 20 * kSec, 7, 3, 900, "other-model")};
  IngestOrDie(store.get(), {first, second, third, Turn("x1", "gone", kT0 + kSec, "q", "r")});
  DeleteResult r;
  ASSERT_TRUE(store->DeleteTracesBefore(kT0 + 5 * kSec, &r).ok());
  EXPECT_EQ(r.traces_deleted, 2);
  EXPECT_EQ(r.sessions_trimmed, 1);
  EXPECT_EQ(r.sessions_deleted, 1);
  const SessionSummary s = GetSessionOrDie(store.get(), "s");
  EXPECT_EQ(s.trace_count, 2);
  EXPECT_EQ(s.first_trace_at_ns, kT0 + 10 * kSec);
  EXPECT_EQ(s.first_input.value, "second q");
  EXPECT_EQ(s.last_output.value, "third r");
  EXPECT_EQ(s.user_id, "");  // Only the deleted trace had one.
  EXPECT_TRUE(s.tags.empty());
  EXPECT_EQ(s.prompt_tokens, 107);
  EXPECT_EQ(s.cost_nano_usd, 2400);
  EXPECT_EQ(s.models.count("other-model"), 1u);
  EXPECT_EQ(Listed(store.get()), (std::vector<std::string>{"s"}));
  // Later traces still merge onto the rewritten aggregate.
  IngestOrDie(store.get(), {Turn("t4", "s", kT0 + 30 * kSec, "q4", "r4")});
  EXPECT_EQ(GetSessionOrDie(store.get(), "s").trace_count, 3);
  ExpectVerifyClean(store.get());
  store.reset();
  store = OpenOrDie(dir.path());  // The deletes are durable.
  EXPECT_EQ(GetSessionOrDie(store.get(), "s").trace_count, 3);
  EXPECT_EQ(Listed(store.get()), (std::vector<std::string>{"s"}));
}

TEST(StoreDeleteTest, DeletesUnderConcurrentIngestStayExact) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      const std::string session = "w" + std::to_string(i % 7);
      IngestOrDie(store.get(), {Turn("w-" + std::to_string(i), session, kT0 + i * kSec, "q", "r")});
    }
  });
  DeleteResult r;
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE(store->DeleteSession("w" + std::to_string(round % 7), &r).ok());
    ASSERT_TRUE(store->DeleteTracesBefore(kT0 + round * 50 * kSec, &r).ok());
  }
  stop = true;
  writer.join();
  ExpectVerifyClean(store.get());
}

TEST(StoreDeleteTest, RetentionExpiresTracesInTheBackgroundByTheInjectedClock) {
  TempDir dir;
  std::atomic<int64_t> now{kT0};
  InternalOptions internal;
  internal.TEST_clock = [&] { return now.load(); };
  internal.TEST_retention_interval_ms = 5;
  Options o;
  o.retention_ns = 100 * kSec;
  auto store = OpenOrDie(dir.path(), o, internal);
  auto* impl = static_cast<StoreImpl*>(store.get());
  ASSERT_NE(impl->TEST_retention(), nullptr);
  IngestOrDie(store.get(),
              {Turn("t1", "s", kT0, "q1", "r1"), Turn("t2", "s", kT0 + 50 * kSec, "q2", "r2"),
               Turn("o1", "old", kT0 + 10 * kSec, "q", "r")});
  ASSERT_TRUE(impl->TEST_retention()->RunOnce().ok());
  EXPECT_EQ(GetSessionOrDie(store.get(), "s").trace_count, 2);  // Nothing expired yet.
  now = kT0 + 120 * kSec;  // t1 and o1 are now older than 100 s.
  for (int i = 0; i < 2000 && impl->TEST_retention()->traces_deleted() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(impl->TEST_retention()->traces_deleted(), 2u);  // By the background thread.
  const SessionSummary s = GetSessionOrDie(store.get(), "s");
  EXPECT_EQ(s.trace_count, 1);
  EXPECT_EQ(s.first_input.value, "q2");
  SessionSummary gone;
  EXPECT_TRUE(store->GetSession("old", &gone).IsNotFound());
  EXPECT_EQ(Listed(store.get()), (std::vector<std::string>{"s"}));
  ExpectVerifyClean(store.get());
}

TEST(StoreDeleteTest, ReadOnlyStoreRefusesDeletes) {
  TempDir dir;
  { auto store = OpenOrDie(dir.path()); }
  Options o;
  o.read_only = true;
  auto store = OpenOrDie(dir.path(), o);
  DeleteResult r;
  EXPECT_TRUE(store->DeleteSession("s", &r).IsNotSupported());
  EXPECT_TRUE(store->DeleteUser("u", &r).IsNotSupported());
  EXPECT_TRUE(store->DeleteTracesBefore(kT0, &r).IsNotSupported());
}

}  // namespace
}  // namespace sessionstore
