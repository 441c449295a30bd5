// Copyright sessionstore authors.

#include "engine/summary_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <map>
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

// First reads of `n` sessions that no test reads again: they fill every
// doorkeeper slot, so that later marks overwrite marks.
void MarkMany(SummaryCache* cache, int n) {
  for (int i = 0; i < n; ++i) {
    const std::string q = "fill" + std::to_string(i);
    cache->Insert(q, cache->Ticket(q), Summary("s", 1));
  }
}

TEST(SummaryCacheTest, ASessionWhoseMarkWasTakenIsMarkedAgain) {
  // p1's mark is overwritten by later first reads (300K over 16K slots:
  // each slot is taken many times), so p1's next Insert only marks it
  // again: a later admission, never a wrong entry.
  SummaryCache cache(1 << 20);
  SessionSummary out;
  cache.Insert("p1", cache.Ticket("p1"), Summary("s1", 1));  // Marks p1.
  MarkMany(&cache, 300'000);
  cache.Insert("p1", cache.Ticket("p1"), Summary("s1", 2));
  EXPECT_FALSE(cache.Lookup("p1", &out));
  cache.Insert("p1", cache.Ticket("p1"), Summary("s1", 3));
  ASSERT_TRUE(cache.Lookup("p1", &out));
  EXPECT_EQ(out.trace_count, 3);
}

TEST(SummaryCacheTest, TwoSessionsSharingASlotAreBothCachedWhenReadInTurn) {
  // Two sessions of one shard with the same first slot (and different
  // second ones), read in turn once every slot is taken: with one slot per
  // session, each read took the other's mark and neither was ever cached.
  std::map<std::pair<std::size_t, std::size_t>, std::string> seen;
  std::string p, q;
  for (int i = 0; q.empty(); ++i) {
    const std::string c = "pair" + std::to_string(i);
    const SummaryCache::DoorPlace d = SummaryCache::DoorPlaceOf(c);
    auto [it, fresh] = seen.emplace(std::make_pair(d.shard, d.first), c);
    if (!fresh && SummaryCache::DoorPlaceOf(it->second).second != d.second) {
      p = it->second;
      q = c;
    }
  }
  SummaryCache cache(1 << 20);
  MarkMany(&cache, 300'000);
  SessionSummary out;
  int rounds = 0;
  for (; rounds < 64 && !(cache.Lookup(p, &out) && cache.Lookup(q, &out)); ++rounds) {
    cache.Insert(p, cache.Ticket(p), Summary("p", 1));
    cache.Insert(q, cache.Ticket(q), Summary("q", 1));
  }
  EXPECT_TRUE(cache.Lookup(p, &out));
  EXPECT_TRUE(cache.Lookup(q, &out));
  EXPECT_LT(rounds, 64);
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
