// Copyright sessionstore authors.
//
// Byte-level coding primitives shared by every stored layout: big-endian
// fixed-width integers, varints, length-prefixed strings, an order-preserving
// time, and the opaque cursors handed to users. Put* appends; Get* consumes
// from the front of a string_view and returns false on short or malformed
// input without reading past the end. The layouts built from them (keys,
// locators, index entries) are in engine/format/keys.h.
//
// Pure functions: safe from any thread.

#ifndef SESSIONSTORE_ENGINE_UTIL_CODING_H_
#define SESSIONSTORE_ENGINE_UTIL_CODING_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sessionstore {

inline constexpr std::size_t kTimeBytes = 8;

void PutFixed64BE(std::string* dst, uint64_t v);
bool GetFixed64BE(std::string_view* in, uint64_t* v);
// Minimal encodings only: a value has exactly one encoding.
void PutVarint32(std::string* dst, uint32_t v);
bool GetVarint32(std::string_view* in, uint32_t* v);
// A signed 64-bit value, zigzag-mapped (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...)
// and written as a varint of at most 10 bytes. Get rejects non-minimal
// encodings and values above 64 bits, as GetVarint32.
void PutSignedVarint64(std::string* dst, int64_t v);
bool GetSignedVarint64(std::string_view* in, int64_t* v);
void PutLengthPrefixed(std::string* dst, std::string_view s);
bool GetLengthPrefixed(std::string_view* in, std::string_view* s);
// Order-preserving encoding of a signed time: fixed64-BE(uint64(ns) XOR 2^63).
void PutTime(std::string* dst, int64_t ns);
bool GetTime(std::string_view* in, int64_t* ns);

// Smallest string greater than every string starting with `prefix`; empty
// when there is none (prefix all 0xff).
std::string PrefixSuccessor(std::string_view prefix);

// FlatBuffers reads scalars in place and needs them aligned; values that
// RocksDB hands out (memtable, blocks) have no alignment guarantee. Returns
// `bytes` itself when it starts 8-byte aligned, else a copy in *scratch.
std::string_view AlignedForFlatBuffers(std::string_view bytes, std::string* scratch);

// The calling thread's scratch string for AlignedForFlatBuffers, for
// decoders that copy what they need out before returning: most values then
// need no allocation (a fresh string per decode was a heap allocation of
// the value's size, one or two per read). Holds the buffer for its
// lifetime; on destruction drops capacity over kKeepBytes, so one huge
// value does not stay pinned in the thread. Not reentrant: a decoder must
// not hold one while calling another decoder that does.
class AlignScratch {
 public:
  static constexpr std::size_t kKeepBytes = 64u << 10;
  AlignScratch() : buffer_(Buffer()) {}
  ~AlignScratch() {
    if (buffer_->capacity() > kKeepBytes) std::string().swap(*buffer_);
  }
  AlignScratch(const AlignScratch&) = delete;
  AlignScratch& operator=(const AlignScratch&) = delete;
  std::string* get() { return buffer_; }

 private:
  static std::string* Buffer() {
    thread_local std::string buffer;
    return &buffer;
  }
  std::string* const buffer_;
};

// A cursor is hex(payload || fixed64-BE(XXH3_64bits(payload))), opaque to
// users. Decode returns false if it is not hex or the checksum does not
// match.
std::string EncodeCursor(std::string_view payload);
bool DecodeCursor(std::string_view cursor, std::string* payload);

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_UTIL_CODING_H_
