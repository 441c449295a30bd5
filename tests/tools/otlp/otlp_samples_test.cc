// Copyright sessionstore authors.
//
// The real OTLP request bodies in tests/data/otlp/ (OpenTelemetry JS SDK with
// OpenInference attributes; each session once as OTLP/JSON, once as
// OTLP/protobuf) ingested end to end. The expected aggregates were worked
// out by hand from the bodies (times and token counts read off the spans):
// they are not computed by the code under test.

#include "tests/tools/otlp/otlp_samples.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>

#include "tests/engine/test_util.h"
#include "tools/otlp/otlp_ingest.h"
#include "tools/otlp/otlp_json_decoder.h"
#include "tools/otlp/otlp_proto_decoder.h"

namespace sessionstore {
namespace {

using testing::OpenOrDie;
using testing::TempDir;

using testing::ReadOtlpSample;

struct Sample {
  const char* json;
  const char* proto;
};
constexpr Sample kSession1 = {"otlp-001-traces-httpjson.json", "otlp-002-traces-httpproto.pb"};
constexpr Sample kSession2 = {"otlp-003-traces-httpjson.json", "otlp-004-traces-httpproto.pb"};

// Session 1: 4 turns, 9 spans (turn 2 has a TOOL span), all OK.
SessionSummary ExpectedSession1() {
  SessionSummary s;
  s.session_id = "sess-7f3a91c2-user-1842";
  s.user_id = "user-1842";
  s.trace_count = 4;
  s.error_count = 0;
  s.span_count = 9;
  s.prompt_tokens = 40 + 94 + 148 + 190;
  s.completion_tokens = 39 + 39 + 32 + 20;
  s.total_tokens = 472 + 130;
  s.cost_nano_usd = 0;                                        // No llm.cost.total in the bodies.
  s.first_trace_at_ns = 1795309991272000000;                  // Root of turn 1.
  s.last_trace_at_ns = 1795310038608129530;                   // Root of turn 4.
  s.duration_ns = 1795310039257338305 - 1795309991272000000;  // End of turn 4's root.
  s.models["gpt-4o-mini-2024-07-18"] = ModelUsage{4, 472, 130, 0};
  s.tags = {{"billing", 4}, {"support", 4}};
  // first_token event time - LLM span start, per turn.
  s.ttft_count = 4;
  s.ttft_sum_ns =
      (1795309991477985737 - 1795309991284282262) + (1795310011374621595 - 1795310011038187204) +
      (1795310028152991592 - 1795310027885296111) + (1795310038815270053 - 1795310038618847801);
  s.first_input = Payload{"Hi, I was charged twice for my November invoice.", false};
  s.last_output =
      Payload{"You are welcome! Ticket BIL-20931 will email you updates. Have a great day.", false};
  return s;
}

// Session 2: 4 turns, 8 spans; turn 3's LLM call failed (ERROR status and an
// exception event on the LLM span and its root; 151 prompt tokens, no
// completion, no first token).
SessionSummary ExpectedSession2() {
  SessionSummary s;
  s.session_id = "sess-0b44d9e1-user-0007";
  s.user_id = "user-0007";
  s.trace_count = 4;
  s.error_count = 1;
  s.span_count = 8;
  s.prompt_tokens = 44 + 90 + 151 + 140;
  s.completion_tokens = 32 + 37 + 0 + 49;
  s.total_tokens = 425 + 118;
  s.first_trace_at_ns = 1795310366872270907;
  s.last_trace_at_ns = 1795310441778754347;
  s.duration_ns = 1795310443497418369 - 1795310366872270907;
  s.models["claude-3-5-sonnet-20241022"] = ModelUsage{4, 425, 118, 0};
  s.tags = {{"api", 4}, {"rate-limits", 4}, {"support", 4}};
  s.ttft_count = 3;
  s.ttft_sum_ns = (1795310367110661814 - 1795310366880796378) +
                  (1795310377849644197 - 1795310377538220596) +
                  (1795310442167420167 - 1795310441785460192);
  s.first_input = Payload{"Our batch job gets HTTP 429 from /v2/ingest since this morning.", false};
  s.last_output = Payload{
      "Apologies, the previous request failed upstream. Here is the draft request, plus a retry "
      "snippet using exponential backoff with jitter (base 0.5s, max 30s, honoring Retry-After).",
      false};
  return s;
}

void ExpectSessionAfterIngest(const Sample& sample, OtlpEncoding encoding,
                              const SessionSummary& want) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  const std::string body =
      ReadOtlpSample(encoding == OtlpEncoding::kJson ? sample.json : sample.proto);
  OtlpIngestReport report;
  ASSERT_TRUE(IngestOtlpBody(store.get(), encoding, body, &report).ok());
  EXPECT_EQ(report.spans, static_cast<std::size_t>(want.span_count));
  EXPECT_EQ(report.rejected_spans, 0u) << report.Message();
  SessionSummary got;
  ASSERT_TRUE(store->GetSession(want.session_id, &got).ok());
  EXPECT_EQ(got, want);
  // A resent request changes nothing.
  ASSERT_TRUE(IngestOtlpBody(store.get(), encoding, body, &report).ok());
  SessionSummary again;
  ASSERT_TRUE(store->GetSession(want.session_id, &again).ok());
  EXPECT_EQ(again, want);
  VerifyReport verify;
  ASSERT_TRUE(store->Verify(&verify).ok());
  EXPECT_TRUE(verify.mismatches.empty());
}

TEST(OtlpSamplesTest, Session1FromJsonHasTheHandComputedAggregate) {
  ExpectSessionAfterIngest(kSession1, OtlpEncoding::kJson, ExpectedSession1());
}
TEST(OtlpSamplesTest, Session1FromProtobufHasTheHandComputedAggregate) {
  ExpectSessionAfterIngest(kSession1, OtlpEncoding::kProtobuf, ExpectedSession1());
}
TEST(OtlpSamplesTest, Session2FromJsonHasTheHandComputedAggregate) {
  ExpectSessionAfterIngest(kSession2, OtlpEncoding::kJson, ExpectedSession2());
}
TEST(OtlpSamplesTest, Session2FromProtobufHasTheHandComputedAggregate) {
  ExpectSessionAfterIngest(kSession2, OtlpEncoding::kProtobuf, ExpectedSession2());
}

TEST(OtlpSamplesTest, BothEncodingsMapToTheSameTraces) {
  for (const Sample& sample : {kSession1, kSession2}) {
    OtlpMapResult from_json, from_proto;
    ASSERT_TRUE(DecodeOtlpBody(OtlpEncoding::kJson, ReadOtlpSample(sample.json), &from_json).ok());
    ASSERT_TRUE(
        DecodeOtlpBody(OtlpEncoding::kProtobuf, ReadOtlpSample(sample.proto), &from_proto).ok());
    ASSERT_EQ(from_json.traces.size(), 4u);
    EXPECT_EQ(from_json.traces, from_proto.traces) << sample.json;
  }
}

// The failed turn of session 2, field by field.
TEST(OtlpSamplesTest, FailedTurnKeepsErrorsAndAttributes) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  OtlpIngestReport report;
  ASSERT_TRUE(
      IngestOtlpBody(store.get(), OtlpEncoding::kJson, ReadOtlpSample(kSession2.json), &report)
          .ok());
  TimelinePage page;
  ASSERT_TRUE(store->Timeline("sess-0b44d9e1-user-0007", TimelineOptions(), &page).ok());
  ASSERT_EQ(page.traces.size(), 4u);
  const Trace& failed = page.traces[2];
  EXPECT_EQ(failed.name, "chat-turn");
  EXPECT_EQ(failed.status, TraceStatus::kError);
  EXPECT_EQ(failed.error, "LLM call failed: RateLimitError");
  EXPECT_EQ(failed.metadata.at("service.name"), "\"acme-support-bot\"");
  ASSERT_EQ(failed.spans.size(), 2u);
  const Span& llm = failed.spans[1];
  EXPECT_EQ(llm.kind, SpanKind::kLlm);
  EXPECT_EQ(llm.status, TraceStatus::kError);
  EXPECT_EQ(llm.error, "429 Too Many Requests: upstream model overloaded, retry after 20s");
  EXPECT_EQ(llm.prompt_tokens, 151);
  EXPECT_FALSE(llm.ttft_ns.has_value());
  EXPECT_EQ(llm.attributes.at("llm.provider"), "\"anthropic\"");
  EXPECT_EQ(llm.attributes.count("session.id"), 0u);  // Mapped, not repeated.
  EXPECT_EQ(failed.spans[0].kind, SpanKind::kAgent);
  EXPECT_EQ(failed.spans[0].attributes.at("chat.turn.index"), "2");
}

