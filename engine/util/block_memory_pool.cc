// Copyright sessionstore authors.

#include "engine/util/block_memory_pool.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

namespace sessionstore {

namespace {

// The header in front of every buffer: its size class, or kFromMalloc.
uint32_t& ClassOf(char* chunk) { return *reinterpret_cast<uint32_t*>(chunk); }

}  // namespace

BlockMemoryPool::BlockMemoryPool(std::size_t max_slab_bytes)
    : max_slabs_(max_slab_bytes / kSlabBytes) {}

BlockMemoryPool::~BlockMemoryPool() {
  for (void* slab : slabs_) munmap(slab, kSlabBytes);
}

void* BlockMemoryPool::Allocate(std::size_t size) {
  if (size == 0) size = 1;
  if (size <= kMaxPooledBytes) {
    const std::size_t cls = (size - 1) / kClassBytes;
    if (char* chunk = Take(cls)) {
      ClassOf(chunk) = static_cast<uint32_t>(cls);
      return chunk + kHeaderBytes;
    }
  }
  if (size > SIZE_MAX - kHeaderBytes) return nullptr;  // A damaged block size.
  char* chunk = static_cast<char*>(std::malloc(kHeaderBytes + size));
  if (chunk == nullptr) return nullptr;
  ClassOf(chunk) = kFromMalloc;
  return chunk + kHeaderBytes;
}

char* BlockMemoryPool::Take(std::size_t cls) {
  const std::size_t chunk_bytes = kHeaderBytes + (cls + 1) * kClassBytes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (FreeBuffer* f = free_[cls]) {
      free_[cls] = f->next;
      return reinterpret_cast<char*>(f) - kHeaderBytes;
    }
    if (char* chunk = CarveLocked(chunk_bytes)) return chunk;
    if (slabs_.size() >= max_slabs_) return nullptr;
  }
  // Map a slab without the lock (a tenth of a millisecond or more), so
  // that other threads' buffers do not wait for it.
  void* slab = mmap(nullptr, kSlabBytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (slab == MAP_FAILED) return nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  // Another thread may have mapped one meanwhile: use its room first, and
  // give this slab back rather than go past the bound.
  if (char* chunk = CarveLocked(chunk_bytes)) {
    munmap(slab, kSlabBytes);
    return chunk;
  }
  if (slabs_.size() >= max_slabs_) {
    munmap(slab, kSlabBytes);
    return nullptr;
  }
  try {
    slabs_.push_back(slab);
  } catch (...) {  // bad_alloc: no exception may leave a RocksDB callback.
    munmap(slab, kSlabBytes);
    return nullptr;
  }
  // The old slab's tail (less than one chunk of this class) stays unused:
  // at most kMaxPooledBytes of a slab.
  slab_next_ = static_cast<char*>(slab);
  slab_end_ = slab_next_ + kSlabBytes;
  return CarveLocked(chunk_bytes);
}

void BlockMemoryPool::Deallocate(void* p) {
  if (p == nullptr) return;
  char* chunk = static_cast<char*>(p) - kHeaderBytes;
  const uint32_t cls = ClassOf(chunk);
  if (cls == kFromMalloc) {
    std::free(chunk);
    return;
  }
  auto* f = static_cast<FreeBuffer*>(p);
  std::lock_guard<std::mutex> lock(mu_);
  f->next = free_[cls];
  free_[cls] = f;
}

std::size_t BlockMemoryPool::UsableSize(void* p, std::size_t allocation_size) const {
  const uint32_t cls = ClassOf(static_cast<char*>(p) - kHeaderBytes);
  return cls == kFromMalloc ? allocation_size : (cls + 1) * kClassBytes;
}

std::size_t BlockMemoryPool::SlabBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return slabs_.size() * kSlabBytes;
}

char* BlockMemoryPool::CarveLocked(std::size_t chunk_bytes) {
  if (static_cast<std::size_t>(slab_end_ - slab_next_) < chunk_bytes) return nullptr;
  char* chunk = slab_next_;
  slab_next_ += chunk_bytes;
  return chunk;
}

}  // namespace sessionstore
