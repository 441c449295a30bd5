// Copyright sessionstore authors.

#include "tools/memory_sampler.h"

#include <unistd.h>

#include <cstdio>
#include <utility>

namespace sessionstore {

namespace {

bool ReadStore(Store* store, MemorySample* s) {
  StoreStats st;
  if (!store->GetStats(&st).ok()) return false;
  s->resident = MemorySampler::ResidentBytes();
  s->memtables = st.memtable_bytes;
  s->block_cache = st.block_cache_bytes;
  s->block_pools = st.block_pool_bytes;
  s->pending_deltas = st.pending_delta_bytes;
  s->held_deltas = st.held_delta_bytes;
  s->summary_cache = st.summary_cache_bytes;
  s->session_indexes = st.session_index_bytes;
  return true;
}

}  // namespace

MemorySampler::MemorySampler(Store* store, std::chrono::milliseconds period)
    : MemorySampler([store](MemorySample* s) { return ReadStore(store, s); }, period) {}

MemorySampler::MemorySampler(Reader read, std::chrono::milliseconds period)
    : read_(std::move(read)) {
  Take();
  thread_ = std::thread([this, period] { Run(period); });
}

MemorySampler::~MemorySampler() { Stop(); }

void MemorySampler::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  Take();
}

MemorySample MemorySampler::AtPeak() const {
  std::lock_guard<std::mutex> l(mu_);
  return peak_;
}

uint64_t MemorySampler::samples() const {
  std::lock_guard<std::mutex> l(mu_);
  return samples_;
}

uint64_t MemorySampler::ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long size = 0, resident = 0;
  const bool ok = std::fscanf(f, "%llu %llu", &size, &resident) == 2;
  std::fclose(f);
  const long page = sysconf(_SC_PAGESIZE);
  return ok && page > 0 ? resident * static_cast<uint64_t>(page) : 0;
}

void MemorySampler::Take() {
  MemorySample s;
  if (!read_(&s)) return;
  std::lock_guard<std::mutex> l(mu_);
  ++samples_;
  if (samples_ == 1 || s.resident > peak_.resident) peak_ = s;
}

void MemorySampler::Run(std::chrono::milliseconds period) {
  std::unique_lock<std::mutex> l(mu_);
  while (!cv_.wait_for(l, period, [this] { return stop_; })) {
    l.unlock();
    Take();
    l.lock();
  }
}

}  // namespace sessionstore
