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
    default:
      return CountMetric(e.duration_ns);
  }
}

namespace {

bool IsSessionOrder(char order) {
  switch (order) {
    case kOrderLast:
    case kOrderFirst:
    case kOrderCost:
    case kOrderTokens:
    case kOrderTraces:
    case kOrderDuration:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string OrderPrefix(char order) { return std::string{kOrderTag, order}; }

std::string OrderKey(char order, uint64_t metric, std::string_view session_prefix) {
  std::string key = OrderPrefix(order);
  PutFixed64BE(&key, ~metric);  // Largest first.
  key.append(session_prefix);
  return key;
}

bool ParseOrderKey(std::string_view key, char* order, uint64_t* metric,
                   std::string_view* session_prefix) {
  if (key.size() < 2 || key[0] != kOrderTag || !IsSessionOrder(key[1])) return false;
  *order = key[1];
  key.remove_prefix(2);
  if (!GetFixed64BE(&key, metric)) return false;
  *metric = ~*metric;
  *session_prefix = key;
  uint64_t hash = 0;
  std::string_view id;
  return GetSessionPrefix(&key, &hash, &id) && key.empty();
}

std::string UserPrefix(std::string_view user_id) {
  std::string key(1, kUserTag);
  PutLengthPrefixed(&key, user_id);
  return key;
}

std::string UserKey(std::string_view user_id, int64_t last_ns, std::string_view session_prefix) {
  std::string key = UserPrefix(user_id);
  PutFixed64BE(&key, ~TimeMetric(last_ns));  // Newest first.
  key.append(session_prefix);
  return key;
}

bool ParseUserKey(std::string_view key, std::string_view* user_id, int64_t* last_ns,
                  std::string_view* session_prefix) {
  if (key.empty() || key[0] != kUserTag) return false;
  key.remove_prefix(1);
  uint64_t inverted = 0;
  if (!GetLengthPrefixed(&key, user_id) || !GetFixed64BE(&key, &inverted)) return false;
  *last_ns = static_cast<int64_t>(~inverted ^ (uint64_t{1} << 63));
  *session_prefix = key;
  uint64_t hash = 0;
  std::string_view id;
  return GetSessionPrefix(&key, &hash, &id) && key.empty();
}

void PutIndexEntry(std::string* dst, const SessionIndexEntry& e) {
  dst->push_back(static_cast<char>(kIndexEntryFormat));
  PutTime(dst, e.first_ns);
  PutTime(dst, e.last_ns);
  PutFixed64BE(dst, CountMetric(e.cost_nano_usd));
  PutFixed64BE(dst, CountMetric(e.total_tokens));
  PutFixed64BE(dst, CountMetric(e.trace_count));
  PutFixed64BE(dst, CountMetric(e.duration_ns));
}

bool GetIndexEntry(std::string_view* in, SessionIndexEntry* e) {
  if (in->empty() || static_cast<unsigned char>((*in)[0]) != kIndexEntryFormat) return false;
  in->remove_prefix(1);
  uint64_t v[4];
  if (!GetTime(in, &e->first_ns) || !GetTime(in, &e->last_ns)) return false;
  for (uint64_t& x : v) {
    if (!GetFixed64BE(in, &x) || x > static_cast<uint64_t>(INT64_MAX)) return false;
  }
  e->cost_nano_usd = static_cast<int64_t>(v[0]);
  e->total_tokens = static_cast<int64_t>(v[1]);
  e->trace_count = static_cast<int64_t>(v[2]);
  e->duration_ns = static_cast<int64_t>(v[3]);
  return true;
}

std::string EncodeIndexEntry(const SessionIndexEntry& e) {
  std::string v;
  PutIndexEntry(&v, e);
  return v;
}

bool DecodeIndexEntry(std::string_view in, SessionIndexEntry* e) {
  return GetIndexEntry(&in, e) && in.empty();
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
