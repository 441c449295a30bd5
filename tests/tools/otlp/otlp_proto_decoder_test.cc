// Copyright sessionstore authors.

#include "tools/otlp/otlp_proto_decoder.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/tools/otlp/otlp_samples.h"
#include "tools/otlp/otlp_json_decoder.h"

namespace sessionstore {
namespace {

// A minimal protobuf writer for building bodies by hand.
std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
std::string Key(uint32_t field, uint32_t wire) { return Varint((uint64_t{field} << 3) | wire); }
std::string Len(uint32_t field, const std::string& bytes) {
  return Key(field, 2) + Varint(bytes.size()) + bytes;
}
std::string Fixed64(uint32_t field, uint64_t v) {
  std::string out = Key(field, 1);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return out;
}
std::string Request(const std::string& span) {
  return Len(1, Len(2, Len(2, span)));  // resource_spans { scope_spans { spans } }
}
std::string StringAttr(const std::string& key, const std::string& value) {
  return Len(9, Len(1, key) + Len(2, Len(1, value)));
}

const std::string kIds = Len(1, std::string(16, '\x01')) + Len(2, std::string(8, '\x02'));

using testing::ReadOtlpSample;

TEST(OtlpProtoDecoderTest, DecodesFieldsAndSkipsUnknownOnes) {
  const std::string span = kIds + Len(5, "name") + Fixed64(7, 100) + Fixed64(8, 200) + Key(16, 5) +
                           std::string(4, '\0') +        // flags: fixed32, skipped
                           Key(99, 0) + Varint(12345) +  // unknown varint
                           StringAttr("k", "v") +
                           Len(9, Len(1, "i") + Len(2, Key(3, 0) + Varint(uint64_t(-5)))) +
                           Len(11, Fixed64(1, 150) + Len(2, "first_token")) +
                           Len(15, Len(2, "bad") + Key(3, 0) + Varint(2));
  OtlpRequest r;
  Status s = DecodeOtlpProto(Request(span), &r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(r.SpanCount(), 1u);
  const OtlpSpan& sp = r.resource_spans[0].spans[0];
  EXPECT_EQ(sp.name, "name");
  EXPECT_EQ(sp.start_time_unix_nano, 100u);
  EXPECT_EQ(sp.end_time_unix_nano, 200u);
  ASSERT_EQ(sp.attributes.size(), 2u);
  EXPECT_EQ(sp.attributes[0].value.str, "v");
  EXPECT_EQ(sp.attributes[1].value.i, -5);
  ASSERT_EQ(sp.events.size(), 1u);
  EXPECT_EQ(sp.events[0].name, "first_token");
  EXPECT_EQ(sp.status_code, OtlpStatusCode::kError);
  EXPECT_EQ(sp.status_message, "bad");
}

TEST(OtlpProtoDecoderTest, SampleDecodesLikeItsJsonTwin) {
  OtlpRequest from_proto, from_json;
  ASSERT_TRUE(DecodeOtlpProto(ReadOtlpSample("otlp-002-traces-httpproto.pb"), &from_proto).ok());
  ASSERT_TRUE(DecodeOtlpJson(ReadOtlpSample("otlp-001-traces-httpjson.json"), &from_json).ok());
  ASSERT_EQ(from_proto.SpanCount(), 9u);
  ASSERT_EQ(from_json.SpanCount(), 9u);
  const auto& a = from_proto.resource_spans[0].spans;
  const auto& b = from_json.resource_spans[0].spans;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].trace_id, b[i].trace_id);
    EXPECT_EQ(a[i].span_id, b[i].span_id);
    EXPECT_EQ(a[i].parent_span_id, b[i].parent_span_id);
    EXPECT_EQ(a[i].start_time_unix_nano, b[i].start_time_unix_nano);
    EXPECT_EQ(a[i].attributes.size(), b[i].attributes.size());
  }
}

// Every prefix of a real body decodes or fails cleanly (run under ASan by
// the fuzz build, and here for the crash-free part).
TEST(OtlpProtoDecoderTest, TruncatedBodiesFailCleanly) {
  const std::string body = ReadOtlpSample("otlp-004-traces-httpproto.pb");
  std::size_t failures = 0;
  for (std::size_t n = 0; n < body.size(); ++n) {
    OtlpRequest r;
    if (!DecodeOtlpProto(std::string_view(body).substr(0, n), &r).ok()) ++failures;
  }
  EXPECT_GT(failures, body.size() / 2);
}

TEST(OtlpProtoDecoderTest, BadBodiesNameTheProblem) {
  const std::pair<std::string, std::string> cases[] = {
      {Request(Key(5, 0) + Varint(3)),
       "Span: field 5: wire type varint, expected length-delimited"},
      {Request(Key(7, 2) + Varint(0)), "field 7: wire type length-delimited, expected fixed64"},
      {Key(1, 2) + Varint(uint64_t{1} << 40), "past the end"},
      {Key(1, 2) + std::string(10, '\xff'), "varint longer than 10 bytes"},
      {Request(Len(5, "\xc3\x28")), "not valid UTF-8"},
      {Key(3, 3), "unsupported wire type group"},
      {Key(0, 0) + Varint(1), "field number out of range"},
      {Request(Fixed64(7, 1).substr(0, 5)), "truncated fixed64"},
  };
  for (const auto& [body, want] : cases) {
    OtlpRequest r;
    Status s = DecodeOtlpProto(body, &r);
    EXPECT_TRUE(s.IsInvalidArgument()) << want;
    EXPECT_NE(s.message().find(want), std::string::npos) << want << " -> " << s.message();
  }
}

TEST(OtlpProtoDecoderTest, DeepValuesAreRefused) {
  std::string v = Len(1, "x");                                             // string_value
  for (int i = 0; i < kOtlpMaxValueDepth + 1; ++i) v = Len(5, Len(1, v));  // array_value
  OtlpRequest r;
  Status s = DecodeOtlpProto(Request(kIds + Len(9, Len(1, "k") + Len(2, v))), &r);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("nested deeper"), std::string::npos) << s.message();
}

TEST(OtlpProtoDecoderTest, Response) {
  EXPECT_EQ(EncodeOtlpProtoResponse(0, ""), "");
  EXPECT_EQ(EncodeOtlpProtoResponse(3, "x"), Len(1, Key(1, 0) + Varint(3) + Len(2, "x")));
}

}  // namespace
}  // namespace sessionstore
