// Copyright sessionstore authors.

#include "engine/util/block_memory_pool.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

namespace sessionstore {

namespace {

// The header in front of every buffer: its size class, or kFromMalloc.
uint32_t& ClassOf(char* chunk) { return *reinterpret_cast<uint32_t*>(chunk); }

// A populated slab, or nullptr when the system refuses one.
void* MapSlab() {
  void* slab = mmap(nullptr, BlockMemoryPool::kSlabBytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  return slab == MAP_FAILED ? nullptr : slab;
}

}  // namespace

BlockMemoryPool::BlockMemoryPool(std::size_t max_slab_bytes)
    : max_slabs_(max_slab_bytes / kSlabBytes) {
  spares_.reserve(kSpareSlabs + 1);  // Pushing a spare rarely allocates.
}

BlockMemoryPool::~BlockMemoryPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  refill_cv_.notify_all();
  if (refiller_.joinable()) refiller_.join();
  for (void* slab : slabs_) munmap(slab, kSlabBytes);
  for (void* slab : spares_) munmap(slab, kSlabBytes);
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
    if (!spares_.empty()) {
      void* slab = spares_.back();
      spares_.pop_back();
      refill_cv_.notify_one();
      return InstallLocked(slab) ? CarveLocked(chunk_bytes) : nullptr;
    }
    if (!RoomLocked()) return nullptr;
    ++mapping_;
  }
  // No spare ready: map one here, without the lock (a tenth of a
  // millisecond or more), so that other threads' buffers do not wait.
  void* slab = MapSlab();
  char* chunk = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    --mapping_;
    if (slab == nullptr) return nullptr;
    ++caller_maps_;
    if ((chunk = CarveLocked(chunk_bytes)) != nullptr) {
      // Another thread installed a slab meanwhile: this one waits as a
      // spare (room for it was counted in mapping_).
      try {
        spares_.push_back(slab);
      } catch (...) {  // bad_alloc
        munmap(slab, kSlabBytes);
      }
    } else if (InstallLocked(slab)) {
      chunk = CarveLocked(chunk_bytes);
    }
  }
  // The thread maps the next spares (it may have stopped at a failed
  // mapping and waits for a slab to be taken).
  refill_cv_.notify_one();
  StartRefill();
  return chunk;
}

bool BlockMemoryPool::InstallLocked(void* slab) {
  try {
    slabs_.push_back(slab);
  } catch (...) {  // bad_alloc: no exception may leave a RocksDB callback.
    munmap(slab, kSlabBytes);
    return false;
  }
  // The old slab's tail (less than one chunk of the class that asked) stays
  // unused: at most kMaxPooledBytes of a slab.
  slab_next_ = static_cast<char*>(slab);
  slab_end_ = slab_next_ + kSlabBytes;
  return true;
}

void BlockMemoryPool::StartRefill() {
  std::lock_guard<std::mutex> lock(mu_);
  if (refill_started_ || stop_) return;
  refill_started_ = true;
  try {
    refiller_ = std::thread([this] { RefillLoop(); });
  } catch (...) {  // No thread: callers keep mapping their own slabs.
  }
}

void BlockMemoryPool::RefillLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (spares_.size() >= kSpareSlabs || !RoomLocked()) {
      refill_cv_.wait(lock);
      continue;
    }
    ++mapping_;
    lock.unlock();
    void* slab = MapSlab();
    lock.lock();
    --mapping_;
    if (slab == nullptr) {
      // The system is short of memory: try again at the next slab taken.
      refill_cv_.wait(lock);
      continue;
    }
    try {
      spares_.push_back(slab);  // Reserved; callers may have added spares too.
    } catch (...) {  // bad_alloc: no exception may leave the thread.
      munmap(slab, kSlabBytes);
      refill_cv_.wait(lock);
    }
  }
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

std::size_t BlockMemoryPool::MappedBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return (slabs_.size() + spares_.size()) * kSlabBytes;
}

std::size_t BlockMemoryPool::SpareSlabs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return spares_.size();
}

std::size_t BlockMemoryPool::SlabsMappedByCallers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return caller_maps_;
}

char* BlockMemoryPool::CarveLocked(std::size_t chunk_bytes) {
  if (static_cast<std::size_t>(slab_end_ - slab_next_) < chunk_bytes) return nullptr;
  char* chunk = slab_next_;
  slab_next_ += chunk_bytes;
  return chunk;
}

}  // namespace sessionstore
