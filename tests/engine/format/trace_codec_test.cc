// Copyright sessionstore authors.

#include "engine/format/trace_codec.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>

#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::kSec;
using testing::kT0;
using testing::LlmSpan;
using testing::MakeTrace;

// A trace with every field set, spans of each shape included.
Trace FullTrace() {
  Trace t = MakeTrace("trace-1", "session-1", kT0);
  t.session_name = "support chat";
  t.user_id = "user-9";
  t.name = "turn";
  t.end_ns = kT0 + 3 * kSec;
  t.status = TraceStatus::kError;
  t.error = "timeout";
  t.input = Payload{R"({"q":"hi"})", true};
  t.output = Payload{"hello \xe2\x9c\x93", false};
  t.metadata = {{"env", "prod"}, {"region", "eu"}};
  t.tags = {"a", "b"};
  t.model = "gpt-4o";
  t.prompt_tokens = 3;
  t.completion_tokens = 4;
  t.cost_nano_usd = 5;
  Span llm = LlmSpan("s1", kT0, 10, 20, 300);
  llm.ttft_ns = 250'000'000;
  llm.input = Payload{"prompt", false};
  llm.attributes = {{"temperature", "0.2"}};
  Span tool;
  tool.span_id = "s2";
  tool.parent_span_id = "s1";
  tool.kind = SpanKind::kTool;
  tool.status = TraceStatus::kError;
  tool.error = "boom";
  // The second has no times: optionals stay empty. (Moved in one by one:
  // GCC 12 at -O2 warns of a maybe-uninitialized string when both are
  // copied from an initializer list.)
  t.spans.push_back(std::move(llm));
  t.spans.push_back(std::move(tool));
  return t;
}

TEST(TraceCodecTest, RoundTripKeepsEveryFieldAndTheVersion) {
  const Trace t = FullTrace();
  Trace back;
  uint64_t version = 0;
  ASSERT_TRUE(DecodeTrace(EncodeTrace(t, 7), &back, &version));
  EXPECT_EQ(back, t);
  EXPECT_EQ(version, 7u);
  const Trace empty = MakeTrace("t", "", 0);
  ASSERT_TRUE(DecodeTrace(EncodeTrace(empty, 1), &back, &version));
  EXPECT_EQ(back, empty);
  EXPECT_EQ(version, 1u);
}

TEST(TraceCodecTest, OutputDecoderReadsOnlyOutputAndStart) {
  const Trace t = FullTrace();
  Payload output;
  int64_t start = 0;
  ASSERT_TRUE(DecodeTraceOutput(EncodeTrace(t, 2), &output, &start));
  EXPECT_EQ(output, t.output);
  EXPECT_EQ(start, t.start_ns);
}

TEST(TraceCodecTest, DecodesUnalignedBytes) {
  // RocksDB hands out values at any alignment.
  const std::string record = EncodeTrace(FullTrace(), 3);
  std::string shifted = "x" + record;
  Trace back;
  uint64_t version = 0;
  ASSERT_TRUE(DecodeTrace(std::string_view(shifted).substr(1), &back, &version));
  EXPECT_EQ(back, FullTrace());
}

TEST(TraceCodecTest, RejectsTruncatedAndCorruptedRecords) {
  const std::string record = EncodeTrace(FullTrace(), 3);
  Trace back;
  uint64_t version = 0;
  Payload output;
  int64_t start = 0;
  for (std::size_t n = 0; n < record.size(); n += 7) {
    EXPECT_FALSE(DecodeTrace(record.substr(0, n), &back, &version)) << "prefix " << n;
    EXPECT_FALSE(DecodeTraceOutput(record.substr(0, n), &output, &start)) << "prefix " << n;
  }
  // Flipped bytes: every outcome is a rejection or a record that encodes
  // back to valid bytes, never a crash (ASan and UBSan run this in CI).
  std::mt19937_64 rng(11);
  int rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string bad = record;
    bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    if (!DecodeTrace(bad, &back, &version)) {
      ++rejected;
      continue;
    }
    EXPECT_TRUE(DecodeTrace(EncodeTrace(back, version), &back, &version));
  }
  EXPECT_GT(rejected, 0);
}

}  // namespace
}  // namespace sessionstore
