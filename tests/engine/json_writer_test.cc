// Copyright sessionstore authors.

#include "sessionstore/json_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "sessionstore/json.h"
#include "sessionstore/store.h"

namespace sessionstore {
namespace {

std::string JsonString(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

TEST(JsonWriterTest, StringEscapes) {
  EXPECT_EQ(JsonString("plain"), "\"plain\"");
  EXPECT_EQ(JsonString("q\"b\\n\nr\rt\t"), R"("q\"b\\n\nr\rt\t")");
  EXPECT_EQ(JsonString(std::string("\x01\x1f\x00", 3)), R"("\u0001\u001f\u0000")");
}

TEST(JsonWriterTest, StringReplacesInvalidUtf8) {
  // Valid two-, three- and four-byte sequences pass unchanged.
  EXPECT_EQ(JsonString("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  // A stray byte, a truncated sequence, an overlong form and a surrogate:
  // each byte that starts no valid sequence becomes U+FFFD.
  EXPECT_EQ(JsonString("a\xffz"), "\"a\xef\xbf\xbdz\"");
  EXPECT_EQ(JsonString("\xc3("), "\"\xef\xbf\xbd(\"");
  EXPECT_EQ(JsonString("\xe0\x80\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
  EXPECT_EQ(JsonString("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
}

TEST(JsonWriterTest, ObjectMembersInOrder) {
  std::string out = "[";
  {
    JsonObjectWriter w(&out);
    w.String("s", "x");
    w.Int("i", -3);
    w.Raw("r", "[1,null]");
    w.Usd("zero", 0);
    w.Usd("usd", 1'500'000'000);
    w.Usd("nano", 123'000);
    w.Payload("text", Payload{"{not json", false});
    w.Payload("json", Payload{R"({"a":1})", true});
    JsonObjectWriter nested(w.Key("o"));
  }
  out += "]";
  EXPECT_EQ(out, R"([{"s":"x","i":-3,"r":[1,null],"zero":0,"usd":1.5,"nano":0.000123,)"
                 R"("text":"{not json","json":{"a":1},"o":{}}])");
}

// Round trip through the ingest format (AppendTraceJson, then
// ParseTraceJson): what `sessionstore export` relies on to give back the
// same store.
Trace RoundTrip(const Trace& t) {
  std::string json;
  AppendTraceJson(t, &json);
  Trace back;
  const Status s = ParseTraceJson(json, &back);
  EXPECT_TRUE(s.ok()) << s.ToString() << "\n" << json;
  return back;
}

// Every field of a trace and of a span set to a value other than its
// default, so that a field the printer forgets fails the comparison.
TEST(JsonWriterTest, TraceRoundTripsEveryField) {
  Trace t;
  t.trace_id = "trace-1";
  t.session_id = "session-1";
  t.session_name = "Session \"one\"";
  t.user_id = "user-1";
  t.name = "chat-turn";
  t.start_ns = 1'767'225'600'123'456'789;
  t.end_ns = t.start_ns + 2'500'000'001;
  t.status = TraceStatus::kError;
  t.error = "tool failed";
  t.input = Payload{"{\"not\": json} \xe2\x82\xac", false};  // Text that looks like JSON.
  // JSON payloads as the parser keeps them (simdjson's compact form: -3e-07).
  t.output = Payload{R"({"a":[1,2.5,-3e-07,true,false,null,"s"],"b":{}})", true};
  t.metadata = {{"env", R"("prod")"}, {"n", "42"}, {"nested", R"({"x":[null]})"}, {"z", "null"}};
  t.tags = {"a", "b c", "\xc3\xa9"};
  t.model = "gpt-4o";
  t.prompt_tokens = kMaxTokens;
  t.completion_tokens = 7;
  t.cost_nano_usd = kMaxCostNanoUsd;
  Span s;
  s.span_id = "span-1";
  s.parent_span_id = "span-0";
  s.name = "ChatCompletion";
  s.kind = SpanKind::kReranker;
  s.start_ns = t.start_ns + 1;
  s.end_ns = t.start_ns + 3;
  s.status = TraceStatus::kOk;
  s.error = "retried";
  s.model = "claude";
  s.prompt_tokens = 11;
  s.completion_tokens = kMaxTokens;
  s.cost_nano_usd = 1;
  s.ttft_ns = kMaxTtftNs - 1;
  s.input = Payload{"42", true};
  s.output = Payload{"plain\ttext\n", false};
  s.attributes = {{"k", "[1,\"two\"]"}, {"flag", "true"}};
  Span bare;  // Only the required id: every optional field absent.
  bare.span_id = "span-2";
  t.spans = {s, bare};
  EXPECT_EQ(RoundTrip(t), t);

  // Every status and kind, and the unset ones.
  for (TraceStatus status : {TraceStatus::kUnset, TraceStatus::kOk, TraceStatus::kError}) {
    for (int kind = 0; kind <= static_cast<int>(SpanKind::kGuardrail); ++kind) {
      t.status = status;
      t.spans[1].status = status;
      t.spans[1].kind = static_cast<SpanKind>(kind);
      EXPECT_EQ(RoundTrip(t), t) << kind;
    }
  }
}

// Costs are printed as decimal USD and times to first token as decimal
// milliseconds: both must come back to the nanosecond over their whole range.
TEST(JsonWriterTest, CostAndTimeToFirstTokenRoundTripExactly) {
  std::mt19937_64 rng(7);
  std::vector<int64_t> costs = {
      0, 1, 9, 999'999'999, 1'000'000'001, kMaxCostNanoUsd - 1, kMaxCostNanoUsd};
  std::vector<int64_t> ttfts = {0, 1, 999, 1'000'001, kMaxTtftNs - 1, kMaxTtftNs};
  for (int i = 0; i < 20000; ++i) {
    costs.push_back(static_cast<int64_t>(rng() % (kMaxCostNanoUsd + 1)));
    ttfts.push_back(static_cast<int64_t>(rng() % (kMaxTtftNs + 1)));
  }
  Trace t;
  t.trace_id = "t";
  t.start_ns = 1;
  t.spans.resize(1);
  t.spans[0].span_id = "s";
  for (std::size_t i = 0; i < costs.size(); ++i) {
    t.cost_nano_usd = costs[i];
    t.spans[0].cost_nano_usd = costs[costs.size() - 1 - i];
    t.spans[0].ttft_ns = ttfts[i];
    const Trace back = RoundTrip(t);
    ASSERT_EQ(back.cost_nano_usd, t.cost_nano_usd);
    ASSERT_EQ(back.spans[0].cost_nano_usd, t.spans[0].cost_nano_usd);
    ASSERT_EQ(back.spans[0].ttft_ns, t.spans[0].ttft_ns);
  }
}

// Times at both ends of the range the store accepts.
TEST(JsonWriterTest, ExtremeTimesRoundTrip) {
  Trace t;
  t.trace_id = "t";
  for (int64_t start : {int64_t{0}, kMaxTime - 2}) {
    t.start_ns = start;
    t.end_ns = start + 1;
    EXPECT_EQ(RoundTrip(t), t);
  }
}

}  // namespace
}  // namespace sessionstore
