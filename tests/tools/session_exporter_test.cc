// Copyright sessionstore authors.

#include "tools/session_exporter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sessionstore/json.h"
#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::kSec;
using testing::kT0;
using testing::TempDir;

// Every line of `text` (each ends with a newline).
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Every trace of the session, in start order.
std::vector<Trace> TimelineOf(Store* store, const std::string& session) {
  std::vector<Trace> all;
  TimelineOptions opts;
  TimelinePage page;
  do {
    EXPECT_TRUE(store->Timeline(session, opts, &page).ok());
    all.insert(all.end(), page.traces.begin(), page.traces.end());
    opts.cursor = page.next_cursor;
  } while (!opts.cursor.empty());
  return all;
}

// A trace that uses every field of the ingest format.
Trace Rich(const std::string& id, const std::string& session, int64_t start) {
  Trace t = testing::Turn(id, session, start, "question " + id, "answer " + id);
  t.session_name = "name of " + session;
  t.user_id = session == "alice-1" || session == "alice-2" ? "alice" : "bob";
  t.name = "turn";
  t.status = TraceStatus::kOk;
  t.output = Payload{R"({"answer":[1,2.5,"x"],"ok":true})", true};
  t.metadata["env"] = R"("prod")";
  t.tags = {"b", "a"};
  Span tool;
  tool.span_id = id + "-tool";
  tool.parent_span_id = id + "-llm";
  tool.kind = SpanKind::kTool;
  tool.name = "search";
  tool.start_ns = start + kSec / 2;
  tool.end_ns = start + kSec;
  tool.status = TraceStatus::kError;
  tool.error = "timeout";
  tool.input = Payload{"[\"q\"]", true};
  tool.attributes["retries"] = "3";
  t.spans[0].ttft_ns = 123'456'789;
  t.spans.push_back(tool);
  return t;
}

class SessionExporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::OpenOrDie(dir_.path() + "/src");
    std::vector<Trace> traces;
    // alice-1: before the window, except its last trace, inside it.
    for (int i = 0; i < 7; ++i) traces.push_back(Rich("a1-" + std::to_string(i), "alice-1", At(i)));
    traces.push_back(Rich("a1-late", "alice-1", At(100)));
    // alice-2 and bob-1 inside the window; bob-2 before it, bob-3 after it.
    for (int i = 0; i < 4; ++i)
      traces.push_back(Rich("a2-" + std::to_string(i), "alice-2", At(101 + i)));
    for (int i = 0; i < 5; ++i)
      traces.push_back(Rich("b1-" + std::to_string(i), "bob-1", At(110 + i)));
    traces.push_back(Rich("b2-0", "bob-2", At(10)));
    traces.push_back(Rich("b3-0", "bob-3", At(300)));
    traces.push_back(Rich("lone", "", At(105)));  // No session: never exported.
    testing::IngestOrDie(store_.get(), traces);
  }

  static int64_t At(int minute) { return kT0 + minute * 60 * kSec; }

  // The window of minutes [100, 200).
  static ExportWindowSpec Window(const std::string& user = "") {
    ExportWindowSpec w;
    w.from_ns = At(100);
    w.to_ns = At(200);
    w.user_id = user;
    return w;
  }

  // Small pages, so that every export crosses page boundaries.
  static ExportOptions SmallPages() {
    ExportOptions o;
    o.sessions_per_page = 2;
    o.traces_per_page = 3;
    return o;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(SessionExporterTest, WindowExportIngestsBackToTheSameSessions) {
  std::ostringstream out;
  SessionExporter exporter(store_.get(), &out, SmallPages());
  ASSERT_TRUE(exporter.ExportWindow(Window()).ok());
  const std::vector<std::string> lines = Lines(out.str());
  EXPECT_EQ(exporter.counts().sessions, 3u);
  EXPECT_EQ(exporter.counts().traces, 17u);  // alice-1 whole (8), alice-2 (4), bob-1 (5).
  EXPECT_EQ(exporter.counts().bytes, out.str().size());
  ASSERT_EQ(lines.size(), 17u);

  std::vector<Trace> parsed(lines.size());
  std::set<std::string> sessions;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    ASSERT_TRUE(ParseTraceJson(lines[i], &parsed[i]).ok()) << lines[i];
    sessions.insert(parsed[i].session_id);
  }
  EXPECT_EQ(sessions, (std::set<std::string>{"alice-1", "alice-2", "bob-1"}));
  std::unique_ptr<Store> copy = testing::OpenOrDie(dir_.path() + "/copy");
  const IngestResult r = testing::IngestOrDie(copy.get(), parsed);
  EXPECT_TRUE(r.rejected.empty());
  EXPECT_EQ(r.inserted, 17u);
  for (const std::string& id : sessions) {
    EXPECT_EQ(testing::GetSessionOrDie(copy.get(), id), testing::GetSessionOrDie(store_.get(), id))
        << id;
    EXPECT_EQ(TimelineOf(copy.get(), id), TimelineOf(store_.get(), id)) << id;
    std::string want, got;
    ASSERT_TRUE(AppendSessionDetailJson(store_.get(), id, &want).ok());
    ASSERT_TRUE(AppendSessionDetailJson(copy.get(), id, &got).ok());
    EXPECT_EQ(got, want);
  }
}

