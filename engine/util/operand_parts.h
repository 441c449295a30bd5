// Copyright sessionstore authors.
//
// OperandParts: the slices a DB::GetMergeOperands call fills, reused by
// every read of the calling thread. RocksDB copies each operand it cannot
// pin into the slice's own string; fresh slices cost a heap allocation per
// operand, most of them 1-2 KB, which glibc's malloc serves through its
// slow path (measured in `compare`'s heap: 0.75 us a listing row at rest,
// up to 10 us right after ingest; 0.12 us with the slices reused;
// bench/README.md, "Cache admission, operand slices, the aggregates'
// memtable").
//
// A guard: the constructor hands out the thread's slices; the destructor
// releases every pin (a pinned slice holds a cached block) and drops a
// string grown past kKeepBytes, so a thread keeps at most kCount x
// kKeepBytes (1 MiB) between reads. Not reentrant: a thread must not hold
// two at once (asserted in debug builds).

#ifndef SESSIONSTORE_ENGINE_UTIL_OPERAND_PARTS_H_
#define SESSIONSTORE_ENGINE_UTIL_OPERAND_PARTS_H_

#include <rocksdb/slice.h>

#include <array>
#include <cassert>
#include <cstddef>
#include <string>

namespace sessionstore {

class OperandParts {
 public:
  static constexpr std::size_t kCount = 16;
  static constexpr std::size_t kKeepBytes = 64u << 10;

  OperandParts() : parts_(Parts()) {
    assert(!InUse());
    InUse() = true;
  }
  ~OperandParts() {
    InUse() = false;
    for (rocksdb::PinnableSlice& part : *parts_) {
      part.Reset();
      if (part.GetSelf()->capacity() > kKeepBytes) std::string().swap(*part.GetSelf());
    }
  }
  OperandParts(const OperandParts&) = delete;
  OperandParts& operator=(const OperandParts&) = delete;

  // kCount slices, valid while this guard lives.
  rocksdb::PinnableSlice* data() { return parts_->data(); }
  rocksdb::PinnableSlice& operator[](std::size_t i) { return (*parts_)[i]; }

 private:
  static bool& InUse() {
    thread_local bool in_use = false;
    return in_use;
  }
  static std::array<rocksdb::PinnableSlice, kCount>* Parts() {
    thread_local std::array<rocksdb::PinnableSlice, kCount> parts;
    return &parts;
  }
  std::array<rocksdb::PinnableSlice, kCount>* const parts_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_UTIL_OPERAND_PARTS_H_
