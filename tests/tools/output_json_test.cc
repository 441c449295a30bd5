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

}  // namespace
}  // namespace sessionstore
