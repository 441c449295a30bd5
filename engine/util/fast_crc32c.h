// Copyright sessionstore authors.
//
// Hardware CRC32C for RocksDB's write-ahead log.
//
// Debian's librocksdb is built for baseline x86-64, without SSE4.2: its
// CRC32C (`rocksdb::crc32c::Extend`, the checksum of every write-ahead-log
// record, written at ingest and verified at each open's replay) runs in
// software at about 4 instructions per byte (bench/README.md, "Hardware
// CRC32C"). The library calls Extend through its procedure linkage table, so
// a definition in the program that links sessionstore takes its place, as a
// malloc linked into a program replaces libc's. fast_crc32c.cc defines it:
// the SSE4.2 `crc32` instruction when the CPU has it, else RocksDB's own
// function (looked up with dlsym(RTLD_NEXT)). CRC32C is one fixed function,
// so either gives the same bytes; the format does not change.
//
// Thread safety: every function may be called concurrently.

#ifndef SESSIONSTORE_ENGINE_UTIL_FAST_CRC32C_H_
#define SESSIONSTORE_ENGINE_UTIL_FAST_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace sessionstore {

// The CRC32C of concat(A, data[0, n)) where `crc` is the CRC32C of A (0 for
// the empty string): the function RocksDB's Extend computes.
uint32_t ExtendCrc32c(uint32_t crc, const char* data, std::size_t n);

// The same function, computed bit by bit: the reference for tests.
uint32_t ExtendCrc32cBitwise(uint32_t crc, const char* data, std::size_t n);

// How RocksDB's CRC32C is computed in this process.
enum class Crc32cPath {
  kHardware,         // RocksDB's calls reach ExtendCrc32c, which uses SSE4.2
  kRocksDbFallback,  // they reach ExtendCrc32c, which calls RocksDB's (no SSE4.2)
  kNotInterposed,    // they reach RocksDB's own (a platform or link without it)
};
Crc32cPath ActiveCrc32cPath();
// "hardware (SSE4.2)", "RocksDB's (no SSE4.2 on this CPU)", or "RocksDB's
// (not interposed)": for the store's info log.
const char* Crc32cPathName(Crc32cPath path);

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_UTIL_FAST_CRC32C_H_
