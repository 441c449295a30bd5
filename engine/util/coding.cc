// Copyright sessionstore authors.

#include "engine/util/coding.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cstdint>

namespace sessionstore {

void PutFixed64BE(std::string* dst, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  dst->append(buf, 8);
}

bool GetFixed64BE(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) r = (r << 8) | static_cast<unsigned char>((*in)[i]);
  *v = r;
  in->remove_prefix(8);
  return true;
}

void PutVarint32(std::string* dst, uint32_t v) {
  while (v >= 0x80) {
    dst->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  dst->push_back(static_cast<char>(v));
}

bool GetVarint32(std::string_view* in, uint32_t* v) {
  uint32_t result = 0;
  for (int shift = 0, i = 0; i < 5 && static_cast<std::size_t>(i) < in->size(); ++i, shift += 7) {
    const auto byte = static_cast<unsigned char>((*in)[i]);
    if (i == 4 && byte > 0x0f) return false;  // Would overflow 32 bits.
    result |= static_cast<uint32_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      // Reject non-minimal encodings so every value has one encoding (keys
      // must compare equal exactly when the values are equal).
      if (i > 0 && byte == 0) return false;
      *v = result;
      in->remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

void PutSignedVarint64(std::string* dst, int64_t v) {
  uint64_t u = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  while (u >= 0x80) {
    dst->push_back(static_cast<char>((u & 0x7f) | 0x80));
    u >>= 7;
  }
  dst->push_back(static_cast<char>(u));
}

bool GetSignedVarint64(std::string_view* in, int64_t* v) {
  uint64_t u = 0;
  for (int shift = 0, i = 0; i < 10 && static_cast<std::size_t>(i) < in->size(); ++i, shift += 7) {
    const auto byte = static_cast<unsigned char>((*in)[i]);
    if (i == 9 && byte > 0x01) return false;  // Would overflow 64 bits.
    u |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      if (i > 0 && byte == 0) return false;  // Non-minimal.
      *v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
      in->remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

void PutLengthPrefixed(std::string* dst, std::string_view s) {
  PutVarint32(dst, static_cast<uint32_t>(s.size()));
  dst->append(s);
}

bool GetLengthPrefixed(std::string_view* in, std::string_view* s) {
  uint32_t len = 0;
  std::string_view copy = *in;
  if (!GetVarint32(&copy, &len) || copy.size() < len) return false;
  *s = copy.substr(0, len);
  copy.remove_prefix(len);
  *in = copy;
  return true;
}

void PutTime(std::string* dst, int64_t ns) {
  PutFixed64BE(dst, static_cast<uint64_t>(ns) ^ (uint64_t{1} << 63));
}

bool GetTime(std::string_view* in, int64_t* ns) {
  uint64_t v = 0;
  if (!GetFixed64BE(in, &v)) return false;
  *ns = static_cast<int64_t>(v ^ (uint64_t{1} << 63));
  return true;
}

std::string PrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty() && static_cast<unsigned char>(s.back()) == 0xff) s.pop_back();
  if (!s.empty()) s.back() = static_cast<char>(static_cast<unsigned char>(s.back()) + 1);
  return s;
}

std::string_view AlignedForFlatBuffers(std::string_view bytes, std::string* scratch) {
  if (reinterpret_cast<uintptr_t>(bytes.data()) % 8 == 0) return bytes;
  scratch->assign(bytes);  // std::string storage is at least 8-byte aligned.
  return *scratch;
}

namespace {
constexpr char kHex[] = "0123456789abcdef";
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
}  // namespace

std::string EncodeCursor(std::string_view payload) {
  std::string raw(payload);
  PutFixed64BE(&raw, XXH3_64bits(payload.data(), payload.size()));
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

bool DecodeCursor(std::string_view cursor, std::string* payload) {
  if (cursor.size() % 2 != 0 || cursor.size() < 16) return false;
  std::string raw;
  raw.reserve(cursor.size() / 2);
  for (std::size_t i = 0; i < cursor.size(); i += 2) {
    const int hi = HexValue(cursor[i]);
    const int lo = HexValue(cursor[i + 1]);
    if (hi < 0 || lo < 0) return false;
    raw.push_back(static_cast<char>((hi << 4) | lo));
  }
  std::string_view body(raw.data(), raw.size() - 8);
  std::string_view sum(raw.data() + raw.size() - 8, 8);
  uint64_t stored = 0;
  if (!GetFixed64BE(&sum, &stored) || stored != XXH3_64bits(body.data(), body.size())) {
    return false;
  }
  payload->assign(body);
  return true;
}

}  // namespace sessionstore
