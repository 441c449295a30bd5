// Copyright sessionstore authors.
//
// QueryApi without HTTP: GET /v1/search, the filters of GET /v1/sessions
// and the session detail of GET /v1/sessions/{id} answer exactly as the
// CLI's `search --json`, `sessions --json` and `session --json`, and bad
// arguments get a 400 naming the parameter.

#include "tools/server/query_api.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/engine/test_util.h"
#include "tools/output_json.h"
#include "tools/session_detail.h"

namespace sessionstore {
namespace {

using testing::kSec;
using testing::kT0;
using testing::OpenOrDie;
using testing::TempDir;
using testing::Turn;

class QueryApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrDie(dir_.path());
    // Session a: three turns, an idle gap of 10 minutes before the third.
    testing::IngestOrDie(store_.get(),
                         {Turn("a1", "a", kT0, "Where is my Refund?", "It was sent."),
                          Turn("a2", "a", kT0 + 10 * kSec, "thanks", "You are welcome."),
                          Turn("a3", "a", kT0 + 610 * kSec, "another refund question", "Ask away."),
                          Turn("b1", "b", kT0 + 5 * kSec, "refund for user b", "Done."),
                          Turn("b2", "b", kT0 + 20 * kSec, "nothing to see", "Bye.")});
  }

  // The JSON `search --json` prints for these options.
  std::string CliSearchJson(const std::string& text, SearchOptions opts) {
    SearchPage page;
    EXPECT_TRUE(store_->Search(text, opts, &page).ok());
    std::string out;
    AppendSearchPageJson(page, &out);
    return out;
  }

