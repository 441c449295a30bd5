// Copyright sessionstore authors.
//
// MemorySampler keeps the sample with the largest resident set, whatever
// order the samples come in; it skips samples that cannot be read; and on
// a real store it reads the figures GetStats gives.

#include "tools/memory_sampler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sessionstore/store.h"

namespace sessionstore {
namespace {

using std::chrono::milliseconds;

TEST(MemorySamplerTest, KeepsTheSampleWithTheLargestResidentSet) {
  // Resident sets 10, 30, 20, 30, 5, ... : the first 30 is the peak.
  const std::vector<uint64_t> resident = {10, 30, 20, 30, 5};
  std::atomic<std::size_t> calls{0};
  MemorySampler sampler(
      [&](MemorySample* s) {
        const std::size_t i = calls.fetch_add(1);
        s->resident = i < resident.size() ? resident[i] : 1;
        s->memtables = i;  // Tells the samples apart.
        return true;
      },
      milliseconds(1));
  while (calls.load() < resident.size() + 2) std::this_thread::sleep_for(milliseconds(1));
  sampler.Stop();
  EXPECT_EQ(sampler.AtPeak().resident, 30u);
  EXPECT_EQ(sampler.AtPeak().memtables, 1u);
  EXPECT_EQ(sampler.samples(), calls.load());
  sampler.Stop();  // Idempotent.
}

TEST(MemorySamplerTest, SkipsSamplesThatCannotBeRead) {
  std::atomic<int> calls{0};
  MemorySampler sampler(
      [&](MemorySample* s) {
        const int i = calls.fetch_add(1);
        s->resident = 100 + static_cast<uint64_t>(i);
        return i % 2 == 1;  // Every other read fails.
      },
      milliseconds(1));
  while (calls.load() < 6) std::this_thread::sleep_for(milliseconds(1));
  sampler.Stop();
  const int n = calls.load();
  EXPECT_EQ(sampler.samples(), static_cast<uint64_t>(n / 2));
  EXPECT_EQ(sampler.AtPeak().resident % 2, 1u) << "a failed read's figures were kept";
}

TEST(MemorySamplerTest, ReadsTheResidentSetAndTheStoresFigures) {
  EXPECT_GT(MemorySampler::ResidentBytes(), 0u);
  const std::string dir =
      (std::filesystem::temp_directory_path() / "memory_sampler_test_store").string();
  std::filesystem::remove_all(dir);
  Options o;
  o.index_interval_ms = 0;  // The deltas stay pending until a catch-up.
  std::unique_ptr<Store> store;
  ASSERT_TRUE(Store::Open(o, dir, &store).ok());
  std::vector<Trace> traces(1);
  traces[0].trace_id = "t1";
  traces[0].session_id = "s1";
  traces[0].start_ns = 1'000'000'000;
  traces[0].end_ns = 2'000'000'000;
  IngestResult result;
  ASSERT_TRUE(store->Ingest(traces, &result).ok());
  // Samples when made and at Stop, both after the ingest.
  MemorySampler sampler(store.get(), milliseconds(60000));
  sampler.Stop();
  EXPECT_EQ(sampler.samples(), 2u);
  const MemorySample m = sampler.AtPeak();
  EXPECT_GT(m.resident, 0u);
  EXPECT_GT(m.memtables, 0u);
  EXPECT_GT(m.pending_deltas, 0u) << "no catch-up ran: the batch's deltas are pending";
  EXPECT_EQ(m.session_indexes, 0u) << "nothing listed: the indexes are not loaded";
  store.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sessionstore
