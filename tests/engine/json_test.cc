// Copyright sessionstore authors.

#include "sessionstore/json.h"

#include <gtest/gtest.h>

#include "engine/trace_versions.h"

namespace sessionstore {
namespace {

TEST(JsonTest, ParsesEveryField) {
  const char* line = R"({
    "trace_id": "t1", "session_id": "s1", "session_name": "Support chat", "user_id": "u1",
    "name": "chat", "start_time": "2024-05-01T12:00:00.5Z", "end_time": 1714564801000000000,
    "status": "ERROR", "error": "boom", "input": "hello", "output": {"role": "assistant", "n": [1, 2]},
    "metadata": {"env": "prod", "shard": 3}, "tags": ["b", "a"],
    "spans": [{"span_id": "s-1", "parent_span_id": "root", "name": "llm", "kind": "LLM",
               "start_time": "2024-05-01T14:00:00+02:00", "status": "ok", "model": "gpt-4o",
               "prompt_tokens": 10, "completion_tokens": 5, "cost_usd": 0.000123,
               "time_to_first_token_ms": 250.5, "input": [1], "output": "hi",
               "attributes": {"llm.provider": "openai"}}],
    "unknown_field": {"ignored": true}
  })";
  Trace t;
  Status s = ParseTraceJson(line, &t);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(t.trace_id, "t1");
  EXPECT_EQ(t.session_id, "s1");
  EXPECT_EQ(t.session_name, "Support chat");
  EXPECT_EQ(t.start_ns, 1714564800500000000);
  ASSERT_TRUE(t.end_ns.has_value());
  EXPECT_EQ(*t.end_ns, 1714564801000000000);
  EXPECT_EQ(t.status, TraceStatus::kError);
  EXPECT_EQ(t.input, (Payload{"hello", false}));
  EXPECT_EQ(t.output, (Payload{R"({"role":"assistant","n":[1,2]})", true}));
  EXPECT_EQ(t.metadata.at("env"), "\"prod\"");
  EXPECT_EQ(t.metadata.at("shard"), "3");
  EXPECT_EQ(t.tags, (std::vector<std::string>{"b", "a"}));
  ASSERT_EQ(t.spans.size(), 1u);
  const Span& sp = t.spans[0];
  EXPECT_EQ(sp.kind, SpanKind::kLlm);
  EXPECT_EQ(*sp.start_ns, 1714564800000000000);  // +02:00 offset applied.
  EXPECT_FALSE(sp.end_ns.has_value());
  EXPECT_EQ(sp.cost_nano_usd, 123000);
  EXPECT_EQ(*sp.ttft_ns, 250500000);
  EXPECT_EQ(sp.input, (Payload{"[1]", true}));
  EXPECT_EQ(sp.attributes.at("llm.provider"), "\"openai\"");
}

TEST(JsonTest, ErrorsNameTheField) {
  struct Case {
    const char* json;
    const char* expect;
  };
  const Case cases[] = {
      {R"({"start_time": 1})", "trace_id: required"},
      {R"({"trace_id": "t"})", "start_time: required"},
      {R"({"trace_id": 5, "start_time": 1})", "trace_id: expected a string, got number"},
      {R"({"trace_id": "t", "start_time": "yesterday"})", "start_time: not an RFC 3339 time"},
      {R"({"trace_id": "t", "start_time": 1, "status": "meh"})", "status: expected \"ok\""},
      {R"({"trace_id": "t", "start_time": 1, "spans": [{"span_id": "a", "kind": "robot"}]})",
       "spans[0].kind: unknown span kind \"robot\""},
      {R"({"trace_id": "t", "start_time": 1, "spans": [{"name": "x"}]})",
       "spans[0].span_id: required"},
      {R"({"trace_id": "t", "start_time": 1, "spans": [{"span_id": "a", "prompt_tokens": 1.5}]})",
       "spans[0].prompt_tokens: expected an integer"},
      {R"({"trace_id": "t", "start_time": 1, "tags": ["a", 3]})", "tags[1]: expected a string"},
      {R"({"trace_id": "t", "start_time": 1, "metadata": [1]})", "metadata: expected an object"},
      {R"({"trace_id": "t", "start_time": 1, "cost_usd": -1})", "cost_usd: negative"},
      {R"({"trace_id": "t", "start_time": 1)", "not valid JSON"},
      {R"([1, 2])", "expected a JSON object, got array"},
  };
  for (const Case& c : cases) {
    Trace t;
    Status s = ParseTraceJson(c.json, &t);
    EXPECT_TRUE(s.IsInvalidArgument()) << c.json;
    EXPECT_NE(s.message().find(c.expect), std::string::npos)
        << "input: " << c.json << "\nmessage: " << s.message();
  }
}

