// Copyright sessionstore authors.

#include "engine/summary_cache.h"

#include <functional>

namespace sessionstore {

namespace {

// A map node's bookkeeping beyond its key and value (libstdc++ red-black
// tree node; an estimate).
constexpr std::size_t kMapNodeBytes = 48;
// The entry's list node, hash-map node and bucket (estimate).
constexpr std::size_t kEntryBytes = 96;

std::size_t StringBytes(const std::string& s) {
  // Short strings live inside the object.
  return s.capacity() > 15 ? s.capacity() + 1 : 0;
}

}  // namespace

SummaryCache::SummaryCache(std::size_t capacity_bytes)
    : capacity_(capacity_bytes), shard_capacity_(capacity_bytes / kShards) {}

std::size_t SummaryCache::ChargeOf(std::string_view prefix, const SessionSummary& s) {
  std::size_t n = kEntryBytes + sizeof(Entry) + prefix.size();
  n += StringBytes(s.session_id) + StringBytes(s.session_name) + StringBytes(s.user_id);
  n += StringBytes(s.first_input.value) + StringBytes(s.last_output.value);
  for (const auto& [name, usage] : s.models) {
    n += kMapNodeBytes + sizeof(name) + sizeof(usage) + StringBytes(name);
  }
  for (const auto& [tag, count] : s.tags) {
    n += kMapNodeBytes + sizeof(tag) + sizeof(count) + StringBytes(tag);
  }
  return n;
}

uint64_t SummaryCache::HashOf(std::string_view prefix) {
  return std::hash<std::string_view>()(prefix) | 1;  // Never 0 (an empty door slot).
}

SummaryCache::Shard& SummaryCache::ShardOf(uint64_t hash) const {
  return shards_[ShardIndexOf(hash)];
}

SummaryCache::DoorPlace SummaryCache::DoorPlaceOf(std::string_view prefix) {
  const uint64_t hash = HashOf(prefix);
  return {ShardIndexOf(hash), FirstSlotOf(hash), SecondSlotOf(hash)};
}

bool SummaryCache::Lookup(std::string_view prefix, SessionSummary* summary) const {
  if (!enabled()) return false;
  Shard& shard = ShardOf(HashOf(prefix));
  std::lock_guard<std::mutex> l(shard.mu);
  auto it = shard.map.find(prefix);
  if (it == shard.map.end()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  *summary = it->second->summary;
  return true;
}

uint64_t SummaryCache::Ticket(std::string_view prefix) const {
  if (!enabled()) return 0;
  return ShardOf(HashOf(prefix)).generation.load(std::memory_order_acquire);
}

void SummaryCache::Insert(std::string_view prefix, uint64_t ticket, const SessionSummary& summary) {
  if (!enabled()) return;
  const uint64_t hash = HashOf(prefix);
  Shard& shard = ShardOf(hash);
  {
    std::lock_guard<std::mutex> l(shard.mu);
    uint64_t& first = shard.door[FirstSlotOf(hash)];
    uint64_t& second = shard.door[SecondSlotOf(hash)];
    if (first != hash && second != hash) {  // A first read: mark it, copy nothing.
      if (first == 0) {
        first = hash;
      } else if (second == 0) {
        second = hash;
      } else {
        uint64_t& x = shard.victim_state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        ((x & 1) != 0 ? first : second) = hash;
      }
      return;
    }
  }
  const std::size_t charge = ChargeOf(prefix, summary);
  if (charge > shard_capacity_) return;
  std::lock_guard<std::mutex> l(shard.mu);
  // Invalidations take the mutex to bump the generation: under it, an
  // unchanged generation means no write to this shard's sessions became
  // visible after the ticket was taken.
  if (shard.generation.load(std::memory_order_relaxed) != ticket) return;
  auto it = shard.map.find(prefix);
  if (it != shard.map.end()) {
    shard.charge -= it->second->charge;
    shard.lru.erase(it->second);
    shard.map.erase(it);
  }
  EvictLocked(&shard, charge);
  shard.lru.push_front(Entry{std::string(prefix), summary, charge});
  shard.map.emplace(shard.lru.front().prefix, shard.lru.begin());
  shard.charge += charge;
}

void SummaryCache::Invalidate(std::string_view prefix) {
  if (!enabled()) return;
  Shard& shard = ShardOf(HashOf(prefix));
  std::lock_guard<std::mutex> l(shard.mu);
  shard.generation.fetch_add(1, std::memory_order_release);
  auto it = shard.map.find(prefix);
  if (it == shard.map.end()) return;
  shard.charge -= it->second->charge;
  shard.lru.erase(it->second);
  shard.map.erase(it);
}

void SummaryCache::InvalidateAll() {
  if (!enabled()) return;
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> l(shard.mu);
    shard.generation.fetch_add(1, std::memory_order_release);
    shard.map.clear();
    shard.lru.clear();
    shard.charge = 0;
  }
}

void SummaryCache::EvictLocked(Shard* shard, std::size_t room) {
  while (!shard->lru.empty() && shard->charge + room > shard_capacity_) {
    Entry& victim = shard->lru.back();
    shard->charge -= victim.charge;
    shard->map.erase(victim.prefix);
    shard->lru.pop_back();
  }
}

std::size_t SummaryCache::charge() const {
  std::size_t n = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard<std::mutex> l(shard.mu);
    n += shard.charge;
  }
  return n;
}

}  // namespace sessionstore
