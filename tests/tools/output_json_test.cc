// Copyright sessionstore authors.

#include "tools/output_json.h"

#include <gtest/gtest.h>

#include <string>

namespace sessionstore {
namespace {

TEST(OutputJsonTest, SessionJsonHasTheDocumentedFields) {
  SessionSummary s;
  s.session_id = "s";
  s.cost_nano_usd = 1'500'000'000;
  s.models["m"] = ModelUsage{1, 2, 3, 4};
  std::string out;
  AppendSessionJson(s, &out);
  for (const char* field : {"session_id", "session_name", "user_id", "trace_count", "error_count",
                            "span_count", "prompt_tokens", "completion_tokens", "total_tokens",
                            "cost_usd", "first_trace_at", "last_trace_at", "duration_ms", "models",
                            "tags", "ttft_ms_avg", "first_input", "last_output"}) {
    EXPECT_NE(out.find("\"" + std::string(field) + "\":"), std::string::npos) << field;
  }
  EXPECT_NE(out.find("\"cost_usd\":1.5"), std::string::npos) << out;
}

TEST(OutputJsonTest, AnalyticsJsonPrintsUnitsAsTheSessionJson) {
  AnalyticsReport r;
  SessionStats& s = r.overall;
  s.session_count = 3;
  s.error_sessions = 1;
  s.goal_sessions = 2;
  s.error_session_rate = 1.0 / 3;
  s.completion_rate = 2.0 / 3;
  s.traces = {2.5, 2, 4, 4, 1, 4};
  s.duration_ns = {1'500'000.4, 1'000'000, 2'000'000, 2'500'000, 0, 2'500'000};
  s.cost_nano_usd = {1'500'000'000.6, 1'000'000'000, 2'000'000'000, 3'000'000'000, 7,
                     3'000'000'000};
  s.total_tokens = {10, 10, 10, 10, 10, 10};
  r.buckets.emplace_back(0, SessionStats());
  std::string out;
  AppendAnalyticsJson(r, &out);
  const std::string zero_stats =
      R"("session_count":0,"error_sessions":0,"goal_sessions":0,"error_session_rate":0.000000,)"
      R"("completion_rate":0.000000,"traces":{"mean":0.000000,"p50":0,"p90":0,"p99":0,"min":0,)"
      R"("max":0},"duration_ms":{"mean":0.000000,"p50":0.000000,"p90":0.000000,"p99":0.000000,)"
      R"("min":0.000000,"max":0.000000},"cost_usd":{"mean":0,"p50":0,"p90":0,"p99":0,"min":0,)"
      R"("max":0},"total_tokens":{"mean":0.000000,"p50":0,"p90":0,"p99":0,"min":0,"max":0})";
  EXPECT_EQ(
      out,
      R"({"session_count":3,"error_sessions":1,"goal_sessions":2,"error_session_rate":0.333333,)"
      R"("completion_rate":0.666667,"traces":{"mean":2.500000,"p50":2,"p90":4,"p99":4,"min":1,)"
      R"("max":4},"duration_ms":{"mean":1.500000,"p50":1.000000,"p90":2.000000,"p99":2.500000,)"
      R"("min":0.000000,"max":2.500000},"cost_usd":{"mean":1.500000001,"p50":1,"p90":2,"p99":3,)"
      R"("min":0.000000007,"max":3},"total_tokens":{"mean":10.000000,"p50":10,"p90":10,"p99":10,)"
      R"("min":10,"max":10},"buckets":[{"start":"1970-01-01T00:00:00Z",)" +
          zero_stats + "}]}");
}

}  // namespace
}  // namespace sessionstore
