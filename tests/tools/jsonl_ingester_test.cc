// Copyright sessionstore authors.
//
// JsonlIngester across many batches: its writer thread writes one batch
// while the caller parses the next, and the report must still list every
// rejected line once, in line order, with every other line landed; a store
// that fails stops the ingest without a hang.

#include "tools/jsonl_ingester.h"

#include <gtest/gtest.h>

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/engine/test_util.h"
#include "tests/tools/capture_stderr.h"

namespace sessionstore {
namespace {

using testing::CaptureStderr;
using testing::TempDir;

std::string GoodLine(int i) {
  return R"({"trace_id":"t)" + std::to_string(i) + R"(","session_id":"s)" + std::to_string(i % 7) +
         R"(","start_time":)" + std::to_string(1000 + i) + R"(,"prompt_tokens":)" +
         std::to_string(i) + "}";
}

// Line i (1-based) of the input: unparsable every 5th, rejected by the
// store (negative tokens) every 7th, blank every 11th, good otherwise.
struct Input {
  std::string text;
  std::string expected_report;
  std::vector<int> good;  // Trace numbers that must land.
};

Input MakeInput(const std::string& name, int lines) {
  Input in;
  for (int i = 1; i <= lines; ++i) {
    const std::string where = name + ":" + std::to_string(i) + ": ";
    if (i % 11 == 0) {
      in.text += "   \n";
    } else if (i % 5 == 0) {
      in.text += "{\"trace_id\": \n";
      in.expected_report += where + "not valid JSON: ";
    } else if (i % 7 == 0) {
      in.text += R"({"trace_id":"t)" + std::to_string(i) +
                 R"(","start_time":5,"prompt_tokens":-1})" + "\n";
      in.expected_report += where + "prompt_tokens: negative (-1)\n";
    } else {
      in.text += GoodLine(i) + "\n";
      in.good.push_back(i);
    }
  }
  return in;
}

// The report's lines, with each parse error's message cut after "not valid
// JSON: " (simdjson's wording is not ours to pin).
std::string Normalize(const std::string& report) {
  std::istringstream lines(report);
  std::string out;
  for (std::string l; std::getline(lines, l);) {
    const std::size_t json = l.find("not valid JSON: ");
    if (json != std::string::npos) {
      out += l.substr(0, json + 16);
    } else {
      out += l + "\n";
    }
  }
  return out;
}

// Batches of `batch` traces, no progress line.
JsonlIngestOptions Quiet(std::size_t batch) {
  JsonlIngestOptions o;
  o.batch = batch;
  o.progress = false;
  return o;
}

TEST(JsonlIngesterTest, ManySmallBatchesReportInLineOrderAndLandEveryGoodLine) {
  TempDir dir;
  Options options;
  options.index_interval_ms = 0;
  auto store = testing::OpenOrDie(dir.path(), options);
  ASSERT_NE(store, nullptr);
  const std::string name = "many.jsonl";
  const Input input = MakeInput(name, 500);
  std::string reported;
  {
    CaptureStderr capture;
    JsonlIngester ingester(store.get(), Quiet(3));
    std::istringstream in(input.text);
    Status s;
    ASSERT_TRUE(ingester.IngestStream(name, &in, &s)) << s.ToString();
    ASSERT_TRUE(ingester.Flush().ok());
    reported = capture.text();
    EXPECT_FALSE(ingester.Finish());  // Some lines were rejected.
  }
  EXPECT_EQ(Normalize(reported), input.expected_report);
  for (int i : input.good) {
    Trace t;
    ASSERT_TRUE(store->GetTrace("t" + std::to_string(i), &t).ok()) << i;
    EXPECT_EQ(t.prompt_tokens, i);
  }
  SessionSummary s1;
  ASSERT_TRUE(store->GetSession("s1", &s1).ok());
  int64_t expected_traces = 0;
  for (int i : input.good) expected_traces += (i % 7 == 1) ? 1 : 0;
  EXPECT_GT(expected_traces, 0);
  EXPECT_EQ(s1.trace_count, expected_traces);
}

TEST(JsonlIngesterTest, AStoreThatFailsStopsTheIngestWithItsError) {
  TempDir dir;
  { ASSERT_NE(testing::OpenOrDie(dir.path()), nullptr); }
  Options options;
  options.read_only = true;
  auto store = testing::OpenOrDie(dir.path(), options);
  ASSERT_NE(store, nullptr);
  const Input input = MakeInput("ro.jsonl", 200);
  JsonlIngester ingester(store.get(), Quiet(2));
  std::istringstream in(input.text);
  Status s;
  CaptureStderr capture;
  const bool streamed = ingester.IngestStream("ro.jsonl", &in, &s);
  if (streamed) s = ingester.Flush();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kNotSupported) << s.ToString();
  EXPECT_EQ(ingester.Flush().code(), Status::Code::kNotSupported);  // It stays failed.
}

TEST(JsonlIngesterTest, DestroyedWithoutFlushNeitherHangsNorWritesThePendingBatch) {
  TempDir dir;
  auto store = testing::OpenOrDie(dir.path());
  ASSERT_NE(store, nullptr);
  {
    JsonlIngester ingester(store.get(), Quiet(1000));
    std::istringstream in(GoodLine(1) + "\n" + GoodLine(2) + "\n");
    Status s;
    ASSERT_TRUE(ingester.IngestStream("x.jsonl", &in, &s));
  }
  Trace t;
  EXPECT_TRUE(store->GetTrace("t1", &t).IsNotFound());
}

}  // namespace
}  // namespace sessionstore