TEST_F(SessionExporterTest, WindowExportGoesSessionAfterSessionInStartOrder) {
  std::ostringstream out;
  SessionExporter exporter(store_.get(), &out, SmallPages());
  ASSERT_TRUE(exporter.ExportWindow(Window()).ok());
  std::vector<std::string> order;  // Sessions in the order they appear.
  std::vector<Trace> traces;
  for (const std::string& line : Lines(out.str())) {
    Trace t;
    ASSERT_TRUE(ParseTraceJson(line, &t).ok());
    if (order.empty() || order.back() != t.session_id) order.push_back(t.session_id);
    traces.push_back(t);
  }
  // Each session once, oldest last activity first.
  EXPECT_EQ(order, (std::vector<std::string>{"alice-1", "alice-2", "bob-1"}));
  for (std::size_t i = 1; i < traces.size(); ++i) {
    if (traces[i].session_id == traces[i - 1].session_id) {
      EXPECT_LT(traces[i - 1].start_ns, traces[i].start_ns);
    }
  }
}

TEST_F(SessionExporterTest, WindowExportWithAUserKeepsOnlyTheirSessions) {
  std::ostringstream out;
  SessionExporter exporter(store_.get(), &out, SmallPages());
  ASSERT_TRUE(exporter.ExportWindow(Window("bob")).ok());
  EXPECT_EQ(exporter.counts().sessions, 1u);
  EXPECT_EQ(exporter.counts().traces, 5u);
  for (const std::string& line : Lines(out.str())) {
    Trace t;
    ASSERT_TRUE(ParseTraceJson(line, &t).ok());
    EXPECT_EQ(t.session_id, "bob-1");
  }
}

TEST_F(SessionExporterTest, EmptyWindowWritesNothingAndABackwardWindowIsRejected) {
  std::ostringstream out;
  SessionExporter exporter(store_.get(), &out);
  ExportWindowSpec w;
  w.from_ns = At(1000);
  w.to_ns = At(2000);
  ASSERT_TRUE(exporter.ExportWindow(w).ok());
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(exporter.counts().sessions, 0u);
  w.to_ns = w.from_ns;
  EXPECT_TRUE(exporter.ExportWindow(w).IsInvalidArgument());
  EXPECT_EQ(out.str(), "");
}

// Memory is bounded by the pages: progress comes after every page, and no
// page adds more traces than traces_per_page.
TEST_F(SessionExporterTest, ProgressAfterEveryPageOfAtMostTracesPerPage) {
  ExportOptions options = SmallPages();
  std::vector<std::size_t> seen;
  options.on_progress = [&seen](const ExportCounts& c) { seen.push_back(c.traces); };
  std::ostringstream out;
  SessionExporter exporter(store_.get(), &out, options);
  ASSERT_TRUE(exporter.ExportWindow(Window()).ok());
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), 17u);
  std::size_t before = 0;
  for (std::size_t n : seen) {
    EXPECT_LE(n - before, 3u);
    before = n;
  }
  EXPECT_GE(seen.size(), 17u / 3);  // alice-1: 3 pages, alice-2: 2, bob-1: 2.
}

TEST_F(SessionExporterTest, SessionDocumentHoldsTheSessionJsonAndEveryTraceInOrder) {
  std::ostringstream out;
  SessionExporter exporter(store_.get(), &out, SmallPages());
  ASSERT_TRUE(exporter.ExportSession("alice-1").ok());
  std::string session_json;
  ASSERT_TRUE(AppendSessionDetailJson(store_.get(), "alice-1", &session_json).ok());
  std::vector<std::string> lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 10u);  // Head, 8 traces, tail.
  EXPECT_EQ(lines.front(), "{\"session\":" + session_json + ",\"traces\":[");
  EXPECT_EQ(lines.back(), "]}");
  const std::vector<Trace> want = TimelineOf(store_.get(), "alice-1");
  for (std::size_t i = 0; i < want.size(); ++i) {
    std::string line = lines[i + 1];
    if (i + 1 < want.size()) {
      ASSERT_EQ(line.back(), ',');
      line.pop_back();
    }
    Trace t;
    ASSERT_TRUE(ParseTraceJson(line, &t).ok()) << line;
    EXPECT_EQ(t, want[i]);
  }
  EXPECT_EQ(exporter.counts().sessions, 1u);
  EXPECT_EQ(exporter.counts().traces, 8u);
}

TEST_F(SessionExporterTest, UnknownSessionIsNotFoundAndWritesNothing) {
  std::ostringstream out;
  SessionExporter exporter(store_.get(), &out);
  EXPECT_TRUE(exporter.ExportSession("nobody").IsNotFound());
  EXPECT_EQ(out.str(), "");
}

TEST_F(SessionExporterTest, AFailingOutputIsAnIOError) {
  std::ostream broken(nullptr);  // No buffer: every write sets badbit.
  SessionExporter exporter(store_.get(), &broken);
  EXPECT_TRUE(exporter.ExportWindow(Window()).IsIOError());
  SessionExporter again(store_.get(), &broken);
  EXPECT_TRUE(again.ExportSession("bob-1").IsIOError());
}

}  // namespace
}  // namespace sessionstore
