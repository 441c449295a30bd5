// Copyright sessionstore authors.
//
// SummaryCache: folded session summaries kept in memory, so that a session
// read again (a listing page shown again, a session polled) skips the
// aggregate's merge operands. Right after ingest an aggregate is a chain
// of operands spread over the memtable and several level-0 tables, and
// folding it costs about 12 us per session (bench/README.md); a hit costs
// a hash lookup and a copy.
//
// Exactness: every write that changes a session's aggregate or traces
// (TraceWriter::Commit, StoreDeleter) calls Invalidate after the write is
// visible and before it is acknowledged, so a reader that starts after an
// acknowledged write never sees an older summary. A reader fills the cache
// with a ticket taken before its read snapshot: Insert refuses the entry
// if the session's shard was invalidated since, so a summary read before a
// write can never be cached after it.
//
// Used by GetSession and ListSessions rows, each a read of its own; Verify,
// the upgrade and the indexer's exact rows read the store itself.
//
// Admission: a session is cached from its second read on. The first
// Insert of a session only marks it in a small table of recent first
// reads (a doorkeeper, 8 KB per shard); the next Insert of a marked
// session caches it. A session may take either of two slots: an empty one,
// else one of the two at random, so that two sessions read in turn that
// share a slot (about one listing page of 50 rows in 14) do not take each
// other's mark forever; a mark can so be overwritten by another session's. A
// session read once (most rows of a listing, a random lookup) so costs no
// copy into the cache (measured: a first GetSession 19-20 us with the copy,
// 7 us without; bench/README.md, "Cache admission, operand slices, the
// aggregates' memtable").
//
// Memory: at most `capacity_bytes` (approximate: strings, maps and the
// entry's bookkeeping) plus the doorkeepers, least recently used entries
// evicted first. A capacity of 0 disables the cache.
//
// Thread safety: every method may be called concurrently (16 shards, each
// with its own mutex).

#ifndef SESSIONSTORE_ENGINE_SUMMARY_CACHE_H_
#define SESSIONSTORE_ENGINE_SUMMARY_CACHE_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sessionstore/session.h"

namespace sessionstore {

class SummaryCache {
 public:
  explicit SummaryCache(std::size_t capacity_bytes);
  SummaryCache(const SummaryCache&) = delete;
  SummaryCache& operator=(const SummaryCache&) = delete;

  bool enabled() const { return capacity_ > 0; }

  // Copies the cached summary of the session `prefix` (session_prefix,
  // engine/format/keys.h) into *summary and returns true; false on a miss
  // (*summary untouched).
  bool Lookup(std::string_view prefix, SessionSummary* summary) const;

  // A ticket for a later Insert of `prefix`; take it before the snapshot
  // of the read whose result will be inserted.
  uint64_t Ticket(std::string_view prefix) const;

  // Caches `summary` for `prefix` unless the shard was invalidated since
  // `ticket` was taken (or the entry alone exceeds a shard's capacity), or
  // the session is not marked (its first Insert, or another session's
  // mark took its slot; see Admission above): then it only marks it.
  void Insert(std::string_view prefix, uint64_t ticket, const SessionSummary& summary);

  // Drops the session's entry and refuses inserts of reads that started
  // before. Call after a write that changes the session is visible.
  void Invalidate(std::string_view prefix);

  // Invalidate for every session (a write whose sessions are not known).
  void InvalidateAll();

  // Approximate bytes held; for stats and tests.
  std::size_t charge() const;
  // Lookups answered and not answered since construction (0 while disabled).
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

  // Approximate memory of one cached summary (its key included).
  static std::size_t ChargeOf(std::string_view prefix, const SessionSummary& summary);

  // Where a session's marks go: its shard and its two doorkeeper slots (for
  // tests that need sessions sharing a slot).
  struct DoorPlace {
    std::size_t shard, first, second;
  };
  static DoorPlace DoorPlaceOf(std::string_view prefix);

 private:
  static constexpr std::size_t kShards = 16;
  static constexpr std::size_t kDoorSlots = 1024;  // Per shard.
  struct Entry {
    std::string prefix;
    SessionSummary summary;
    std::size_t charge = 0;
  };
  struct Shard {
    mutable std::mutex mu;
    std::atomic<uint64_t> generation{0};
    std::list<Entry> lru;  // Most recently used first.
    std::unordered_map<std::string_view, std::list<Entry>::iterator> map;
    std::size_t charge = 0;
    // Marks of sessions inserted once: a hash of the prefix (never 0) in
    // the slot its hash selects; 0 is an empty slot.
    std::array<uint64_t, kDoorSlots> door{};
    uint64_t victim_state = 0x9e3779b97f4a7c15;  // xorshift64: the slot a mark takes.
  };

  static uint64_t HashOf(std::string_view prefix);
  static std::size_t ShardIndexOf(uint64_t hash) { return (hash >> 1) % kShards; }
  static std::size_t FirstSlotOf(uint64_t hash) { return (hash >> 5) % kDoorSlots; }
  static std::size_t SecondSlotOf(uint64_t hash) { return (hash >> 15) % kDoorSlots; }
  Shard& ShardOf(uint64_t hash) const;
  void EvictLocked(Shard* shard, std::size_t room);

  const std::size_t capacity_;
  const std::size_t shard_capacity_;
  mutable std::array<Shard, kShards> shards_;
  mutable std::atomic<uint64_t> hits_{0};
  mutable std::atomic<uint64_t> misses_{0};
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_SUMMARY_CACHE_H_
