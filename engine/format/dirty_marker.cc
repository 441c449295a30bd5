// Copyright sessionstore authors.

#include "engine/format/dirty_marker.h"

#include <cstdint>

#include "engine/aggregate/session_delta.h"
#include "engine/format/keys.h"
#include "engine/util/coding.h"
#include "sessionstore/trace.h"

namespace sessionstore {

namespace {

// Reads a session prefix; `prefix` views its bytes in the input. Traces
// without a session (the empty id) have no marker entry.
bool GetPrefix(std::string_view* in, std::string_view* prefix) {
  const std::string_view rest = *in;
  uint64_t hash = 0;
  std::string_view id;
  if (!GetSessionPrefix(in, &hash, &id) || id.empty()) return false;
  *prefix = rest.substr(0, rest.size() - in->size());
  return true;
}

// A trace id as the keys allow it (engine/format/keys.h).
bool GetTraceId(std::string_view* in, std::string_view* id) {
  return GetLengthPrefixed(in, id) && id->size() <= kMaxIdBytes;
}

constexpr int64_t kMaxTime = INT64_MAX;  // Exclusive (docs/format.md).

bool GetMarkedSession(std::string_view* in, MarkedSession* m) {
  std::string_view prefix;
  uint32_t added = 0;
  if (!GetPrefix(in, &prefix) || !GetVarint32(in, &added)) return false;
  m->prefix.assign(prefix);
  m->added.clear();
  m->changed.clear();
  // Each entry takes at least 10 bytes: a count beyond the input is damage
  // (and must not reserve more than a few times the input).
  if (added > in->size() / 10) return false;
  m->added.reserve(added);
  for (uint32_t i = 0; i < added; ++i) {
    int64_t start = 0;
    std::string_view id;
    if (!GetTime(in, &start) || start < 0 || start == kMaxTime || !GetTraceId(in, &id) ||
        id.empty()) {
      return false;
    }
    m->added.push_back(MarkedSession::Added{start, std::string(id)});
  }
  uint32_t changed = 0;
  if (!GetVarint32(in, &changed) || changed > in->size() / 2) return false;
  if (added == 0 && changed == 0) return false;
  SessionDelta check;
  for (uint32_t i = 0; i < changed; ++i) {
    std::string_view id, delta;
    if (!GetTraceId(in, &id) || !GetLengthPrefixed(in, &delta) ||
        !SessionDelta::Decode(delta, &check)) {
      return false;
    }
    m->changed.push_back(MarkedSession::Changed{std::string(id), std::string(delta)});
  }
  return true;
}

}  // namespace

std::string EncodeDirtyMarker(const std::vector<MarkedSession>& sessions) {
  std::size_t bytes = 0;
  for (const MarkedSession& m : sessions) {
    bytes += m.prefix.size() + 10;
    for (const MarkedSession::Added& a : m.added) bytes += 8 + 5 + a.trace_id.size();
    for (const MarkedSession::Changed& c : m.changed)
      bytes += 10 + c.trace_id.size() + c.delta.size();
  }
  std::string out;
  out.reserve(bytes);
  for (const MarkedSession& m : sessions) {
    out.append(m.prefix);
    PutVarint32(&out, static_cast<uint32_t>(m.added.size()));
    for (const MarkedSession::Added& a : m.added) {
      PutTime(&out, a.start_ns);
      PutLengthPrefixed(&out, a.trace_id);
    }
    PutVarint32(&out, static_cast<uint32_t>(m.changed.size()));
    for (const MarkedSession::Changed& c : m.changed) {
      PutLengthPrefixed(&out, c.trace_id);
      PutLengthPrefixed(&out, c.delta);
    }
  }
  return out;
}

bool DecodeDirtyMarker(std::string_view in, std::vector<MarkedSession>* sessions) {
  sessions->clear();
  if (in.empty()) return false;
  while (!in.empty()) {
    MarkedSession m;
    if (!GetMarkedSession(&in, &m)) return false;
    if (!sessions->empty() && !(sessions->back().prefix < m.prefix)) return false;
    sessions->push_back(std::move(m));
  }
  return true;
}

std::string EncodeVersion7DirtyMarker(const std::vector<Version7DirtySession>& sessions) {
  std::string out;
  for (const Version7DirtySession& d : sessions) {
    out.append(d.prefix);
    PutLengthPrefixed(&out, d.delta);
  }
  return out;
}

bool DecodeVersion7DirtyMarker(std::string_view in, std::vector<Version7DirtySession>* sessions) {
  sessions->clear();
  if (in.empty()) return false;
  SessionDelta delta;
  while (!in.empty()) {
    std::string_view prefix, bytes;
    if (!GetPrefix(&in, &prefix)) return false;
    if (!GetLengthPrefixed(&in, &bytes) || !SessionDelta::Decode(bytes, &delta)) return false;
    sessions->push_back(Version7DirtySession{std::string(prefix), std::string(bytes)});
  }
  return true;
}

}  // namespace sessionstore
