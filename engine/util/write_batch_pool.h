// Copyright sessionstore authors.
//
// WriteBatchPool: write batches kept between writes, so that the buffer of
// a large batch (an ingest batch of 10,000 traces is about 20 MB, a
// catch-up round about 60 MB of a 105 MiB reservation) is not allocated again for every
// write. An allocation that large is served by fresh pages from the
// kernel with jemalloc (its allocations over 8 MiB return their pages at
// once) and with glibc's malloc (mmap past its threshold), and each of its
// pages then costs a page fault as the batch fills: measured, about half
// the ingest's page faults (bench/README.md, "Write batches kept").
//
// A batch is leased (Acquire) and comes back to the pool when its Lease
// ends, cleared, unless the pool already keeps `max_idle` batches or the
// batch's buffer (its capacity) exceeds `max_idle_bytes`; then it is
// freed. Memory: at most max_idle x max_idle_bytes of buffers held between
// writes (resident only as far as they were ever filled), beside the
// batches in use.
//
// Thread safety: every method may be called concurrently; a Lease belongs
// to one thread at a time.

#ifndef SESSIONSTORE_ENGINE_UTIL_WRITE_BATCH_POOL_H_
#define SESSIONSTORE_ENGINE_UTIL_WRITE_BATCH_POOL_H_

#include <rocksdb/write_batch.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace sessionstore {

class WriteBatchPool {
 public:
  // Keeps at most `max_idle` batches of at most `max_idle_bytes` each.
  WriteBatchPool(std::size_t max_idle, std::size_t max_idle_bytes)
      : max_idle_(max_idle), max_idle_bytes_(max_idle_bytes) {}
  WriteBatchPool(const WriteBatchPool&) = delete;
  WriteBatchPool& operator=(const WriteBatchPool&) = delete;

  // A batch from the pool (empty), returned to it when the lease ends.
  class Lease {
   public:
    Lease(Lease&& other) noexcept : pool_(other.pool_), batch_(std::move(other.batch_)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (batch_) pool_->Return(std::move(batch_));
    }
    rocksdb::WriteBatch* get() const { return batch_.get(); }
    rocksdb::WriteBatch* operator->() const { return batch_.get(); }
    rocksdb::WriteBatch& operator*() const { return *batch_; }

   private:
    friend class WriteBatchPool;
    Lease(WriteBatchPool* pool, std::unique_ptr<rocksdb::WriteBatch> batch)
        : pool_(pool), batch_(std::move(batch)) {}
    WriteBatchPool* pool_;
    std::unique_ptr<rocksdb::WriteBatch> batch_;
  };

  // An empty batch that holds at least `reserve_bytes` without growing
  // when the caller knows its size (0: unknown): a kept batch whose buffer
  // has that room, else a new one reserved to that size. May throw
  // std::bad_alloc.
  Lease Acquire(std::size_t reserve_bytes = 0);

  // Batches kept now (tests).
  std::size_t idle() const;

 private:
  struct Kept {
    std::unique_ptr<rocksdb::WriteBatch> batch;
    std::size_t held_bytes;  // Its buffer's capacity: what it holds without growing.
  };
  void Return(std::unique_ptr<rocksdb::WriteBatch> batch) noexcept;

  const std::size_t max_idle_;
  const std::size_t max_idle_bytes_;
  mutable std::mutex mu_;
  std::vector<Kept> kept_;  // Guarded by mu_; largest last.
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_UTIL_WRITE_BATCH_POOL_H_