  HttpReply Get(const std::string& target, int want_status) {
    const HttpReply r = QueryApi(store_.get()).Get(target);
    EXPECT_EQ(r.status, want_status) << target << " -> " << r.body;
    return r;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(QueryApiTest, SearchAnswersAsTheCliWithFiltersAndPages) {
  SearchOptions opts;
  opts.limit = 20;
  const std::string all = Get("/v1/search?q=REFUND", 200).body;
  EXPECT_EQ(all, CliSearchJson("REFUND", opts));
  EXPECT_NE(all.find("\"trace_id\":\"a3\""), std::string::npos) << all;
  EXPECT_NE(all.find("\"trace_id\":\"b1\""), std::string::npos) << all;

  // '+' and %20 are spaces in a query value.
  opts.session_id = "a";
  EXPECT_EQ(Get("/v1/search?q=refund+question&session=a", 200).body,
            CliSearchJson("refund question", opts));
  EXPECT_EQ(Get("/v1/search?q=refund%20question&session=a", 200).body,
            CliSearchJson("refund question", opts));

  // A window, a user filter and pages through the cursor.
  opts = SearchOptions();
  opts.from_ns = kT0 + 1;
  opts.to_ns = kT0 + 700 * kSec;
  opts.limit = 1;
  const std::string window =
      "&from=" + std::to_string(kT0 + 1) + "&to=" + std::to_string(kT0 + 700 * kSec) + "&limit=1";
  SearchPage first;
  ASSERT_TRUE(store_->Search("refund", opts, &first).ok());
  ASSERT_EQ(first.hits.size(), 1u);
  ASSERT_FALSE(first.next_cursor.empty());
  EXPECT_EQ(Get("/v1/search?q=refund" + window, 200).body, CliSearchJson("refund", opts));
  opts.cursor = first.next_cursor;
  EXPECT_EQ(Get("/v1/search?q=refund" + window + "&cursor=" + first.next_cursor, 200).body,
            CliSearchJson("refund", opts));
  EXPECT_EQ(Get("/v1/search?q=refund&user=nobody", 200).body, R"({"traces":[],"next_cursor":""})");
}

TEST_F(QueryApiTest, SearchErrorsNameTheParameter) {
  struct Case {
    const char* target;
    const char* names;
  };
  for (const Case& c :
       {Case{"/v1/search", "q:"}, Case{"/v1/search?q=", "q:"},
        Case{"/v1/search?q=x&limit=0", "limit"}, Case{"/v1/search?q=x&limit=abc", "limit"},
        Case{"/v1/search?q=x&from=yesterday", "from"}, Case{"/v1/search?q=x&to=soon", "to"},
        Case{"/v1/search?q=x&cursor=zz", "cursor"}, Case{"/v1/search?q=%zz", "percent-escape"}}) {
    const HttpReply r = Get(c.target, 400);
    EXPECT_EQ(r.body.rfind("{\"error\":\"", 0), 0u) << r.body;
    EXPECT_NE(r.body.find(c.names), std::string::npos) << c.target << " -> " << r.body;
  }
  Get("/v1/search/x", 404);
}

TEST_F(QueryApiTest, SessionHasTheDetailOfSessionJson) {
  SessionSummary summary;
  ASSERT_TRUE(store_->GetSession("a", &summary).ok());
  SessionDetail detail;
  ASSERT_TRUE(ComputeSessionDetail(store_.get(), "a", &detail).ok());
  std::string want;
  AppendSessionJson(summary, &want, &detail);
  const std::string got = Get("/v1/sessions/a", 200).body;
  EXPECT_EQ(got, want);
  // Every turn lasts 2 s; the longest idle gap is the 598 s before a3.
  EXPECT_NE(got.find("\"latency_ms_p50\":2000.000000"), std::string::npos) << got;
  EXPECT_NE(got.find("\"latency_ms_p99\":2000.000000"), std::string::npos) << got;
  EXPECT_NE(got.find("\"idle_ms\":598000.000000"), std::string::npos) << got;
  EXPECT_NE(got.find("\"before_trace_id\":\"a3\""), std::string::npos) << got;
  Get("/v1/sessions/none", 404);
}

// The session ids of a /v1/sessions answer, in order.
std::string Ids(const std::string& body) {
  std::string out;
  for (std::size_t at = body.find("\"session_id\":\""); at != std::string::npos;
       at = body.find("\"session_id\":\"", at + 1)) {
    const std::size_t start = at + 14;
    out += (out.empty() ? "" : " ") + body.substr(start, body.find('"', start) - start);
  }
  return out;
}

TEST_F(QueryApiTest, SessionFiltersAnswerAsTheApi) {
  ListSessionsOptions o;
  o.search = "A";
  SessionPage page;
  ASSERT_TRUE(store_->ListSessions(o, &page).ok());
  std::string want;
  AppendSessionPageJson(page.sessions, page.next_cursor, &want);
  EXPECT_EQ(Get("/v1/sessions?search=A&limit=50", 200).body, want);
  EXPECT_EQ(Ids(Get("/v1/sessions?min-traces=3", 200).body), "a");
  EXPECT_EQ(Ids(Get("/v1/sessions?max-duration=5m", 200).body), "b");
  EXPECT_EQ(Ids(Get("/v1/sessions?order=traces&asc=1", 200).body), "b a");
  EXPECT_EQ(Ids(Get("/v1/sessions?tag=x&tag=y", 200).body), "");
  EXPECT_EQ(Ids(Get("/v1/sessions?errors=1", 200).body), "");
  EXPECT_EQ(Ids(Get("/v1/sessions?order=errors", 200).body).size(), 3u);
  for (const char* bad : {"/v1/sessions?min-cost=x", "/v1/sessions?max-duration=-1",
                          "/v1/sessions?min-traces=3&max-traces=2"}) {
    Get(bad, 400);
  }
  EXPECT_NE(Get("/v1/sessions?min-cost=x", 400).body.find("min-cost: expected"),
            std::string::npos);
}

// The JSON `analytics --json` prints for these options.
std::string CliAnalyticsJson(Store* store, const AnalyticsOptions& o) {
  AnalyticsReport report;
  EXPECT_TRUE(store->Analytics(o, &report).ok());
  std::string out;
  AppendAnalyticsJson(report, &out);
  return out;
}

TEST_F(QueryApiTest, AnalyticsAnswersAsTheCli) {
  Trace c = Turn("c1", "c", kT0 + 2 * 86400 * kSec, "buy", "bought");
  c.user_id = "u9";
  c.tags = {"conversion", "vip"};
  Trace d = Turn("d1", "d", kT0 + 3 * 86400 * kSec, "look", "looked");
  d.tags = {"vip"};
  d.status = TraceStatus::kError;
  testing::IngestOrDie(store_.get(), {c, d});
  AnalyticsOptions o;
  EXPECT_EQ(Get("/v1/analytics", 200).body, CliAnalyticsJson(store_.get(), o));
  const std::string all = Get("/v1/analytics", 200).body;
  EXPECT_EQ(all.rfind("{\"session_count\":4,\"error_sessions\":1,\"goal_sessions\":1,"
                      "\"error_session_rate\":0.250000,\"completion_rate\":0.250000,",
                      0),
            0u)
      << all;
  o.bucket_ns = 86400 * kSec;
  o.tags = {"vip"};
  o.goal_tag = "vip";
  EXPECT_EQ(Get("/v1/analytics?by=day&tag=vip&goal-tag=vip", 200).body,
            CliAnalyticsJson(store_.get(), o));
  o = AnalyticsOptions();
  o.from_ns = kT0 + 86400 * kSec;
  o.user_id = "u9";
  o.bucket_ns = 3600 * kSec;
  o.tags = {"vip", "conversion"};
  const std::string from = std::to_string(o.from_ns);
  const std::string got =
      Get("/v1/analytics?from=" + from + "&user=u9&by=hour&tag=vip&tag=conversion", 200).body;
  EXPECT_EQ(got, CliAnalyticsJson(store_.get(), o));
  EXPECT_NE(got.find("\"buckets\":[{\"start\":"), std::string::npos) << got;
  EXPECT_NE(got.find("\"session_count\":1,"), std::string::npos) << got;
  EXPECT_NE(Get("/v1/analytics?by=week", 400).body.find("by: expected day or hour"),
            std::string::npos);
  EXPECT_NE(Get("/v1/analytics?to=soon", 400).body.find("to:"), std::string::npos);
  Get("/v1/analytics/x", 404);
}

}  // namespace
}  // namespace sessionstore
