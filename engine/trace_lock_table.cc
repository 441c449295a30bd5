// Copyright sessionstore authors.

#include "engine/trace_lock_table.h"

#include <algorithm>
#include <utility>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace sessionstore {

namespace {
uint64_t IdHash(std::string_view id) { return XXH3_64bits(id.data(), id.size()); }
}  // namespace

TraceLockTable::Stripe& TraceLockTable::StripeFor(std::string_view id) {
  return stripes_[IdHash(id) % kStripes];
}

TraceLockTable::Guard::Guard(TraceLockTable* table, std::vector<std::string_view> ids)
    : table_(table), ids_(std::move(ids)) {
  // One global order for every batch: no cycle of waiters is possible.
  std::vector<std::pair<uint64_t, std::string_view>> order;
  order.reserve(ids_.size());
  for (std::string_view id : ids_) order.emplace_back(IdHash(id), id);
  std::sort(order.begin(), order.end());
  for (const auto& entry : order) {
    const std::string_view id = entry.second;
    Stripe& stripe = table_->stripes_[entry.first % kStripes];
    std::unique_lock<std::mutex> lock(stripe.mu);
    stripe.released.wait(lock, [&] { return stripe.held.count(id) == 0; });
    stripe.held.insert(id);
  }
}

TraceLockTable::Guard::~Guard() {
  for (std::string_view id : ids_) {
    Stripe& stripe = table_->StripeFor(id);
    {
      std::lock_guard<std::mutex> lock(stripe.mu);
      stripe.held.erase(id);
    }
    stripe.released.notify_all();
  }
}

}  // namespace sessionstore
