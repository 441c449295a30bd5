// Copyright sessionstore authors.
//
// Randomized model test: a random workload of new traces, retries, partial
// updates, session-less traces, conflicting sessions and reopens runs against
// the store and against TraceModel; every aggregate, timeline, trace and
// session listing must match.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <set>

#include "tests/engine/model.h"
#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::kSec;
using testing::kT0;
using testing::OpenOrDie;
using testing::TempDir;
using testing::TraceModel;

class Workload {
 public:
  explicit Workload(uint64_t seed) : rng_(seed) {}

  // A unique start time, so that orderings never tie.
  int64_t FreshStart(int64_t below = kT0 + 1'000'000 * kSec) {
    for (;;) {
      const int64_t t = kT0 + static_cast<int64_t>(rng_() % static_cast<uint64_t>(below - kT0));
      if (used_.insert(t).second) return t;
    }
  }

  Span RandomSpan(const std::string& id, int64_t around) {
    Span s;
    s.span_id = id;
    s.kind = static_cast<SpanKind>(rng_() % 9);
    if (rng_() % 4 != 0) s.start_ns = around + static_cast<int64_t>(rng_() % 5) * kSec;
    if (s.start_ns && rng_() % 3 != 0)
      s.end_ns = *s.start_ns + static_cast<int64_t>(rng_() % 9) * kSec;
    s.model = "m" + std::to_string(rng_() % 3);
    s.prompt_tokens = static_cast<int64_t>(rng_() % 1000);
    s.completion_tokens = static_cast<int64_t>(rng_() % 300);
    s.cost_nano_usd = static_cast<int64_t>(rng_() % 100000);
    if (rng_() % 3 == 0) s.ttft_ns = static_cast<int64_t>(rng_() % 1000000);
    if (rng_() % 10 == 0) s.status = TraceStatus::kError;
    return s;
  }

  Trace NewTrace() {
    Trace t;
    t.trace_id = "t" + std::to_string(next_id_++);
    t.session_id = rng_() % 10 == 0 ? "" : "s" + std::to_string(rng_() % 15);
    t.start_ns = FreshStart();
    if (rng_() % 2) t.user_id = "u" + std::to_string(rng_() % 4);
    if (rng_() % 3 == 0) t.session_name = "name" + std::to_string(rng_() % 5);
    t.input = Payload{"in-" + t.trace_id + std::string(rng_() % 3 == 0 ? 1500 : 0, 'x'), false};
    if (rng_() % 2) t.output = Payload{"{\"o\":\"" + t.trace_id + "\"}", true};
    if (rng_() % 2) t.end_ns = t.start_ns + static_cast<int64_t>(rng_() % 20) * kSec;
    t.status = static_cast<TraceStatus>(rng_() % 3);
    if (rng_() % 2) t.tags.push_back("tag" + std::to_string(rng_() % 4));
    const int spans = static_cast<int>(rng_() % 4);
    for (int i = 0; i < spans; ++i)
      t.spans.push_back(RandomSpan("sp" + std::to_string(i), t.start_ns));
    if (spans == 0 && rng_() % 2) {
      t.model = "m" + std::to_string(rng_() % 3);
      t.prompt_tokens = static_cast<int64_t>(rng_() % 100);
      t.cost_nano_usd = static_cast<int64_t>(rng_() % 1000);
    }
    return t;
  }

