// Copyright sessionstore authors.
//
// BlockMemoryPool: the memory of the block caches' blocks (their
// rocksdb::MemoryAllocator), taken from slabs whose pages are faulted in
// when the slab is mapped, and recycled by size class.
//
// Why: right after a large ingest, while flushes and compactions run beside
// the reads, a block read into a buffer from glibc's heap cost 15-16 us
// beyond the file read itself in about half of the runs of `compare` on the
// development machine (3.1-3.5 us in the others); into a buffer of this
// pool, 1.5-2.4 us in every run. A first page of one user's sessions took
// 655-1,083 us against 700-2,010 us in six interleaved pairs, three of them
// with 4 MiB slabs (bench/README.md, "The block caches' memory"). Slabs are mapped with
// MAP_POPULATE, so their pages are faulted in by one call rather than one fault at a time, and
// buffers never go through the process's heap.
//
// Buffers up to kMaxPooledBytes are rounded up to a multiple of
// kClassBytes and served from that size class's free list, else carved from
// the current slab (kSlabBytes: 1 MiB, whose mapping took 0.08-0.26 ms on
// the development machine in 50 tries, against 0.4-1.0 ms for 4 MiB).
// Slabs are mapped ahead of need: once the pool has one, a thread of its
// own keeps kSpareSlabs populated spares, so a read that fills a slab takes
// the next without waiting for a mapping (on a compacted store, where every
// read fills the cache, the mapping was the GetSession p99: bench/README.md,
// "Slabs mapped ahead"). A caller maps a slab itself (outside the lock)
// only for the first slab or when no spare is ready. Larger buffers (index
// and filter blocks of big tables), and every buffer that would take the
// pool past `max_slab_bytes` of slabs and spares, come from malloc. Slabs
// go back to the system only when the pool is destroyed (the caches hold
// it; RocksDB keeps it alive while a block lives), and a freed buffer
// serves only its own size class: the pool holds the most block memory
// that was live at once in each class plus its spares, never more than
// `max_slab_bytes`. Reads that do not fill the cache (compactions) take
// their buffers from it too, briefly.
//
// Thread safety: every method may be called from any thread (RocksDB's
// contract for a MemoryAllocator); one mutex guards the free lists, the
// slabs and the spares. The destructor stops and joins the pool's thread.

#ifndef SESSIONSTORE_ENGINE_UTIL_BLOCK_MEMORY_POOL_H_
#define SESSIONSTORE_ENGINE_UTIL_BLOCK_MEMORY_POOL_H_

#include <rocksdb/memory_allocator.h>

#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace sessionstore {

class BlockMemoryPool : public rocksdb::MemoryAllocator {
 public:
  static constexpr std::size_t kClassBytes = 256;
  static constexpr std::size_t kMaxPooledBytes = 64u << 10;
  static constexpr std::size_t kSlabBytes = 1u << 20;
  static constexpr std::size_t kSpareSlabs = 2;

  // A pool that maps at most `max_slab_bytes` of slabs (rounded down to
  // whole slabs; 0: every buffer from malloc).
  explicit BlockMemoryPool(std::size_t max_slab_bytes);
  ~BlockMemoryPool() override;
  BlockMemoryPool(const BlockMemoryPool&) = delete;
  BlockMemoryPool& operator=(const BlockMemoryPool&) = delete;

  static constexpr const char* kName = "SessionstoreBlockMemoryPool";
  const char* Name() const override { return kName; }

  // At least `size` bytes, 16-byte aligned; nullptr when malloc fails or
  // the size would wrap. RocksDB does not check: as with its default
  // allocation, running out of memory ends the process.
  void* Allocate(std::size_t size) override;
  // Takes back a buffer from Allocate (nullptr is ignored).
  void Deallocate(void* p) override;
  // The bytes the buffer at p can hold: its size class, or
  // `allocation_size` for a buffer from malloc. RocksDB charges the cache
  // with it.
  std::size_t UsableSize(void* p, std::size_t allocation_size) const override;

  // Bytes of the slabs buffers are carved from (spares not included).
  std::size_t SlabBytes() const;
  // Bytes mapped in all: slabs and spares (the pool's memory, for
  // statistics). At most `max_slab_bytes`.
  std::size_t MappedBytes() const;
  // Spare slabs mapped and ready (tests).
  std::size_t SpareSlabs() const;
  // Slabs a caller of Allocate had to map itself (tests): the first one,
  // and any needed while no spare was ready.
  std::size_t SlabsMappedByCallers() const;

 private:
  struct FreeBuffer {
    FreeBuffer* next;
  };
  static constexpr std::size_t kClasses = kMaxPooledBytes / kClassBytes;
  static constexpr std::size_t kHeaderBytes = 16;
  static constexpr uint32_t kFromMalloc = UINT32_MAX;

  // A class's chunk (header and buffer) from the free list, the current
  // slab or a spare, mapping a new slab if needed (outside the lock);
  // nullptr when the pool is at its bound or no slab can be mapped.
  char* Take(std::size_t cls);
  // Carves from the current slab; nullptr when it has no room. Needs mu_.
  char* CarveLocked(std::size_t chunk_bytes);
  // Makes `slab` the current slab; false (slab unmapped) when the list
  // cannot grow. Needs mu_.
  bool InstallLocked(void* slab);
  // True when a slab may be mapped without passing the bound. Needs mu_.
  bool RoomLocked() const { return slabs_.size() + spares_.size() + mapping_ < max_slabs_; }
  // The pool's thread: maps spares while the pool is in use and has room.
  void RefillLoop();
  // Starts the thread (once); without one, callers map their own slabs.
  void StartRefill();

  const std::size_t max_slabs_;
  mutable std::mutex mu_;
  std::array<FreeBuffer*, kClasses> free_{};
  std::vector<void*> slabs_;   // Every slab carved from, the current one last.
  std::vector<void*> spares_;  // Mapped and populated, not carved from yet.
  std::size_t mapping_ = 0;    // Slabs being mapped outside the lock.
  std::size_t caller_maps_ = 0;
  char* slab_next_ = nullptr;
  char* slab_end_ = nullptr;
  bool refill_started_ = false;
  bool stop_ = false;
  std::condition_variable refill_cv_;
  std::thread refiller_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_UTIL_BLOCK_MEMORY_POOL_H_
