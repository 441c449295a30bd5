// Copyright sessionstore authors.

#include "engine/util/write_batch_pool.h"

#include <algorithm>
#include <utility>

namespace sessionstore {

WriteBatchPool::Lease WriteBatchPool::Acquire(std::size_t reserve_bytes) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!kept_.empty()) {
      // The largest kept batch: if it held less than asked, a new one
      // reserved to size costs no more than growing it would.
      if (kept_.back().held_bytes >= reserve_bytes) {
        std::unique_ptr<rocksdb::WriteBatch> batch = std::move(kept_.back().batch);
        kept_.pop_back();
        return Lease(this, std::move(batch));
      }
    }
  }
  return Lease(this, std::make_unique<rocksdb::WriteBatch>(reserve_bytes));
}

std::size_t WriteBatchPool::idle() const {
  std::lock_guard<std::mutex> l(mu_);
  return kept_.size();
}

void WriteBatchPool::Return(std::unique_ptr<rocksdb::WriteBatch> batch) noexcept {
  // Its buffer's capacity, not the bytes it last held: a batch that held
  // less than the next caller's estimate still has the room it was
  // reserved with, and taking it saves that many fresh pages.
  const std::size_t held = batch->Data().capacity();
  if (held > max_idle_bytes_ || max_idle_ == 0) return;  // Freed.
  // Emptied outside the lock; Clear keeps the buffer (a std::string's
  // capacity) and cannot fail.
  batch->Clear();
  std::unique_ptr<rocksdb::WriteBatch> smallest;  // Freed outside the lock.
  std::lock_guard<std::mutex> l(mu_);
  try {
    if (kept_.size() == max_idle_) {
      if (kept_.front().held_bytes >= held) return;  // Keeps the larger ones.
      smallest = std::move(kept_.front().batch);
      kept_.erase(kept_.begin());
    }
    const auto at = std::lower_bound(
        kept_.begin(), kept_.end(), held,
        [](const Kept& k, std::size_t bytes) { return k.held_bytes < bytes; });
    kept_.insert(at, Kept{std::move(batch), held});
  } catch (...) {
    // Out of memory for the list: the batch is freed, nothing else lost.
  }
}

}  // namespace sessionstore
