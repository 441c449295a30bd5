// Copyright sessionstore authors.
//
// The exception boundary: no exception crosses the public API (status.h).
// Every Store method runs its body through NoThrow, which turns an escaping
// exception (std::bad_alloc above all: the engine does not throw otherwise)
// into an IOError naming the operation.
//
// It is also where RocksDB's per-thread perf counters are turned off for
// the call (and restored after it): RocksDB counts every key comparison in
// a thread-local perf context by default (PerfLevel::kEnableCount), and in
// Debian's shared librocksdb each count is a thread-local lookup through
// __tls_get_addr. Nothing in sessionstore reads those counters; measured:
// -4.7% of the instructions of an ingest (bench/README.md, "Fold and perf
// level").

#ifndef SESSIONSTORE_ENGINE_UTIL_NO_THROW_H_
#define SESSIONSTORE_ENGINE_UTIL_NO_THROW_H_

#include <rocksdb/perf_level.h>

#include <exception>
#include <new>
#include <string>

#include "sessionstore/status.h"

namespace sessionstore {

// Sets the calling thread's RocksDB perf level to kDisable for its lifetime
// and restores the level it found (the host may use RocksDB itself).
class ScopedPerfLevelOff {
 public:
  ScopedPerfLevelOff() : saved_(rocksdb::GetPerfLevel()) {
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  }
  ~ScopedPerfLevelOff() { rocksdb::SetPerfLevel(saved_); }
  ScopedPerfLevelOff(const ScopedPerfLevelOff&) = delete;
  ScopedPerfLevelOff& operator=(const ScopedPerfLevelOff&) = delete;

 private:
  rocksdb::PerfLevel saved_;
};

// Returns fn(), or an IOError "<operation>: <what>" if it throws; RocksDB's
// perf counting is off while fn runs (ScopedPerfLevelOff).
template <typename Fn>
Status NoThrow(const char* operation, Fn&& fn) {
  const ScopedPerfLevelOff perf_off;
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return Status::IOError(std::string(operation) + ": out of memory");
  } catch (const std::exception& e) {
    return Status::IOError(std::string(operation) + ": " + e.what());
  } catch (...) {
    return Status::IOError(std::string(operation) + ": unknown exception");
  }
}

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_UTIL_NO_THROW_H_
