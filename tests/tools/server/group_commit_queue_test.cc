// Copyright sessionstore authors.

#include "tools/server/group_commit_queue.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/engine/test_util.h"
#include "tests/tools/server/blocking_store.h"

namespace sessionstore {
namespace {

using testing::kT0;
using testing::OpenOrDie;
using testing::TempDir;

Trace MakeTrace(const std::string& id, const std::string& session) {
  Trace t;
  t.trace_id = id;
  t.session_id = session;
  t.start_ns = kT0;
  return t;
}

void WaitForPending(const GroupCommitQueue& queue, std::size_t n) {
  for (int i = 0; i < 5000 && queue.TEST_pending_traces() < n; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(queue.TEST_pending_traces(), n);
}

// While the first batch is held in Ingest, later requests gather and go in
// one batch; each caller gets its own rejections, indexed into its traces.
TEST(GroupCommitQueueTest, ConcurrentRequestsShareOneBatch) {
  TempDir dir;
  auto real = OpenOrDie(dir.path());
  BlockingStore store(real.get());
  GroupCommitQueue queue(&store, GroupCommitOptions());
  std::vector<std::thread> threads;
  std::vector<std::vector<RejectedTrace>> rejected(6);
  threads.emplace_back(
      [&] { ASSERT_TRUE(queue.Submit({MakeTrace("t0", "s")}, &rejected[0]).ok()); });
  store.WaitUntilBlocked();
  for (int i = 1; i < 6; ++i) {
    threads.emplace_back([&, i] {
      Trace bad = MakeTrace("", "s");  // Rejected: no trace id.
      std::vector<Trace> traces = {MakeTrace("t" + std::to_string(i), "s")};
      if (i == 3) traces.push_back(bad);
      ASSERT_TRUE(queue.Submit(traces, &rejected[i]).ok());
    });
  }
  // The five requests (six traces) queue up behind the held batch.
  WaitForPending(queue, 6);
  store.Release();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(queue.batches(), 2u);
  EXPECT_EQ(queue.traces_written(), 7u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(rejected[i].size(), i == 3 ? 1u : 0u) << i;
  }
  EXPECT_EQ(rejected[3][0].index, 1u);
  SessionSummary s;
  ASSERT_TRUE(real->GetSession("s", &s).ok());
  EXPECT_EQ(s.trace_count, 6);
}

TEST(GroupCommitQueueTest, FullQueueIsBusyAndClosedQueueRefuses) {
  TempDir dir;
  auto real = OpenOrDie(dir.path());
  BlockingStore store(real.get());
  GroupCommitOptions options;
  options.max_pending_traces = 2;
  GroupCommitQueue queue(&store, options);
  std::vector<RejectedTrace> r0, r1;
  std::thread held([&] { ASSERT_TRUE(queue.Submit({MakeTrace("a", "s")}, &r0).ok()); });
  store.WaitUntilBlocked();
  std::thread waiting([&] {
    ASSERT_TRUE(queue.Submit({MakeTrace("b", "s"), MakeTrace("c", "s")}, &r1).ok());
  });
  // b and c wait; one more trace is one too many.
  WaitForPending(queue, 2);
  std::vector<RejectedTrace> r2;
  const Status s = queue.Submit({MakeTrace("d", "s")}, &r2);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  store.Release();
  held.join();
  waiting.join();
  queue.Close();
  EXPECT_TRUE(queue.Submit({MakeTrace("e", "s")}, &r2).IsBusy());
}

}  // namespace
}  // namespace sessionstore
