// Copyright sessionstore authors.

#include "tools/otlp/otlp_trace_mapper.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

constexpr uint64_t kT = 1'700'000'000'000'000'000;  // ns

OtlpValue Str(std::string s) {
  OtlpValue v;
  v.type = OtlpValue::Type::kString;
  v.str = std::move(s);
  return v;
}
OtlpValue Int(int64_t i) {
  OtlpValue v;
  v.type = OtlpValue::Type::kInt;
  v.i = i;
  return v;
}
OtlpValue Dbl(double d) {
  OtlpValue v;
  v.type = OtlpValue::Type::kDouble;
  v.d = d;
  return v;
}

// Ids: the trace id is 16 bytes of `t`, the span id 8 bytes of `s`.
OtlpSpan MakeSpan(char t, char s, char parent, uint64_t start, uint64_t end,
                  std::vector<OtlpKeyValue> attrs = {}) {
  OtlpSpan span;
  span.trace_id.assign(16, t);
  span.span_id.assign(8, s);
  if (parent != 0) span.parent_span_id.assign(8, parent);
  span.name = std::string("span-") + s;
  span.start_time_unix_nano = start;
  span.end_time_unix_nano = end;
  span.attributes = std::move(attrs);
  return span;
}

OtlpRequest RequestOf(std::vector<OtlpSpan> spans, std::vector<OtlpKeyValue> resource = {}) {
  OtlpRequest r;
  r.resource_spans.push_back({std::move(resource), std::move(spans)});
  return r;
}

const std::string kTraceA = "61616161616161616161616161616161";

TEST(OtlpTraceMapperTest, GenAiConventions) {
  OtlpMapResult m;
  MapOtlpRequest(
      RequestOf({MakeSpan('a', 'r', 0, kT, kT + 100,
                          {{"gen_ai.conversation.id", Str("conv-1")}, {"enduser.id", Str("u-9")}}),
                 MakeSpan('a', 'c', 'r', kT + 10, kT + 90,
                          {{"gen_ai.operation.name", Str("chat")},
                           {"gen_ai.request.model", Str("gpt-4o")},
                           {"gen_ai.response.model", Str("gpt-4o-2024-08-06")},
                           {"gen_ai.usage.input_tokens", Int(12)},
                           {"gen_ai.usage.output_tokens", Str("7")},
                           {"llm.cost.total", Dbl(0.0025)},
                           {"llm.time_to_first_token_ms", Dbl(12.5)}}),
                 MakeSpan('a', 'e', 'r', kT + 20, kT + 30,
                          {{"gen_ai.operation.name", Str("embeddings")}})}),
      &m);
  ASSERT_EQ(m.traces.size(), 1u);
  const Trace& t = m.traces[0];
  EXPECT_EQ(t.trace_id, kTraceA);
  EXPECT_EQ(t.session_id, "conv-1");
  EXPECT_EQ(t.user_id, "u-9");
  EXPECT_EQ(t.name, "span-r");
  EXPECT_EQ(t.start_ns, static_cast<int64_t>(kT));
  EXPECT_EQ(t.end_ns, static_cast<int64_t>(kT + 100));
  ASSERT_EQ(t.spans.size(), 3u);
  const Span& chat = t.spans[1];  // Root first, then by start.
  EXPECT_EQ(chat.kind, SpanKind::kLlm);
  EXPECT_EQ(chat.model, "gpt-4o-2024-08-06");  // The response model wins.
  EXPECT_EQ(chat.attributes.at("gen_ai.request.model"), "\"gpt-4o\"");
  EXPECT_EQ(chat.prompt_tokens, 12);
  EXPECT_EQ(chat.completion_tokens, 7);
  EXPECT_EQ(chat.cost_nano_usd, 2'500'000);
  EXPECT_EQ(chat.ttft_ns, 12'500'000);
  EXPECT_EQ(chat.parent_span_id, "7272727272727272");
  EXPECT_EQ(t.spans[2].kind, SpanKind::kEmbedding);
  EXPECT_EQ(t.spans[0].kind, SpanKind::kOther);
}

TEST(OtlpTraceMapperTest, SessionIdOrderAndMetadata) {
  OtlpMapResult m;
  MapOtlpRequest(
      RequestOf(
          {MakeSpan('a', 'r', 0, kT, kT + 1,
                    {{"metadata", Str(R"({"thread_id":"th-1","plan":"pro"})")},
                     {"metadata.region", Str("eu")}}),
           MakeSpan('a', 'c', 'r', kT, kT + 1, {{"langfuse.session.id", Str("lf-1")}}),
           MakeSpan('b', 'r', 0, kT, kT + 1, {{"metadata", Str(R"({"conversation_id":42})")}}),
           MakeSpan('c', 'r', 0, kT, kT + 1,
                    {{"langfuse.session.id", Str("lf-2")}, {"session.id", Str("oi-2")}})},
          {{"service.name", Str("svc")}}),
      &m);
  ASSERT_EQ(m.traces.size(), 3u);
  EXPECT_EQ(m.traces[0].session_id, "lf-1");  // Any span's attribute before metadata.
  EXPECT_EQ(m.traces[0].metadata.at("plan"), "\"pro\"");
  EXPECT_EQ(m.traces[0].metadata.at("thread_id"), "\"th-1\"");
  EXPECT_EQ(m.traces[0].metadata.at("region"), "\"eu\"");
  EXPECT_EQ(m.traces[0].metadata.at("service.name"), "\"svc\"");
  EXPECT_EQ(m.traces[0].spans[0].attributes.count("metadata"), 0u);
  EXPECT_EQ(m.traces[1].session_id, "42");
  EXPECT_EQ(m.traces[2].session_id, "oi-2");  // session.id before langfuse.session.id.
}