  Trace UpdateOf(const Trace& base) {
    Trace u;
    u.trace_id = base.trace_id;
    if (rng_() % 2) u.session_id = base.session_id;
    if (base.session_id.empty() && rng_() % 3 == 0)
      u.session_id = "s" + std::to_string(rng_() % 15);
    u.start_ns = rng_() % 4 == 0 ? FreshStart(base.start_ns) : base.start_ns;
    if (rng_() % 2) u.output = Payload{"out-v" + std::to_string(rng_() % 100), false};
    if (rng_() % 3 == 0) u.user_id = "u" + std::to_string(rng_() % 4);
    if (rng_() % 4 == 0) u.session_name = "name" + std::to_string(rng_() % 5);
    if (rng_() % 2) u.end_ns = base.start_ns + static_cast<int64_t>(rng_() % 40) * kSec;
    u.status = static_cast<TraceStatus>(rng_() % 3);
    if (rng_() % 2) u.tags.push_back("tag" + std::to_string(rng_() % 4));
    if (rng_() % 2) u.metadata["k" + std::to_string(rng_() % 3)] = std::to_string(rng_() % 10);
    // Distinct span ids, some of them replacing stored spans.
    const int first = static_cast<int>(rng_() % 5);
    const int spans = static_cast<int>(rng_() % 3);
    for (int i = 0; i < spans; ++i) {
      u.spans.push_back(RandomSpan("sp" + std::to_string(first + i), base.start_ns));
    }
    return u;
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  std::mt19937_64 rng_;
  std::set<int64_t> used_;
  int next_id_ = 0;
};

int64_t SortValue(SessionOrder order, const SessionSummary& s) {
  switch (order) {
    case SessionOrder::kLastActivity:
      return s.last_trace_at_ns;
    case SessionOrder::kFirstActivity:
      return s.first_trace_at_ns;
    case SessionOrder::kCost:
      return s.cost_nano_usd;
    case SessionOrder::kTotalTokens:
      return s.total_tokens;
    case SessionOrder::kTraceCount:
      return s.trace_count;
    case SessionOrder::kDuration:
      return s.duration_ns;
    case SessionOrder::kErrorCount:
      return s.error_count;
  }
  return 0;
}

std::string AsciiLower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The filters as the model reads them, written from the summary's fields.
bool ModelMatches(const SessionSummary& s, const ListSessionsOptions& o) {
  if (!(s.first_trace_at_ns < o.to_ns && s.last_trace_at_ns >= o.from_ns)) return false;
  if (!o.user_id.empty() && s.user_id != o.user_id) return false;
  if (!o.search.empty() &&
      AsciiLower(s.session_id).find(AsciiLower(o.search)) == std::string::npos &&
      AsciiLower(s.session_name).find(AsciiLower(o.search)) == std::string::npos) {
    return false;
  }
  for (const std::string& t : o.tags) {
    if (s.tags.find(t) == s.tags.end()) return false;
  }
  if (!o.model.empty() && s.models.find(o.model) == s.models.end()) return false;
  if (o.errors_only && s.error_count == 0) return false;
  auto in = [](int64_t v, const Int64Range& r) { return r.min <= v && v <= r.max; };
  return in(s.cost_nano_usd, o.cost_nano_usd) && in(s.total_tokens, o.total_tokens) &&
         in(s.trace_count, o.trace_count) && in(s.duration_ns, o.duration_ns);
}

// Random filter combinations in every order: the pages together list
// exactly the model's matching sessions, each once, in order.
void CheckFilteredListingsAgainstModel(Store* store, const TraceModel& model,
                                       std::mt19937_64& rng) {
  const auto sessions = model.Sessions();
  std::vector<SessionSummary> all;
  for (const std::string& session : sessions) all.push_back(model.Summary(session));
  if (all.empty()) return;
  auto pick = [&]() -> const SessionSummary& { return all[rng() % all.size()]; };
  for (int k = 0; k < 60; ++k) {
    ListSessionsOptions o;
    o.order = static_cast<SessionOrder>(rng() % 7);
    o.descending = rng() % 2 == 0;
    o.limit = 1 + rng() % 4;
    static const char* const kSearch[] = {"S1", "name", "AME3", "s", "zz"};
    if (rng() % 3 == 0) o.search = kSearch[rng() % std::size(kSearch)];
    if (rng() % 3 == 0) o.tags.push_back("tag" + std::to_string(rng() % 4));
    if (rng() % 5 == 0) o.tags.push_back("tag" + std::to_string(rng() % 4));
    if (rng() % 3 == 0) o.model = "m" + std::to_string(rng() % 4);  // m3: never used.
    o.errors_only = rng() % 4 == 0;
    if (rng() % 3 == 0) o.cost_nano_usd.min = pick().cost_nano_usd;
    if (rng() % 4 == 0) o.total_tokens.max = pick().total_tokens;
    if (rng() % 4 == 0) o.trace_count = {1, pick().trace_count};
    if (rng() % 4 == 0) o.duration_ns.min = pick().duration_ns;
    if (rng() % 4 == 0) o.from_ns = pick().last_trace_at_ns;
    std::multiset<std::string> want, got;
    for (const SessionSummary& s : all) {
      if (ModelMatches(s, o)) want.insert(s.session_id);
    }
    std::vector<int64_t> keys;
    for (int pages = 0; pages < 200; ++pages) {
      SessionPage page;
      Status st = store->ListSessions(o, &page);
      ASSERT_TRUE(st.ok()) << st.ToString();
      for (const SessionSummary& s : page.sessions) {
        got.insert(s.session_id);
        keys.push_back(SortValue(o.order, s));
      }
      if (page.next_cursor.empty()) break;
      o.cursor = page.next_cursor;
    }
    const std::string what = "query " + std::to_string(k) + " search '" + o.search + "' model '" +
                             o.model + "' tags " + std::to_string(o.tags.size()) +
                             (o.errors_only ? " errors" : "");
    EXPECT_EQ(got, want) << what;
    if (o.descending) std::reverse(keys.begin(), keys.end());
    EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end())) << what;
  }
}

