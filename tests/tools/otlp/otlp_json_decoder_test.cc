// Copyright sessionstore authors.

#include "tools/otlp/otlp_json_decoder.h"

#include <gtest/gtest.h>

#include <string>

namespace sessionstore {
namespace {

std::string Body(const std::string& span_json, const std::string& resource = "{}") {
  return R"({"resourceSpans":[{"resource":)" + resource +
         R"(,"scopeSpans":[{"scope":{"name":"s"},"spans":[)" + span_json + "]}]}]}";
}

constexpr char kSpan[] =
    R"({"traceId":"0102030405060708090A0b0c0d0e0f10","spanId":"a1a2a3a4a5a6a7a8",
        "parentSpanId":"","name":"n","kind":1,"startTimeUnixNano":"1700000000000000001",
        "endTimeUnixNano":1700000000000000002,"flags":257,
        "attributes":[{"key":"s","value":{"stringValue":"x"}},
                      {"key":"b","value":{"boolValue":true}},
                      {"key":"i","value":{"intValue":"-42"}},
                      {"key":"j","value":{"intValue":7}},
                      {"key":"d","value":{"doubleValue":1.5}},
                      {"key":"nan","value":{"doubleValue":"NaN"}},
                      {"key":"y","value":{"bytesValue":"AQID"}},
                      {"key":"a","value":{"arrayValue":{"values":[{"stringValue":"p"},{"intValue":"1"}]}}},
                      {"key":"k","value":{"kvlistValue":{"values":[{"key":"z","value":{"boolValue":false}}]}}},
                      {"key":"e","value":{}}],
        "events":[{"timeUnixNano":"5","name":"first_token","attributes":[]}],
        "status":{"code":2,"message":"boom"}})";

TEST(OtlpJsonDecoderTest, DecodesEveryValueKind) {
  OtlpRequest r;
  Status s = DecodeOtlpJson(
      Body(kSpan, R"({"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]})"), &r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(r.resource_spans.size(), 1u);
  EXPECT_EQ(r.resource_spans[0].resource_attributes[0].value.str, "svc");
  ASSERT_EQ(r.resource_spans[0].spans.size(), 1u);
  const OtlpSpan& sp = r.resource_spans[0].spans[0];
  EXPECT_EQ(HexId(sp.trace_id), "0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(HexId(sp.span_id), "a1a2a3a4a5a6a7a8");
  EXPECT_TRUE(sp.parent_span_id.empty());
  EXPECT_EQ(sp.start_time_unix_nano, 1700000000000000001u);
  EXPECT_EQ(sp.end_time_unix_nano, 1700000000000000002u);
  EXPECT_EQ(sp.status_code, OtlpStatusCode::kError);
  EXPECT_EQ(sp.status_message, "boom");
  ASSERT_EQ(sp.events.size(), 1u);
  EXPECT_EQ(sp.events[0].time_unix_nano, 5u);
  std::string json;
  for (const OtlpKeyValue& kv : sp.attributes) {
    json += kv.key + "=";
    AppendOtlpValueJson(kv.value, &json);
    json += " ";
  }
  EXPECT_EQ(json,
            R"(s="x" b=true i=-42 j=7 d=1.5 nan="NaN" y="AQID" a=["p",1] k={"z":false} e=null )");
}

TEST(OtlpJsonDecoderTest, AcceptsSnakeCaseAndEmptyRequests) {
  OtlpRequest r;
  ASSERT_TRUE(DecodeOtlpJson("{}", &r).ok());
  EXPECT_EQ(r.SpanCount(), 0u);
  ASSERT_TRUE(DecodeOtlpJson(R"({"resource_spans":[{"scope_spans":[{"spans":[
      {"trace_id":"00000000000000000000000000000001","span_id":"0000000000000001",
       "start_time_unix_nano":"1"}]}]}]})",
                             &r)
                  .ok());
  EXPECT_EQ(r.SpanCount(), 1u);
}

TEST(OtlpJsonDecoderTest, MalformedBodiesNameThePath) {
  const std::pair<std::string, std::string> cases[] = {
      {"not json", "not valid JSON"},
      {"[]", "request: expected an object"},
      {R"({"resourceSpans":{}})", "resourceSpans: expected an array"},
      {R"({"resourceSpans":[1]})", "resourceSpans[0]: expected an object"},
      {Body(R"({"traceId":"xyz"})"), "resourceSpans[0].scopeSpans[0].spans[0].traceId: not a hex"},
      {Body(R"({"traceId":7})"), "traceId: expected a string"},
      {Body(R"({"startTimeUnixNano":"-1"})"), "startTimeUnixNano: expected an unsigned"},
      {Body(R"({"startTimeUnixNano":"99999999999999999999"})"), "startTimeUnixNano"},
      {Body(R"({"attributes":[{"key":"a","value":{"intValue":"1e3"}}]})"), "intValue"},
      {Body(R"({"attributes":[{"key":"a","value":{"bytesValue":"%%"}}]})"), "base64"},
      {Body(R"({"status":{"code":[1]}})"), "status.code"},
      {"{\"resourceSpans\":[{\"x\":\"\xff\"}]}", "not valid JSON"},  // Invalid UTF-8.
  };
  for (const auto& [body, want] : cases) {
    OtlpRequest r;
    Status s = DecodeOtlpJson(body, &r);
    EXPECT_TRUE(s.IsInvalidArgument()) << body;
    EXPECT_NE(s.message().find(want), std::string::npos) << body << " -> " << s.message();
  }
}

TEST(OtlpJsonDecoderTest, DeepValuesAreRefused) {
  std::string v = R"({"stringValue":"x"})";
  for (int i = 0; i < kOtlpMaxValueDepth + 1; ++i) v = R"({"arrayValue":{"values":[)" + v + "]}}";
  OtlpRequest r;
  Status s = DecodeOtlpJson(Body(R"({"attributes":[{"key":"a","value":)" + v + "}]}"), &r);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("nested deeper"), std::string::npos) << s.message();
}

TEST(OtlpJsonDecoderTest, Response) {
  EXPECT_EQ(EncodeOtlpJsonResponse(0, ""), "{}");
  EXPECT_EQ(EncodeOtlpJsonResponse(3, "bad \"id\""),
            R"({"partialSuccess":{"rejectedSpans":"3","errorMessage":"bad \"id\""}})");
}

}  // namespace
}  // namespace sessionstore