TEST(OtlpTraceMapperTest, TagsAsArrayOrJsonText) {
  OtlpValue arr;
  arr.type = OtlpValue::Type::kArray;
  arr.array = {Str("b"), Str("a")};
  OtlpMapResult m;
  MapOtlpRequest(
      RequestOf({MakeSpan('a', 'r', 0, kT, kT + 1, {{"tag.tags", arr}}),
                 MakeSpan('a', 'c', 'r', kT, kT + 1, {{"tag.tags", Str(R"(["c","a"])")}}),
                 MakeSpan('a', 'd', 'r', kT, kT + 1, {{"tag.tags", Str("not json")}})}),
      &m);
  ASSERT_EQ(m.traces.size(), 1u);
  EXPECT_EQ(m.traces[0].tags, (std::vector<std::string>{"a", "b", "c"}));
  // Text that is not a JSON array of strings stays an attribute.
  EXPECT_EQ(m.traces[0].spans[2].attributes.at("tag.tags"), "\"not json\"");
}

TEST(OtlpTraceMapperTest, ExceptionEventMakesAnErrorSpan) {
  OtlpSpan child = MakeSpan('a', 'c', 'r', kT + 1, kT + 5);
  OtlpEvent ev;
  ev.name = "exception";
  ev.time_unix_nano = kT + 4;
  ev.attributes = {{"exception.type", Str("TimeoutError")}, {"exception.message", Str("slow")}};
  child.events.push_back(ev);
  OtlpSpan root = MakeSpan('a', 'r', 0, kT, kT + 9);
  root.status_code = OtlpStatusCode::kOk;
  OtlpMapResult m;
  MapOtlpRequest(RequestOf({child, root}), &m);
  ASSERT_EQ(m.traces.size(), 1u);
  EXPECT_EQ(m.traces[0].status, TraceStatus::kOk);  // The root's own status.
  EXPECT_EQ(m.traces[0].spans[1].status, TraceStatus::kError);
  EXPECT_EQ(m.traces[0].spans[1].error, "TimeoutError: slow");
  EXPECT_TRUE(ComputeTraceUsage(m.traces[0]).has_error);
}

TEST(OtlpTraceMapperTest, InputOutputFromRootElseGenerations) {
  const std::vector<OtlpKeyValue> llm1 = {{"openinference.span.kind", Str("LLM")},
                                          {"input.value", Str(R"({"q": 1})")},
                                          {"input.mime_type", Str("application/json")},
                                          {"output.value", Str("first answer")}};
  const std::vector<OtlpKeyValue> llm2 = {{"openinference.span.kind", Str("llm")},
                                          {"input.value", Str("second question")},
                                          {"output.value", Str("last answer")}};
  OtlpMapResult m;
  MapOtlpRequest(
      RequestOf({MakeSpan('a', 'r', 0, kT, kT + 10), MakeSpan('a', 'x', 'r', kT + 5, kT + 9, llm2),
                 MakeSpan('a', 'y', 'r', kT + 1, kT + 4, llm1),
                 MakeSpan('b', 'r', 0, kT, kT + 10, {{"input.value", Str("root in")}}),
                 MakeSpan('b', 'x', 'r', kT + 1, kT + 9, llm2),
                 MakeSpan('c', 'x', 'r', kT + 1, kT + 9, llm2)}),
      &m);
  ASSERT_EQ(m.traces.size(), 3u);
  EXPECT_EQ(m.traces[0].input, (Payload{R"({"q":1})", true}));  // JSON mime: kept as JSON.
  EXPECT_EQ(m.traces[0].output, (Payload{"last answer", false}));
  EXPECT_EQ(m.traces[1].input, (Payload{"root in", false}));
  EXPECT_EQ(m.traces[1].output, (Payload{"last answer", false}));
  // Without its root, a version says nothing of the trace's name or payloads.
  EXPECT_TRUE(m.traces[2].input.empty());
  EXPECT_TRUE(m.traces[2].name.empty());
  EXPECT_EQ(m.traces[2].start_ns, static_cast<int64_t>(kT + 1));
}