// Every order, direction, window and user filter: the pages together list
// exactly the model's matching sessions, each once, sorted by the key (ties
// are broken by an internal key the model does not know).
void CheckListingsAgainstModel(Store* store, const TraceModel& model) {
  const auto sessions = model.Sessions();
  std::vector<int64_t> times;
  std::set<std::string> users{""};
  for (const std::string& session : sessions) {
    const SessionSummary s = model.Summary(session);
    times.push_back(s.first_trace_at_ns);
    times.push_back(s.last_trace_at_ns);
    users.insert(s.user_id);
  }
  std::sort(times.begin(), times.end());
  std::vector<std::pair<int64_t, int64_t>> windows{{kMinTime, kMaxTime}};
  if (!times.empty()) {
    windows.emplace_back(times[times.size() / 3], times[times.size() * 2 / 3]);
    windows.emplace_back(times[times.size() / 2], kMaxTime);
    windows.emplace_back(kMinTime, times[times.size() / 4] + 1);
  }
  const SessionOrder orders[] = {SessionOrder::kLastActivity, SessionOrder::kFirstActivity,
                                 SessionOrder::kCost,         SessionOrder::kTotalTokens,
                                 SessionOrder::kTraceCount,   SessionOrder::kDuration,
                                 SessionOrder::kErrorCount};
  for (SessionOrder order : orders) {
    for (bool descending : {true, false}) {
      for (const auto& [from, to] : windows) {
        for (const std::string& user : users) {
          std::multiset<std::string> want;
          for (const std::string& session : sessions) {
            const SessionSummary s = model.Summary(session);
            if (s.first_trace_at_ns < to && s.last_trace_at_ns >= from &&
                (user.empty() || s.user_id == user)) {
              want.insert(session);
            }
          }
          ListSessionsOptions o;
          o.order = order;
          o.descending = descending;
          o.from_ns = from;
          o.to_ns = to;
          o.user_id = user;
          o.limit = 3;
          std::multiset<std::string> got;
          std::vector<int64_t> keys;
          for (int pages = 0; pages < 200; ++pages) {
            SessionPage page;
            Status st = store->ListSessions(o, &page);
            ASSERT_TRUE(st.ok()) << st.ToString();
            for (const SessionSummary& s : page.sessions) {
              got.insert(s.session_id);
              keys.push_back(SortValue(order, s));
              EXPECT_EQ(s, model.Summary(s.session_id));
            }
            if (page.next_cursor.empty()) break;
            o.cursor = page.next_cursor;
          }
          const std::string what = "order " + std::to_string(static_cast<int>(order)) +
                                   (descending ? " desc" : " asc") + " window [" +
                                   std::to_string(from) + ", " + std::to_string(to) + ") user '" +
                                   user + "'";
          EXPECT_EQ(got, want) << what;
          if (descending) std::reverse(keys.begin(), keys.end());
          EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end())) << what;
        }
      }
    }
  }
}

