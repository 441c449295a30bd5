// Copyright sessionstore authors.
//
// The bad-input corpus (tests/data/bad_input/): one JSON Lines file per
// case, NAME.jsonl, with NAME.expected holding exactly what `sessionstore
// ingest NAME.jsonl` prints on stderr for it (which line, which field, why;
// empty when every line is accepted). Each case runs through the CLI's
// JsonlIngester (LineReader, ParseTraceJson, Store::Ingest) into a fresh
// store; every line not reported must have landed. A few cases too large
// to keep as files (a 33 MiB line, 100,001 spans) are built here.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sessionstore/json.h"
#include "tests/engine/test_util.h"
#include "tests/tools/capture_stderr.h"
#include "tools/jsonl_ingester.h"

namespace sessionstore {
namespace {

namespace fs = std::filesystem;
using testing::CaptureStderr;
using testing::TempDir;

const fs::path kCorpus = fs::path(SESSIONSTORE_SOURCE_DIR) / "tests" / "data" / "bad_input";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Ingests `input` as the file `name` into a fresh store and checks that
// stderr is `expected` and that every line it does not report landed.
void RunCase(const std::string& name, const std::string& input, const std::string& expected) {
  SCOPED_TRACE(name);
  TempDir dir;
  Options options;
  options.index_interval_ms = 0;
  auto store = testing::OpenOrDie(dir.path(), options);
  ASSERT_NE(store, nullptr);
  std::string reported;
  {
    CaptureStderr capture;
    JsonlIngestOptions o;
    o.progress = false;
    JsonlIngester ingester(store.get(), o);
    std::istringstream in(input);
    Status s;
    ASSERT_TRUE(ingester.IngestStream(name, &in, &s)) << s.ToString();
    ASSERT_TRUE(ingester.Flush().ok());
    reported = capture.text();
  }
  EXPECT_EQ(reported, expected);
  // Lines named in the report: "NAME:LINE: ...".
  std::set<std::size_t> rejected;
  std::istringstream report(reported);
  for (std::string l; std::getline(report, l);) {
    rejected.insert(std::stoul(l.substr(name.size() + 1)));
  }
  std::istringstream lines(input);
  std::size_t number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    if (number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    if (rejected.count(number) || line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Trace t, stored;
    ASSERT_TRUE(ParseTraceJson(line, &t).ok()) << "line " << number << " not reported";
    EXPECT_TRUE(store->GetTrace(t.trace_id, &stored).ok()) << "line " << number << " did not land";
  }
  testing::ExpectVerifyClean(store.get());
}

TEST(BadInputCorpusTest, EveryCaseReportsItsExactErrorAndTheGoodLinesLand) {
  std::vector<fs::path> cases;
  for (const auto& e : fs::directory_iterator(kCorpus)) {
    if (e.path().extension() == ".jsonl") cases.push_back(e.path());
  }
  std::sort(cases.begin(), cases.end());
  EXPECT_GE(cases.size(), 70u);  // The corpus as written; a lost file fails here.
  for (const fs::path& path : cases) {
    fs::path expected = path;
    expected.replace_extension(".expected");
    ASSERT_TRUE(fs::exists(expected)) << expected;
    RunCase(path.filename().string(), ReadFile(path), ReadFile(expected));
  }
}

const std::string kGood1 =
    R"({"trace_id":"good-1","session_id":"s","start_time":"2026-01-01T00:00:00Z"})";
const std::string kGood2 =
    R"({"trace_id":"good-2","session_id":"s","start_time":"2026-01-01T00:00:01Z"})";

std::string WithSpans(const std::string& prefix, int spans) {
  std::string line = R"({"trace_id":"bad","session_id":"s","start_time":1,"spans":[)";
  for (int i = 0; i < spans; ++i) {
    if (i > 0) line += ",";
    line += R"({"span_id":")" + prefix + std::to_string(i) + R"("})";
  }
  return line + "]}";
}

TEST(BadInputCorpusTest, LineOverTheLimitIsSkippedAndNamedWithItsSize) {
  const std::string huge(JsonlIngester::kMaxLineBytes + 1024 * 1024, 'x');
  RunCase("huge-line.jsonl", kGood1 + "\n" + huge + "\n" + kGood2 + "\n",
          "huge-line.jsonl:2: line of 34603008 bytes is over the limit of 33554432; skipped\n");
}

TEST(BadInputCorpusTest, TooManySpansAloneAndAfterMerging) {
  RunCase("too-many-spans.jsonl", kGood1 + "\n" + WithSpans("s", 100'001) + "\n" + kGood2 + "\n",
          "too-many-spans.jsonl:2: spans: more than 100000 spans (100001)\n");
  RunCase(
      "too-many-spans-after-merging.jsonl",
      kGood1 + "\n" + WithSpans("a", 60'000) + "\n" + WithSpans("b", 60'000) + "\n" + kGood2 + "\n",
      "too-many-spans-after-merging.jsonl:3: spans: merged with the stored and earlier "
      "versions, the trace would have 120000 spans (limit 100000)\n");
}

}  // namespace
}  // namespace sessionstore
