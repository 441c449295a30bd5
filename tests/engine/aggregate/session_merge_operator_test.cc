// Copyright sessionstore authors.

#include "engine/aggregate/session_merge_operator.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>

#include "engine/aggregate/session_delta.h"
#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::kSec;
using testing::kT0;

SessionDelta RandomDelta(std::mt19937_64* rng) {
  std::uniform_int_distribution<int> small(-3, 3);
  std::uniform_int_distribution<int> pick(0, 4);
  SessionDelta d;
  d.trace_count = small(*rng);
  d.error_count = small(*rng);
  d.span_count = small(*rng);
  d.prompt_tokens = small(*rng) * 100;
  d.completion_tokens = small(*rng) * 10;
  d.cost_nano_usd = small(*rng) * 12345;
  d.ttft_sum_ns = small(*rng) * 1000;
  d.ttft_count = small(*rng);
  if (pick(*rng) < 3) {
    d.has_first = true;
    d.first_start_ns = kT0 + pick(*rng) * kSec;
    d.first_trace_id = "t" + std::to_string(pick(*rng));
    d.first_version = static_cast<uint64_t>(pick(*rng));
    d.first_input = Payload{"in" + d.first_trace_id + std::to_string(d.first_version), false};
  }
  if (pick(*rng) < 3) {
    d.has_max_end = true;
    d.max_end_ns = kT0 + pick(*rng) * kSec;
  }
  for (LatestRegister* r : {&d.last, &d.last_user, &d.last_name}) {
    if (pick(*rng) < 2) r->Retract(kT0 + pick(*rng) * kSec, "t" + std::to_string(pick(*rng)));
    if (pick(*rng) < 3) {
      r->Offer(kT0 + pick(*rng) * kSec, "t" + std::to_string(pick(*rng)),
               static_cast<uint64_t>(pick(*rng)), Payload{"v" + std::to_string(pick(*rng)), false});
    }
  }
  for (int i = pick(*rng); i > 0; --i) {
    ModelUsage u{small(*rng), small(*rng), small(*rng), small(*rng)};
    std::string name = "m" + std::to_string(pick(*rng));
    // Route through Add so the delta is canonical (no all-zero entries).
    SessionDelta m;
    m.models[name] = u;
    SessionDelta tmp;
    tmp.Add(m);
    d.Add(tmp);
  }
  for (int i = pick(*rng); i > 0; --i) {
    SessionDelta t;
    t.tags["tag" + std::to_string(pick(*rng))] = 1 + pick(*rng);
    d.Add(t);
  }
  return d;
}

std::string FullMerge(const SessionMergeOperator& op, const std::string* base,
                      const std::vector<std::string>& operands) {
  std::vector<rocksdb::Slice> slices(operands.begin(), operands.end());
  rocksdb::Slice existing;
  if (base) existing = *base;
  rocksdb::Slice existing_operand;
  std::string result;
  rocksdb::MergeOperator::MergeOperationInput in("key", base ? &existing : nullptr, slices,
                                                 nullptr);
  rocksdb::MergeOperator::MergeOperationOutput out(result, existing_operand);
  EXPECT_TRUE(op.FullMergeV2(in, &out));
  return result;
}

// Random deltas under random groupings of partial merges equal one full
// merge of all operands, byte for byte (operand order is kept, as RocksDB
// does).
TEST(SessionMergeOperatorTest, PartialMergesInAnyGroupingEqualOneFullMerge) {
  SessionMergeOperator op;
  std::mt19937_64 rng(12345);
  for (int round = 0; round < 300; ++round) {
    const int n = 1 + static_cast<int>(rng() % 12);
    std::vector<std::string> operands;
    for (int i = 0; i < n; ++i) operands.push_back(RandomDelta(&rng).Encode());
    std::string base_storage = RandomDelta(&rng).Encode();
    const std::string* base = (rng() % 2) ? &base_storage : nullptr;
    const std::string want = FullMerge(op, base, operands);

    // Collapse random contiguous runs with PartialMergeMulti, repeatedly.
    std::vector<std::string> grouped = operands;
    while (grouped.size() > 1 && rng() % 4 != 0) {
      const std::size_t start = rng() % grouped.size();
      const std::size_t len =
          2 + rng() % (grouped.size() - start > 1 ? grouped.size() - start - 1 : 1);
      const std::size_t end = std::min(grouped.size(), start + len);
      if (end - start < 2) continue;
      std::deque<rocksdb::Slice> run(grouped.begin() + start, grouped.begin() + end);
      std::string merged;
      ASSERT_TRUE(op.PartialMergeMulti("key", run, &merged, nullptr));
      grouped.erase(grouped.begin() + start, grouped.begin() + end);
      grouped.insert(grouped.begin() + start, merged);
    }
    // RocksDB keeps operand order; only the grouping changes.
    EXPECT_EQ(FullMerge(op, base, grouped), want) << "round " << round;
  }
}

TEST(SessionMergeOperatorTest, CorruptOperandFailsTheMerge) {
  SessionMergeOperator op;
  std::vector<rocksdb::Slice> slices = {rocksdb::Slice("not a flatbuffer")};
  std::string result;
  rocksdb::Slice existing_operand;
  rocksdb::MergeOperator::MergeOperationInput in("key", nullptr, slices, nullptr);
  rocksdb::MergeOperator::MergeOperationOutput out(result, existing_operand);
  EXPECT_FALSE(op.FullMergeV2(in, &out));
  std::deque<rocksdb::Slice> run = {rocksdb::Slice("x"), rocksdb::Slice("y")};
  EXPECT_FALSE(op.PartialMergeMulti("key", run, &result, nullptr));
}

}  // namespace
}  // namespace sessionstore
