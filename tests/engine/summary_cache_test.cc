// Copyright sessionstore authors.

#include "engine/summary_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace sessionstore {
namespace {

SessionSummary Summary(const std::string& id, int64_t traces) {
  SessionSummary s;
  s.session_id = id;
  s.trace_count = traces;
  s.last_output.value = std::string(200, 'o');
  s.models["gpt-4o"].calls = traces;
  s.tags["vip"] = traces;
  return s;
}

// Inserts twice: the first Insert of a session only marks it.
void Admit(SummaryCache* cache, const std::string& prefix, const SessionSummary& s) {
  cache->Insert(prefix, cache->Ticket(prefix), s);
  cache->Insert(prefix, cache->Ticket(prefix), s);
}

TEST(SummaryCacheTest, HitAfterInsertMissAfterInvalidate) {
  SummaryCache cache(1 << 20);
  SessionSummary out;
  EXPECT_FALSE(cache.Lookup("p1", &out));
  Admit(&cache, "p1", Summary("s1", 3));
  ASSERT_TRUE(cache.Lookup("p1", &out));
  EXPECT_EQ(out, Summary("s1", 3));
  EXPECT_FALSE(cache.Lookup("p2", &out));
  cache.Invalidate("p1");
  EXPECT_FALSE(cache.Lookup("p1", &out));
  EXPECT_EQ(cache.charge(), 0u);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 3u);
  // Still marked after the invalidation: the next read caches it again.
  cache.Insert("p1", cache.Ticket("p1"), Summary("s1", 4));
  ASSERT_TRUE(cache.Lookup("p1", &out));
  EXPECT_EQ(out.trace_count, 4);
}

TEST(SummaryCacheTest, TheFirstInsertOfASessionOnlyMarksIt) {
  SummaryCache cache(1 << 20);
  SessionSummary out;
  cache.Insert("p1", cache.Ticket("p1"), Summary("s1", 1));
  EXPECT_FALSE(cache.Lookup("p1", &out));
  EXPECT_EQ(cache.charge(), 0u);
  cache.Insert("p2", cache.Ticket("p2"), Summary("s2", 1));  // Another session's mark.
  cache.Insert("p1", cache.Ticket("p1"), Summary("s1", 2));
  ASSERT_TRUE(cache.Lookup("p1", &out));
  EXPECT_EQ(out.trace_count, 2);
  EXPECT_FALSE(cache.Lookup("p2", &out));
  EXPECT_EQ(cache.charge(), SummaryCache::ChargeOf("p1", Summary("s1", 2)));
}

TEST(SummaryCacheTest, ASessionWhoseMarkWasTakenIsMarkedAgain) {
  // Find a session whose mark takes p1's slot: after it, p1's next Insert
  // only marks p1 again (a later admission, never a wrong entry).
  SummaryCache probe(1 << 20);
  SessionSummary out;
  probe.Insert("p1", probe.Ticket("p1"), Summary("s1", 1));  // Marks p1.
  std::string rival;
  for (int i = 0; i < 1'000'000 && rival.empty(); ++i) {
    const std::string q = "q" + std::to_string(i);
    probe.Insert(q, probe.Ticket(q), Summary("s", 1));  // Marks q.
    probe.Insert("p1", probe.Ticket("p1"), Summary("s1", 1));
    if (probe.Lookup("p1", &out)) {
      probe.Invalidate("p1");  // p1 still marked: drop its entry, try the next.
    } else {
      rival = q;  // q took p1's mark; that Insert marked p1 again.
    }
  }
  ASSERT_FALSE(rival.empty());
  SummaryCache cache(1 << 20);
  cache.Insert("p1", cache.Ticket("p1"), Summary("s1", 1));
  cache.Insert(rival, cache.Ticket(rival), Summary("s", 1));
  cache.Insert("p1", cache.Ticket("p1"), Summary("s1", 2));
  EXPECT_FALSE(cache.Lookup("p1", &out));
  cache.Insert("p1", cache.Ticket("p1"), Summary("s1", 3));
  ASSERT_TRUE(cache.Lookup("p1", &out));
  EXPECT_EQ(out.trace_count, 3);
}

TEST(SummaryCacheTest, InsertWithATicketOlderThanAnInvalidationIsRefused) {
  SummaryCache cache(1 << 20);
  cache.Insert("p1", cache.Ticket("p1"), Summary("s1", 0));  // Marks p1.
  const uint64_t ticket = cache.Ticket("p1");
  cache.Invalidate("p1");  // A write became visible after the ticket.
  cache.Insert("p1", ticket, Summary("s1", 1));
  SessionSummary out;
  EXPECT_FALSE(cache.Lookup("p1", &out));
  cache.Insert("p1", cache.Ticket("p1"), Summary("s1", 2));
  ASSERT_TRUE(cache.Lookup("p1", &out));
  EXPECT_EQ(out.trace_count, 2);
}

