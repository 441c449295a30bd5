// Copyright sessionstore authors.

#include "engine/aggregate/latest_register.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::kSec;
using testing::kT0;
using testing::LlmSpan;
using testing::MakeTrace;

// Soundness of the latest register against brute force: random traces whose
// starts move earlier, their offers and retractions grouped at random (as
// partial merges do); whenever the register claims to be exact it must name
// the true latest trace.
TEST(LatestRegisterTest, ExactWheneverItSaysSo) {
  std::mt19937_64 rng(99);
  int exact_answers = 0;
  for (int round = 0; round < 2000; ++round) {
    std::map<std::string, int64_t> live;  // trace id -> start
    std::map<std::string, uint64_t> versions;
    std::vector<LatestRegister> ops;  // One per write, in write order.
    const int writes = 1 + static_cast<int>(rng() % 12);
    for (int w = 0; w < writes; ++w) {
      const std::string id = "t" + std::to_string(rng() % 4);
      LatestRegister op;
      auto it = live.find(id);
      int64_t start = static_cast<int64_t>(rng() % 20);
      if (it != live.end()) {
        start = std::min(start, it->second);  // Starts only move earlier.
        if (start != it->second) op.Retract(it->second, id);
      }
      live[id] = start;
      const uint64_t version = ++versions[id];
      op.Offer(start, id, version, Payload{id + "@" + std::to_string(version), false});
      ops.push_back(op);
    }
    // Group consecutive writes at random, then fold the groups in order.
    LatestRegister state;
    std::size_t i = 0;
    while (i < ops.size()) {
      const std::size_t len = 1 + rng() % 3;
      LatestRegister group;
      for (std::size_t j = i; j < std::min(ops.size(), i + len); ++j) group.Then(ops[j]);
      state.Then(group);
      i += len;
    }
    std::pair<int64_t, std::string> truth{-1, ""};
    for (const auto& [id, start] : live) truth = std::max(truth, std::make_pair(start, id));
    if (state.Exact()) {
      ++exact_answers;
      ASSERT_TRUE(state.has_best);
      EXPECT_EQ(state.start_ns, truth.first) << round;
      EXPECT_EQ(state.trace_id, truth.second) << round;
      EXPECT_EQ(state.value.value, truth.second + "@" + std::to_string(versions[truth.second]));
    }
  }
  // Most histories end exact; the rest fall back to the stored traces.
  EXPECT_GT(exact_answers, 1000);
}

TEST(LatestRegisterTest, UnsureUntilAKeyAboveTheFloorArrives) {
  LatestRegister r;
  EXPECT_TRUE(r.Exact());  // Known to be empty.
  LatestRegister s;
  s.Offer(10, "b", 1, Payload{"y", false});
  s.Retract(10, "b");
  EXPECT_FALSE(s.Exact());
  s.Offer(4, "b", 2, Payload{"y", false});
  EXPECT_FALSE(s.Exact());  // Another trace may lie between 4 and 10.
  s.Offer(11, "c", 1, Payload{"z", false});
  EXPECT_TRUE(s.Exact());
  EXPECT_EQ(s.trace_id, "c");
}

}  // namespace
}  // namespace sessionstore