void CheckAgainstModel(Store* store, const TraceModel& model, std::mt19937_64& rng) {
  for (const auto& [id, want] : model.traces()) {
    Trace got;
    ASSERT_TRUE(store->GetTrace(id, &got).ok()) << id;
    EXPECT_EQ(got, want) << id;
  }
  const auto sessions = model.Sessions();
  for (const std::string& session : sessions) {
    SessionSummary got;
    Status s = store->GetSession(session, &got);
    ASSERT_TRUE(s.ok()) << session << ": " << s.ToString();
    EXPECT_EQ(got, model.Summary(session)) << session;
    std::vector<std::string> want_ids;
    for (const Trace* t : model.SessionTraces(session)) want_ids.push_back(t->trace_id);
    std::vector<std::string> got_ids;
    TimelineOptions o;
    o.limit = 7;
    do {
      TimelinePage page;
      ASSERT_TRUE(store->Timeline(session, o, &page).ok());
      for (const Trace& t : page.traces) got_ids.push_back(t.trace_id);
      o.cursor = page.next_cursor;
    } while (!o.cursor.empty());
    EXPECT_EQ(got_ids, want_ids) << session;
  }
  // Sessions newest activity first.
  std::vector<std::pair<int64_t, std::string>> order;
  for (const std::string& session : sessions) {
    order.emplace_back(model.Summary(session).last_trace_at_ns, session);
  }
  std::sort(order.rbegin(), order.rend());
  std::vector<std::string> want;
  for (const auto& p : order) want.push_back(p.second);
  std::vector<std::string> got;
  ListSessionsOptions lo;
  lo.limit = 4;
  for (int pages = 0; pages < 100; ++pages) {
    SessionPage page;
    ASSERT_TRUE(store->ListSessions(lo, &page).ok());
    for (const auto& s : page.sessions) {
      got.push_back(s.session_id);
      EXPECT_EQ(s, model.Summary(s.session_id));
    }
    if (page.next_cursor.empty()) break;
    lo.cursor = page.next_cursor;
  }
  EXPECT_EQ(got, want);
  CheckListingsAgainstModel(store, model);
  CheckFilteredListingsAgainstModel(store, model, rng);
  VerifyReport report;
  ASSERT_TRUE(store->Verify(&report).ok());
  for (const auto& m : report.mismatches) ADD_FAILURE() << m;
}