// Regression (export): a payload that is not a string was stored as the
// mapper's own JSON text (0.10000000000000001, \u0008) and an empty value as
// JSON null, which the ingest format reads back as 0.1, \b and absent: an
// exported session ingested back had other previews. Payloads are stored as
// ParseTraceJson stores them now, and come back unchanged.
TEST(OtlpTraceMapperTest, PayloadsAreStoredAsTheIngestFormatStoresThem) {
  OtlpValue object;
  object.type = OtlpValue::Type::kKvList;
  object.kvlist = {{"temp", Dbl(0.1)}, {"s", Str("a\bb")}, {"n", Int(-3)}};
  OtlpValue bytes;
  bytes.type = OtlpValue::Type::kBytes;
  bytes.str = "ABC";
  OtlpMapResult m;
  MapOtlpRequest(
      RequestOf(
          {MakeSpan('a', 'r', 0, kT, kT + 10,
                    {{"input.value", object}, {"output.value", OtlpValue()}}),
           MakeSpan('b', 'r', 0, kT, kT + 10, {{"input.value", bytes}, {"output.value", Dbl(2.5)}}),
           MakeSpan('c', 'r', 0, kT, kT + 10, {{"input.value", Dbl(std::nan(""))}})}),
      &m);
  ASSERT_EQ(m.traces.size(), 3u);
  EXPECT_EQ(m.traces[0].input, (Payload{R"({"temp":0.1,"s":"a\bb","n":-3})", true}));
  EXPECT_TRUE(m.traces[0].output.empty());
  EXPECT_EQ(m.traces[1].input, (Payload{"QUJD", false}));  // Base64 text.
  EXPECT_EQ(m.traces[1].output, (Payload{"2.5", true}));
  EXPECT_EQ(m.traces[2].input, (Payload{"NaN", false}));
  for (const Trace& t : m.traces) {
    std::string json;
    AppendTraceJson(t, &json);
    Trace back;
    ASSERT_TRUE(ParseTraceJson(json, &back).ok()) << json;
    EXPECT_EQ(back.input, t.input) << json;
    EXPECT_EQ(back.output, t.output) << json;
    EXPECT_EQ(back.spans, t.spans) << json;
  }
}

TEST(OtlpTraceMapperTest, FirstTokenEventBeatsTheAttribute) {
  OtlpSpan s = MakeSpan('a', 'r', 0, kT, kT + 1000, {{"llm.time_to_first_token_ms", Int(9)}});
  OtlpEvent ev;
  ev.name = "first_token";
  ev.time_unix_nano = kT + 250;
  s.events.push_back(ev);
  OtlpMapResult m;
  MapOtlpRequest(RequestOf({s}), &m);
  EXPECT_EQ(m.traces[0].spans[0].ttft_ns, 250);
}

TEST(OtlpTraceMapperTest, BadSpansAreRejectedAndCounted) {
  OtlpSpan short_id = MakeSpan('a', 'x', 0, kT, kT + 1);
  short_id.span_id = "abc";
  OtlpSpan zero_trace = MakeSpan(0, 'y', 0, kT, kT + 1);
  OtlpSpan backwards = MakeSpan('a', 'z', 0, kT + 5, kT + 1);
  OtlpSpan no_start = MakeSpan('a', 'w', 0, 0, kT + 1);
  OtlpSpan late = MakeSpan('a', 'v', 0, uint64_t{1} << 63, 0);
  OtlpSpan dup = MakeSpan('a', 'r', 0, kT, kT + 1);
  OtlpMapResult m;
  MapOtlpRequest(RequestOf({short_id, zero_trace, backwards, no_start, late,
                            MakeSpan('a', 'r', 0, kT, kT + 1), dup}),
                 &m);
  EXPECT_EQ(m.rejected_spans, 6u);
  EXPECT_EQ(m.errors.size(), 6u);
  ASSERT_EQ(m.traces.size(), 1u);
  EXPECT_EQ(m.traces[0].spans.size(), 1u);
}

TEST(OtlpTraceMapperTest, SpanOrderInTheRequestDoesNotMatter) {
  std::vector<OtlpSpan> spans = {
      MakeSpan('a', 'r', 0, kT, kT + 10, {{"session.id", Str("s-root")}}),
      MakeSpan('a', 'b', 'r', kT + 1, kT + 2, {{"session.id", Str("s-b")}, {"user.id", Str("u")}}),
      MakeSpan('a', 'c', 'r', kT + 1, kT + 2, {{"metadata.k", Int(1)}}),
      MakeSpan('a', 'd', 'c', kT + 3, kT + 4, {{"metadata.k", Int(2)}})};
  OtlpMapResult first;
  MapOtlpRequest(RequestOf(spans), &first);
  EXPECT_EQ(first.traces[0].session_id, "s-root");
  EXPECT_EQ(first.traces[0].metadata.at("k"), "1");
  std::mt19937 rng(3);
  for (int i = 0; i < 20; ++i) {
    std::shuffle(spans.begin(), spans.end(), rng);
    OtlpMapResult m;
    MapOtlpRequest(RequestOf(spans), &m);
    EXPECT_EQ(m.traces, first.traces);
  }
}

}  // namespace
}  // namespace sessionstore