// Regressions: a year past 2262 was "not an RFC 3339 time" while 1900 got
// the range message, and 2^63 tokens was "expected an integer".
TEST(JsonTest, OutOfRangeValuesGetTheRangeMessage) {
  Trace t;
  Status s = ParseTraceJson(R"({"trace_id": "t", "start_time": "3000-01-01T00:00:00Z"})", &t);
  EXPECT_NE(s.message().find("start_time: outside 1970-01-01 to 2262-04-11"), std::string::npos)
      << s.message();
  s = ParseTraceJson(R"({"trace_id": "t", "start_time": "abcd-01-01T00:00:00Z"})", &t);
  EXPECT_NE(s.message().find("start_time: not an RFC 3339 time"), std::string::npos);
  ASSERT_TRUE(
      ParseTraceJson(R"({"trace_id": "t", "start_time": "1900-01-01T00:00:00Z"})", &t).ok());
  EXPECT_NE(ValidateTrace(t).message().find("start_time: outside"), std::string::npos);
  for (const char* big : {"9223372036854775808", "18446744073709551615", "1e19"}) {
    const std::string json = std::string(R"({"trace_id": "t", "start_time": 1, "spans": [)") +
                             R"({"span_id": "a", "kind": "llm", "prompt_tokens": )" + big + "}]}";
    ASSERT_TRUE(ParseTraceJson(json, &t).ok()) << big;
    EXPECT_NE(ValidateTrace(t).message().find("spans[0].prompt_tokens: larger"), std::string::npos)
        << big << ": " << ValidateTrace(t).message();
  }
}

TEST(JsonTest, NullMeansAbsent) {
  Trace t;
  ASSERT_TRUE(
      ParseTraceJson(R"({"trace_id":"t","start_time":1,"session_id":null,"output":null})", &t)
          .ok());
  EXPECT_TRUE(t.session_id.empty());
  EXPECT_TRUE(t.output.empty());
}

TEST(JsonTest, TraceRoundTrip) {
  Trace t;
  t.trace_id = "t\"1\n";
  t.session_id = "s";
  t.start_ns = -5;
  t.end_ns = 10;
  t.status = TraceStatus::kOk;
  t.input = Payload{"multi\nline \xc3\xa9", false};
  t.output = Payload{R"({"a":[true,null]})", true};
  t.metadata["k"] = "{\"x\":1}";
  t.tags = {"x", "y"};
  Span s;
  s.span_id = "sp";
  s.kind = SpanKind::kEmbedding;
  s.start_ns = 1;
  s.cost_nano_usd = 1'234'567'891;
  s.ttft_ns = 1'500'000;
  s.status = TraceStatus::kError;
  s.error = "bad";
  s.attributes["a"] = "[1,2]";
  t.spans.push_back(s);
  std::string json;
  AppendTraceJson(t, &json);
  Trace back;
  Status st = ParseTraceJson(json, &back);
  ASSERT_TRUE(st.ok()) << st.ToString() << "\n" << json;
  EXPECT_EQ(back, t) << json;
}

// Regression (review): ids with invalid UTF-8 (possible through the C++ API)
// made the JSON output invalid.
TEST(JsonTest, OutputIsValidJsonForInvalidUtf8) {
  Trace t;
  t.trace_id = std::string("bad\xff\xc3(", 6);
  t.start_ns = 1;
  t.input = Payload{"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", false};
  std::string json;
  AppendTraceJson(t, &json);
  Trace back;
  Status s = ParseTraceJson(json, &back);
  ASSERT_TRUE(s.ok()) << s.ToString() << " " << json;
  EXPECT_EQ(back.trace_id, "bad\xef\xbf\xbd\xef\xbf\xbd(");
  EXPECT_EQ(back.input, t.input);  // Valid multi-byte text passes unchanged.
}

}  // namespace
}  // namespace sessionstore
