// Copyright sessionstore authors.
//
// Helpers shared by the engine tests.

#ifndef SESSIONSTORE_TESTS_ENGINE_TEST_UTIL_H_
#define SESSIONSTORE_TESTS_ENGINE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <rocksdb/db.h>

#include <vector>

#include "engine/aggregate/session_merge_operator.h"
#include "engine/column_families.h"
#include "engine/rocksdb_options.h"
#include "engine/store_impl.h"
#include "sessionstore/json.h"
#include "sessionstore/store.h"
#include "tools/output_json.h"

namespace sessionstore {
// Readable gtest output for the value types (JSON).
inline void PrintTo(const Trace& t, std::ostream* os) {
  std::string s;
  AppendTraceJson(t, &s);
  *os << s;
}
inline void PrintTo(const SessionSummary& v, std::ostream* os) {
  std::string s;
  AppendSessionJson(v, &s);
  *os << s << " first_input.is_json=" << v.first_input.is_json
      << " last_output.is_json=" << v.last_output.is_json << " ttft_sum=" << v.ttft_sum_ns;
}
}  // namespace sessionstore

namespace sessionstore::testing {

// A fresh directory under the test temp root, removed on destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const char* root = std::getenv("SESSIONSTORE_TEST_TMPDIR");
    std::filesystem::path base = root ? root : std::filesystem::temp_directory_path();
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "t";
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    path_ =
        base / ("ss-" + std::to_string(::getpid()) + "-" + name + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// Internal options for a store that leaves its dirty markers on disk when
// it closes, as a crash before a catch-up would.
inline InternalOptions SkipCatchUpOnClose() {
  InternalOptions crash;
  crash.TEST_skip_index_catch_up_on_close = true;
  return crash;
}

// A store without the background catch-up: every session delta stays
// pending until a listing (or another call that catches up) runs.
inline Options NoBackgroundCatchUp() {
  Options options;
  options.index_interval_ms = 0;
  return options;
}

inline std::unique_ptr<Store> OpenOrDie(const std::string& path, Options options = Options(),
                                        InternalOptions internal = InternalOptions()) {
  options.block_cache_bytes = 8u << 20;
  options.write_buffer_bytes = 4u << 20;
  std::unique_ptr<Store> store;
  Status s = StoreImpl::Open(options, path, internal, &store);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return store;
}

inline constexpr int64_t kSec = 1'000'000'000;
inline constexpr int64_t kT0 = 1'700'000'000 * kSec;

inline Span LlmSpan(std::string id, int64_t start, int64_t prompt, int64_t completion,
                    int64_t cost_nano, std::string model = "gpt-4o") {
  Span s;
  s.span_id = std::move(id);
  s.kind = SpanKind::kLlm;
  s.start_ns = start;
  s.end_ns = start + kSec;
  s.model = std::move(model);
  s.prompt_tokens = prompt;
  s.completion_tokens = completion;
  s.cost_nano_usd = cost_nano;
  return s;
}

inline Trace MakeTrace(std::string id, std::string session, int64_t start) {
  Trace t;
  t.trace_id = std::move(id);
  t.session_id = std::move(session);
  t.start_ns = start;
  return t;
}

inline IngestResult IngestOrDie(Store* store, const std::vector<Trace>& traces) {
  IngestResult r;
  Status s = store->Ingest(traces, &r);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return r;
}

inline SessionSummary GetSessionOrDie(Store* store, const std::string& id) {
  SessionSummary s;
  Status st = store->GetSession(id, &s);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return s;
}

inline void ExpectVerifyClean(Store* store) {
  VerifyReport report;
  ASSERT_TRUE(store->Verify(&report).ok());
  for (const auto& m : report.mismatches) ADD_FAILURE() << m;
}

// A chat turn: input, output, two seconds, one LLM span.
inline Trace Turn(const std::string& id, const std::string& session, int64_t start,
                  const std::string& input, const std::string& output) {
  Trace t = MakeTrace(id, session, start);
  t.input = Payload{input, false};
  t.output = Payload{output, false};
  t.end_ns = start + 2 * kSec;
  t.spans = {LlmSpan(id + "-llm", start, 100, 20, 1500)};
  return t;
}

// Opens a closed store's families with bare RocksDB and applies `edit`
// (tests that damage a store or write what an older format left).
template <typename Edit>
void EditRawStore(const std::string& path, Edit edit) {
  rocksdb::DBOptions o = MakeDBOptions(Options());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(
                  o, path, MakeColumnFamilies(Options(), std::make_shared<SessionMergeOperator>()),
                  &handles, &raw)
                  .ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  edit(db.get(), ColumnFamilies::FromHandles(handles));
  for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
}

}  // namespace sessionstore::testing

#endif  // SESSIONSTORE_TESTS_ENGINE_TEST_UTIL_H_