// Each span in a request of its own, in several orders: every order gives the
// traces and the aggregate of the single request.
void ExpectSplitRequestsMatch(const Sample& sample, const SessionSummary& want) {
  OtlpRequest whole;
  ASSERT_TRUE(DecodeOtlpJson(ReadOtlpSample(sample.json), &whole).ok());
  std::vector<OtlpRequest> parts;
  for (const OtlpResourceSpans& rs : whole.resource_spans) {
    for (const OtlpSpan& span : rs.spans) {
      OtlpRequest part;
      part.resource_spans.push_back({rs.resource_attributes, {span}});
      parts.push_back(std::move(part));
    }
  }
  std::vector<std::size_t> order(parts.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937 rng(11);
  std::vector<Trace> reference;
  for (int round = 0; round < 12; ++round) {
    // Round 0: children before roots (reverse order); then shuffles.
    if (round == 0) std::reverse(order.begin(), order.end());
    if (round > 0) std::shuffle(order.begin(), order.end(), rng);
    TempDir dir;
    auto store = OpenOrDie(dir.path());
    for (std::size_t i : order) {
      OtlpMapResult mapped;
      MapOtlpRequest(parts[i], &mapped);
      IngestResult r;
      ASSERT_TRUE(store->Ingest(mapped.traces, &r).ok());
      ASSERT_TRUE(r.rejected.empty()) << r.rejected[0].reason.ToString();
    }
    SessionSummary got;
    ASSERT_TRUE(store->GetSession(want.session_id, &got).ok());
    EXPECT_EQ(got, want) << "round " << round;
    TimelinePage page;
    ASSERT_TRUE(store->Timeline(want.session_id, TimelineOptions(), &page).ok());
    if (round == 0) reference = page.traces;
    EXPECT_EQ(page.traces, reference) << "round " << round;
  }
  // And the same traces as the whole request in one piece.
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  OtlpMapResult mapped;
  MapOtlpRequest(whole, &mapped);
  IngestResult r;
  ASSERT_TRUE(store->Ingest(mapped.traces, &r).ok());
  TimelinePage page;
  ASSERT_TRUE(store->Timeline(want.session_id, TimelineOptions(), &page).ok());
  EXPECT_EQ(page.traces, reference);
}

TEST(OtlpSamplesTest, Session1SplitAcrossRequestsInAnyOrder) {
  ExpectSplitRequestsMatch(kSession1, ExpectedSession1());
}
TEST(OtlpSamplesTest, Session2SplitAcrossRequestsInAnyOrder) {
  ExpectSplitRequestsMatch(kSession2, ExpectedSession2());
}

// Every order of the spans of one trace (all permutations), each span its
// own request.
TEST(OtlpSamplesTest, EveryOrderOfOneTracesSpans) {
  OtlpRequest whole;
  ASSERT_TRUE(DecodeOtlpJson(ReadOtlpSample(kSession1.json), &whole).ok());
  const auto& rs = whole.resource_spans[0];
  std::vector<OtlpSpan> spans;  // Turn 2: TOOL, LLM and root.
  for (const OtlpSpan& s : rs.spans) {
    if (HexId(s.trace_id) == "95668df5a6071b10df0659d82e7832ae") spans.push_back(s);
  }
  ASSERT_EQ(spans.size(), 3u);
  std::vector<int> order = {0, 1, 2};
  std::vector<Trace> first;
  do {
    TempDir dir;
    auto store = OpenOrDie(dir.path());
    for (int i : order) {
      OtlpRequest part;
      part.resource_spans.push_back({rs.resource_attributes, {spans[i]}});
      OtlpMapResult mapped;
      MapOtlpRequest(part, &mapped);
      IngestResult r;
      ASSERT_TRUE(store->Ingest(mapped.traces, &r).ok());
    }
    Trace t;
    ASSERT_TRUE(store->GetTrace("95668df5a6071b10df0659d82e7832ae", &t).ok());
    EXPECT_EQ(t.name, "chat-turn");
    EXPECT_EQ(t.spans.size(), 3u);
    if (first.empty()) first.push_back(t);
    EXPECT_EQ(t, first[0]);
  } while (std::next_permutation(order.begin(), order.end()));
}

}  // namespace
}  // namespace sessionstore
