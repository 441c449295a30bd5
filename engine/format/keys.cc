// Copyright sessionstore authors.

#include "engine/format/keys.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cstdint>

namespace sessionstore {

uint64_t SessionHash(std::string_view session_id) {
  return XXH3_64bits(session_id.data(), session_id.size());
}

void PutSessionPrefix(std::string* dst, uint64_t hash, std::string_view session_id) {
  PutFixed64BE(dst, hash);
  PutLengthPrefixed(dst, session_id);
}

bool GetSessionPrefix(std::string_view* in, uint64_t* hash, std::string_view* session_id) {
  std::string_view copy = *in;
  if (!GetFixed64BE(&copy, hash) || !GetLengthPrefixed(&copy, session_id)) return false;
  *in = copy;
  return true;
}

std::string TraceKey(uint64_t hash, std::string_view session_id, int64_t start_ns,
                     std::string_view trace_id) {
  std::string key;
  key.reserve(kSessionHashBytes + 2 + session_id.size() + kTimeBytes + trace_id.size());
  PutSessionPrefix(&key, hash, session_id);
  PutTime(&key, start_ns);
  key.append(trace_id);
  return key;
}

std::string SessionTracesEnd(std::string_view session_prefix) {
  std::string end(session_prefix);
  end.append(kTimeBytes, '\xff');
  return end;
}

bool ParseTraceKey(std::string_view key, ParsedTraceKey* out) {
  if (!GetSessionPrefix(&key, &out->hash, &out->session_id) || !GetTime(&key, &out->start_ns)) {
    return false;
  }
  if (key.empty()) return false;  // Trace ids are never empty.
  out->trace_id = key;
  return true;
}

std::string DirtyKey(uint64_t seq) {
  std::string key(1, kDirtyTag);
  PutFixed64BE(&key, seq);
  return key;
}

bool ParseDirtyKey(std::string_view key, uint64_t* seq) {
  if (key.empty() || key[0] != kDirtyTag) return false;
  key.remove_prefix(1);
  return GetFixed64BE(&key, seq) && key.empty();
}

std::string RoundKey(uint64_t id) {
  std::string key(1, kRoundTag);
  PutFixed64BE(&key, id);
  return key;
}

bool ParseRoundKey(std::string_view key, uint64_t* id) {
  if (key.empty() || key[0] != kRoundTag) return false;
  key.remove_prefix(1);
  return GetFixed64BE(&key, id) && key.empty();
}

std::string StateKey(std::string_view session_prefix) {
  std::string key(1, kStateTag);
  key.append(session_prefix);
  return key;
}


namespace {
uint64_t TimeMetric(int64_t ns) { return static_cast<uint64_t>(ns) ^ (uint64_t{1} << 63); }
uint64_t CountMetric(int64_t v) { return v < 0 ? 0 : static_cast<uint64_t>(v); }
}  // namespace

uint64_t OrderMetric(char order, const SessionIndexEntry& e) {
  switch (order) {
    case kOrderLast:
      return TimeMetric(e.last_ns);
    case kOrderFirst:
      return TimeMetric(e.first_ns);
    case kOrderCost:
      return CountMetric(e.cost_nano_usd);
    case kOrderTokens:
      return CountMetric(e.total_tokens);
    case kOrderTraces:
      return CountMetric(e.trace_count);
    case kOrderErrors:
      return CountMetric(e.error_count);
    default:
      return CountMetric(e.duration_ns);
  }
}

std::string EncodeLocator(int64_t start_ns, std::string_view session_id) {
  std::string v(1, static_cast<char>(kLocatorFormat));
  PutTime(&v, start_ns);
  PutLengthPrefixed(&v, session_id);
  return v;
}

bool DecodeLocator(std::string_view in, int64_t* start_ns, std::string_view* session_id) {
  if (in.empty() || static_cast<unsigned char>(in[0]) != kLocatorFormat) return false;
  in.remove_prefix(1);
  return GetTime(&in, start_ns) && GetLengthPrefixed(&in, session_id) && in.empty();
}
}  // namespace sessionstore