TEST(SummaryCacheTest, InsertReplacesAndChargesOnce) {
  SummaryCache cache(1 << 20);
  Admit(&cache, "p1", Summary("s1", 1));
  const std::size_t one = cache.charge();
  EXPECT_EQ(one, SummaryCache::ChargeOf("p1", Summary("s1", 1)));
  cache.Insert("p1", cache.Ticket("p1"), Summary("s1", 2));
  EXPECT_EQ(cache.charge(), one);
  SessionSummary out;
  ASSERT_TRUE(cache.Lookup("p1", &out));
  EXPECT_EQ(out.trace_count, 2);
}

TEST(SummaryCacheTest, StaysWithinCapacityAndEvictsLeastRecentlyUsed) {
  const std::size_t each = SummaryCache::ChargeOf("p-000", Summary("s-000", 1));
  const std::size_t capacity = each * 16 * 4;  // About 4 per shard.
  SummaryCache cache(capacity);
  for (int i = 0; i < 1000; ++i) {
    char p[8];
    std::snprintf(p, sizeof p, "p-%03d", i);
    Admit(&cache, p, Summary(p, i));
    EXPECT_LE(cache.charge(), capacity);
  }
  int held = 0;
  SessionSummary out;
  for (int i = 0; i < 1000; ++i) {
    char p[8];
    std::snprintf(p, sizeof p, "p-%03d", i);
    if (cache.Lookup(p, &out)) {
      ++held;
      EXPECT_EQ(out.trace_count, i);
    }
  }
  EXPECT_GT(held, 16);
  EXPECT_LE(held, 16 * 4);
  // The newest entry of a shard survives; the oldest are gone.
  EXPECT_TRUE(cache.Lookup("p-999", &out));
  EXPECT_FALSE(cache.Lookup("p-000", &out));
}

TEST(SummaryCacheTest, DisabledCacheHoldsNothing) {
  SummaryCache cache(0);
  EXPECT_FALSE(cache.enabled());
  Admit(&cache, "p1", Summary("s1", 1));
  SessionSummary out;
  EXPECT_FALSE(cache.Lookup("p1", &out));
  EXPECT_EQ(cache.charge(), 0u);
}

TEST(SummaryCacheTest, InvalidateAllDropsEverything) {
  SummaryCache cache(1 << 20);
  cache.Insert("p2", cache.Ticket("p2"), Summary("s2", 0));  // Marks p2.
  const uint64_t ticket = cache.Ticket("p2");
  Admit(&cache, "p1", Summary("s1", 1));
  ASSERT_GT(cache.charge(), 0u);
  cache.InvalidateAll();
  cache.Insert("p2", ticket, Summary("s2", 1));
  SessionSummary out;
  EXPECT_FALSE(cache.Lookup("p1", &out));
  EXPECT_FALSE(cache.Lookup("p2", &out));
  EXPECT_EQ(cache.charge(), 0u);
}

// The protocol of the store: a writer publishes a new version of a session
// and then invalidates it; readers take a ticket, read the published
// version, and insert. Once a writer has invalidated version v, no reader
// may find an older version.
TEST(SummaryCacheTest, NoReaderSeesAnOlderVersionThanTheLastInvalidated) {
  SummaryCache cache(1 << 20);
  constexpr int kSessionCount = 8;
  std::vector<std::atomic<int64_t>> published(kSessionCount);
  std::vector<std::atomic<int64_t>> acknowledged(kSessionCount);
  for (int i = 0; i < kSessionCount; ++i) {
    published[i] = 0;
    acknowledged[i] = 0;
  }
  std::atomic<bool> stop{false};
  std::atomic<int> stale{0};
  auto prefix = [](int i) { return "p" + std::to_string(i); };
  std::thread writer([&] {
    for (int round = 1; round <= 20000; ++round) {
      const int i = round % kSessionCount;
      published[i].store(round);  // The write becomes visible.
      cache.Invalidate(prefix(i));
      acknowledged[i].store(round);  // Ingest returns.
    }
    stop = true;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      for (int n = 0; !stop; ++n) {
        const int i = (n + r) % kSessionCount;
        const int64_t floor = acknowledged[i].load();
        SessionSummary s;
        if (cache.Lookup(prefix(i), &s)) {
          if (s.trace_count < floor) ++stale;
          continue;
        }
        const uint64_t ticket = cache.Ticket(prefix(i));
        cache.Insert(prefix(i), ticket, Summary("s", published[i].load()));
      }
    });
  }
  writer.join();
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(stale.load(), 0);
}

}  // namespace
}  // namespace sessionstore
