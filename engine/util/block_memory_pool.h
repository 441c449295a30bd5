// Copyright sessionstore authors.
//
// BlockMemoryPool: the memory of the block caches' blocks (their
// rocksdb::MemoryAllocator), taken from slabs whose pages are faulted in
// when the slab is mapped, and recycled by size class.
//
// Why: right after a large ingest, while flushes and compactions run beside
// the reads, a block read into a buffer from glibc's heap cost 15-16 us
// beyond the file read itself in about half of the runs of `compare` on the
// development machine (3.3 us in the others); into a buffer of this pool,
// 1.5-2.4 us in every run. A first page of one user's sessions took 655-
// 1,083 us against 700-2,010 us in six interleaved pairs (bench/README.md,
// "The block caches' memory"). Slabs are mapped with MAP_POPULATE, so their pages are faulted
// in by one call rather than one fault at a time, and buffers never go
// through the process's heap.
//
// Buffers up to kMaxPooledBytes are rounded up to a multiple of
// kClassBytes and served from that size class's free list, else carved from
// the current slab (kSlabBytes: 1 MiB, whose mapping took 0.1 ms on the
// development machine and up to 0.26 ms in 50 tries, against 0.5-1 ms for
// 4 MiB: a read that maps a slab pays for it). Larger buffers come from
// malloc. Slabs are returned to the system only when the pool is destroyed
// (the caches hold it; RocksDB keeps it alive while a block lives): the
// pool holds at most the largest amount of block memory that was live at
// once in each size class, about the caches' capacity plus the blocks
// being read.
//
// Thread safety: every method may be called from any thread (RocksDB's
// contract for a MemoryAllocator); one mutex guards the free lists and the
// slab.

#ifndef SESSIONSTORE_ENGINE_UTIL_BLOCK_MEMORY_POOL_H_
#define SESSIONSTORE_ENGINE_UTIL_BLOCK_MEMORY_POOL_H_

#include <rocksdb/memory_allocator.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace sessionstore {

class BlockMemoryPool : public rocksdb::MemoryAllocator {
 public:
  static constexpr std::size_t kClassBytes = 256;
  static constexpr std::size_t kMaxPooledBytes = 64u << 10;
  static constexpr std::size_t kSlabBytes = 1u << 20;

  BlockMemoryPool() = default;
  ~BlockMemoryPool() override;
  BlockMemoryPool(const BlockMemoryPool&) = delete;
  BlockMemoryPool& operator=(const BlockMemoryPool&) = delete;

  const char* Name() const override { return "SessionstoreBlockMemoryPool"; }

  // At least `size` bytes, 16-byte aligned; nullptr only when neither a
  // slab nor malloc can provide them.
  void* Allocate(std::size_t size) override;
  // Takes back a buffer from Allocate (nullptr is ignored).
  void Deallocate(void* p) override;
  // The bytes the buffer at p can hold (its size class).
  std::size_t UsableSize(void* p, std::size_t allocation_size) const override;

  // Bytes of slabs mapped so far (for tests and statistics).
  std::size_t SlabBytes() const;

 private:
  struct FreeBuffer {
    FreeBuffer* next;
  };
  static constexpr std::size_t kClasses = kMaxPooledBytes / kClassBytes;
  static constexpr std::size_t kHeaderBytes = 16;
  static constexpr uint32_t kFromMalloc = UINT32_MAX;

  // A class's chunk (header and buffer) from the current slab or a new one;
  // nullptr when no slab can be mapped. Needs mu_.
  char* CarveLocked(std::size_t chunk_bytes);

  mutable std::mutex mu_;
  std::array<FreeBuffer*, kClasses> free_{};
  std::vector<void*> slabs_;
  char* slab_next_ = nullptr;
  char* slab_end_ = nullptr;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_UTIL_BLOCK_MEMORY_POOL_H_