// One delete of a random kind on both the store and the model; the
// reported counts must match the model's.
void DeleteSomething(Store* store, TraceModel* model, Workload* w, int64_t* deleted) {
  DeleteResult got, want;
  const auto kind = w->rng()() % 3;
  if (kind == 0) {
    const std::string session = "s" + std::to_string(w->rng()() % 15);
    ASSERT_TRUE(store->DeleteSession(session, &got).ok());
    want = model->EraseSession(session);
  } else if (kind == 1) {
    const std::string user = "u" + std::to_string(w->rng()() % 4);
    ASSERT_TRUE(store->DeleteUser(user, &got).ok());
    want = model->EraseUser(user);
  } else {
    const int64_t before = kT0 + static_cast<int64_t>(w->rng()() % 200'000) * kSec;
    ASSERT_TRUE(store->DeleteTracesBefore(before, &got).ok());
    want = model->EraseBefore(before);
  }
  EXPECT_EQ(got.traces_deleted, want.traces_deleted) << "delete kind " << kind;
  EXPECT_EQ(got.sessions_deleted, want.sessions_deleted) << "delete kind " << kind;
  EXPECT_EQ(got.sessions_trimmed, want.sessions_trimmed) << "delete kind " << kind;
  *deleted += got.traces_deleted;
}

// Parametrized by the workload's seed and Options::index_hold_bytes (0:
// every round writes; 16 KiB: held rounds alternate with writes, each
// written in chunks of 2 KiB; the default), with background rounds every
// millisecond.
class StoreModelTest : public ::testing::TestWithParam<std::tuple<uint64_t, std::size_t>> {
 protected:
  static Options WithHold() {
    Options options;
    options.index_interval_ms = 1;
    options.index_hold_bytes = std::get<1>(GetParam());
    return options;
  }
  static InternalOptions Internal() {
    InternalOptions internal;
    if (std::get<1>(GetParam()) == (std::size_t{16} << 10)) {
      internal.TEST_index_write_chunk_bytes = 2048;
    }
    return internal;
  }
};

TEST_P(StoreModelTest, RandomWorkloadMatchesModel) {
  TempDir dir;
  auto store = OpenOrDie(dir.path(), WithHold(), Internal());
  TraceModel model;
  Workload w(std::get<0>(GetParam()));
  std::vector<Trace> sent;  // Every accepted version, for retries.
  int64_t deleted = 0;
  for (int round = 0; round < 150; ++round) {
    std::vector<Trace> batch;
    const int n = 1 + static_cast<int>(w.rng()() % 12);
    for (int i = 0; i < n; ++i) {
      const auto dice = w.rng()() % 10;
      if (sent.empty() || dice < 5) {
        batch.push_back(w.NewTrace());
      } else if (dice < 7) {
        batch.push_back(sent[w.rng()() % sent.size()]);  // Retry.
      } else if (dice < 9) {
        const Trace& base = sent[w.rng()() % sent.size()];
        const auto stored = model.traces().find(base.trace_id);  // Gone if deleted.
        batch.push_back(w.UpdateOf(stored != model.traces().end() ? stored->second : base));
      } else {
        Trace conflict = w.UpdateOf(sent[w.rng()() % sent.size()]);
        conflict.session_id = "other-session";
        batch.push_back(conflict);
      }
    }
    IngestResult r;
    ASSERT_TRUE(store->Ingest(batch, &r).ok());
    std::set<std::size_t> rejected;
    for (const auto& rt : r.rejected) rejected.insert(rt.index);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      // The model decides independently which versions must be rejected.
      TraceModel probe = model;
      const bool accept = probe.Apply(batch[i]);
      EXPECT_EQ(accept, rejected.count(i) == 0)
          << "round " << round << " trace " << batch[i].trace_id << ": "
          << (rejected.count(i) ? "store rejected" : "store accepted") << " " << [&] {
               for (const auto& rt : r.rejected) {
                 if (rt.index == i) return rt.reason.ToString();
               }
               return std::string();
             }();
      if (accept) {
        model = std::move(probe);
        sent.push_back(batch[i]);
      }
    }
    if (round % 10 == 9) DeleteSomething(store.get(), &model, &w, &deleted);
    if (round % 50 == 49) {
      store.reset();
      store = OpenOrDie(dir.path(), WithHold(), Internal());
    }
    if (round % 25 == 24) CheckAgainstModel(store.get(), model, w.rng());
  }
  CheckAgainstModel(store.get(), model, w.rng());
  EXPECT_GT(deleted, 0);  // The deletes were exercised, not only no-ops.
}

INSTANTIATE_TEST_SUITE_P(Seeds, StoreModelTest,
                         ::testing::Combine(::testing::Values(1, 2, 3, 4, 5),
                                            ::testing::Values(std::size_t{0},
                                                              std::size_t{16} << 10,
                                                              Options().index_hold_bytes)));

}  // namespace
}  // namespace sessionstore
