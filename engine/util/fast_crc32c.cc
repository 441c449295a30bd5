// Copyright sessionstore authors.

#include "engine/util/fast_crc32c.h"

#include <dlfcn.h>

#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <nmmintrin.h>
#define SESSIONSTORE_CRC32C_INTERPOSE 1
#endif

#ifdef SESSIONSTORE_CRC32C_INTERPOSE
// RocksDB's declaration (7.8.3, util/crc32c.h, not installed): the name this
// file defines in place of the library's.
namespace rocksdb::crc32c {
__attribute__((visibility("default"))) uint32_t Extend(uint32_t init_crc, const char* data,
                                                       std::size_t n);
}  // namespace rocksdb::crc32c
#endif

namespace sessionstore {

// Bitwise (reflected polynomial 0x82f63b78): the reference, and the last
// resort when neither SSE4.2 nor RocksDB's function is at hand.
uint32_t ExtendCrc32cBitwise(uint32_t crc, const char* data, std::size_t n) {
  uint32_t c = ~crc;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= static_cast<uint8_t>(data[i]);
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
  }
  return ~c;
}

namespace {

#ifdef SESSIONSTORE_CRC32C_INTERPOSE

using ExtendFn = uint32_t (*)(uint32_t, const char*, std::size_t);

// rocksdb::crc32c::Extend(uint32_t, const char*, size_t), mangled.
constexpr char kRocksExtend[] = "_ZN7rocksdb6crc32c6ExtendEjPKcm";

// One chain of 8-byte steps: a tenth of the software's instructions per
// byte (three interleaved chains would also hide the instruction's latency,
// at the cost of a combine step; not needed for log records of a few KB).
__attribute__((target("sse4.2"))) uint32_t ExtendSse42(uint32_t crc, const char* data,
                                                       std::size_t n) {
  uint64_t l = ~crc & 0xffffffffu;
  const char* p = data;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    l = _mm_crc32_u64(l, v);
  }
  auto c = static_cast<uint32_t>(l);
  for (; n > 0; ++p, --n) c = _mm_crc32_u8(c, static_cast<uint8_t>(*p));
  return ~c;
}

bool HasSse42() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}

// RocksDB's own Extend: the next definition after this program's.
ExtendFn RocksExtend() {
  static const ExtendFn fn = reinterpret_cast<ExtendFn>(dlsym(RTLD_NEXT, kRocksExtend));
  return fn;
}

#endif  // SESSIONSTORE_CRC32C_INTERPOSE

}  // namespace

uint32_t ExtendCrc32c(uint32_t crc, const char* data, std::size_t n) {
#ifdef SESSIONSTORE_CRC32C_INTERPOSE
  if (HasSse42()) return ExtendSse42(crc, data, n);
  if (ExtendFn rocks = RocksExtend(); rocks != nullptr) return rocks(crc, data, n);
#endif
  return ExtendCrc32cBitwise(crc, data, n);
}

Crc32cPath ActiveCrc32cPath() {
#ifdef SESSIONSTORE_CRC32C_INTERPOSE
  // librocksdb's calls go through its procedure linkage table, which the
  // dynamic linker binds in the same global scope that RTLD_DEFAULT looks
  // up: what the name is bound to here is what they reach.
  void* bound = dlsym(RTLD_DEFAULT, kRocksExtend);
  if (bound != reinterpret_cast<void*>(&rocksdb::crc32c::Extend)) {
    return Crc32cPath::kNotInterposed;
  }
  return HasSse42() ? Crc32cPath::kHardware : Crc32cPath::kRocksDbFallback;
#else
  return Crc32cPath::kNotInterposed;
#endif
}

const char* Crc32cPathName(Crc32cPath path) {
  switch (path) {
    case Crc32cPath::kHardware:
      return "hardware (SSE4.2)";
    case Crc32cPath::kRocksDbFallback:
      return "RocksDB's (no SSE4.2 on this CPU)";
    case Crc32cPath::kNotInterposed:
      return "RocksDB's (not interposed)";
  }
  return "unknown";
}

}  // namespace sessionstore

#ifdef SESSIONSTORE_CRC32C_INTERPOSE
uint32_t rocksdb::crc32c::Extend(uint32_t init_crc, const char* data, std::size_t n) {
  return sessionstore::ExtendCrc32c(init_crc, data, n);
}
#endif
