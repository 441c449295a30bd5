// Copyright sessionstore authors.

#include "engine/aggregate/session_index_state.h"

#include "engine/aggregate/aggregate_math.h"
#include "engine/util/coding.h"

namespace sessionstore {

namespace {

// DO NOT CHANGE: stored on disk. Format 2 (store format 5) is read too.
constexpr unsigned char kIndexStateFormat = 3;
constexpr unsigned char kIndexStateFormat2 = 2;
constexpr unsigned char kHasFirst = 1, kHasMaxEnd = 2;
constexpr unsigned char kHasBest = 1, kHasFloor = 2;

void PutSigned(std::string* dst, int64_t v) { PutFixed64BE(dst, static_cast<uint64_t>(v)); }

bool GetSigned(std::string_view* in, int64_t* v) {
  uint64_t u = 0;
  if (!GetFixed64BE(in, &u)) return false;
  *v = static_cast<int64_t>(u);
  return true;
}

bool GetByte(std::string_view* in, unsigned char* b) {
  if (in->empty()) return false;
  *b = static_cast<unsigned char>((*in)[0]);
  in->remove_prefix(1);
  return true;
}

// register := flags [time(start) lp(trace_id) fixed64(version) lp(value)]
//             [time(floor_start) lp(floor_trace_id)]
void PutRegister(std::string* dst, const LatestRegister& r) {
  dst->push_back(static_cast<char>((r.has_best ? kHasBest : 0) | (r.has_floor ? kHasFloor : 0)));
  if (r.has_best) {
    PutTime(dst, r.start_ns);
    PutLengthPrefixed(dst, r.trace_id);
    PutFixed64BE(dst, r.version);
    PutLengthPrefixed(dst, r.value.value);
  }
  if (r.has_floor) {
    PutTime(dst, r.floor_start_ns);
    PutLengthPrefixed(dst, r.floor_trace_id);
  }
}

bool GetRegister(std::string_view* in, LatestRegister* r) {
  *r = LatestRegister();
  unsigned char flags = 0;
  if (!GetByte(in, &flags) || (flags & ~(kHasBest | kHasFloor)) != 0) return false;
  std::string_view s;
  if (flags & kHasBest) {
    r->has_best = true;
    if (!GetTime(in, &r->start_ns) || !GetLengthPrefixed(in, &s)) return false;
    r->trace_id.assign(s);
    if (!GetFixed64BE(in, &r->version) || !GetLengthPrefixed(in, &s)) return false;
    r->value.value.assign(s);
  }
  if (flags & kHasFloor) {
    r->has_floor = true;
    if (!GetTime(in, &r->floor_start_ns) || !GetLengthPrefixed(in, &s)) return false;
    r->floor_trace_id.assign(s);
  }
  return true;
}

// Keys only: the latest trace's output preview is not indexed.
LatestRegister WithoutValue(LatestRegister r) {
  r.value = Payload();
  return r;
}

// extras := svarint(errors) register(name) varint32(n) (lp(tag) svarint(count))*n
//           varint32(m) (lp(model) svarint(calls) svarint(prompt)
//           svarint(completion) svarint(cost))*m          (keys ascending)
void PutExtras(std::string* dst, const SessionIndexState& s) {
  PutSignedVarint64(dst, s.error_count);
  PutRegister(dst, s.last_name);
  PutVarint32(dst, static_cast<uint32_t>(s.tags.size()));
  for (const auto& [tag, n] : s.tags) {
    PutLengthPrefixed(dst, tag);
    PutSignedVarint64(dst, n);
  }
  PutVarint32(dst, static_cast<uint32_t>(s.models.size()));
  for (const auto& [model, u] : s.models) {
    PutLengthPrefixed(dst, model);
    PutSignedVarint64(dst, u.calls);
    PutSignedVarint64(dst, u.prompt_tokens);
    PutSignedVarint64(dst, u.completion_tokens);
    PutSignedVarint64(dst, u.cost_nano_usd);
  }
}

// Rejects counts that do not fit the input, zero entries and keys out of
// order, so a decoded state is one that PutExtras could have written.
bool GetExtras(std::string_view* in, SessionIndexState* s) {
  uint32_t n = 0;
  std::string_view key;
  if (!GetSignedVarint64(in, &s->error_count) || !GetRegister(in, &s->last_name) ||
      !GetVarint32(in, &n) || n > in->size()) {
    return false;
  }
  for (uint32_t i = 0; i < n; ++i) {
    int64_t count = 0;
    if (!GetLengthPrefixed(in, &key) || !GetSignedVarint64(in, &count) || count == 0) return false;
    if (!s->tags.empty() && !(s->tags.rbegin()->first < key)) return false;
    s->tags.emplace_hint(s->tags.end(), std::string(key), count);
  }
  if (!GetVarint32(in, &n) || n > in->size()) return false;
  for (uint32_t i = 0; i < n; ++i) {
    ModelUsage u;
    if (!GetLengthPrefixed(in, &key) || !GetSignedVarint64(in, &u.calls) ||
        !GetSignedVarint64(in, &u.prompt_tokens) || !GetSignedVarint64(in, &u.completion_tokens) ||
        !GetSignedVarint64(in, &u.cost_nano_usd) || u == ModelUsage()) {
      return false;
    }
    if (!s->models.empty() && !(s->models.rbegin()->first < key)) return false;
    s->models.emplace_hint(s->models.end(), std::string(key), u);
  }
  return true;
}

// index_state := 0x03 fixed64(traces) fixed64(cost) fixed64(tokens) flags
//                time(first) time(max_end) register(last) register(user) extras
// (format 2: the same without extras)
void PutIndexState(std::string* dst, const SessionIndexState& s) {
  dst->push_back(static_cast<char>(kIndexStateFormat));
  PutSigned(dst, s.trace_count);
  PutSigned(dst, s.cost_nano_usd);
  PutSigned(dst, s.total_tokens);
  dst->push_back(
      static_cast<char>((s.has_first ? kHasFirst : 0) | (s.has_max_end ? kHasMaxEnd : 0)));
  PutTime(dst, s.first_ns);
  PutTime(dst, s.max_end_ns);
  PutRegister(dst, s.last);
  PutRegister(dst, s.last_user);
  PutExtras(dst, s);
}

bool GetIndexState(std::string_view* in, SessionIndexState* s) {
  *s = SessionIndexState();
  unsigned char format = 0, flags = 0;
  if (!GetByte(in, &format) || (format != kIndexStateFormat && format != kIndexStateFormat2)) {
    return false;
  }
  if (!GetSigned(in, &s->trace_count) || !GetSigned(in, &s->cost_nano_usd) ||
      !GetSigned(in, &s->total_tokens) || !GetByte(in, &flags) ||
      (flags & ~(kHasFirst | kHasMaxEnd)) != 0 || !GetTime(in, &s->first_ns) ||
      !GetTime(in, &s->max_end_ns)) {
    return false;
  }
  s->has_first = (flags & kHasFirst) != 0;
  s->has_max_end = (flags & kHasMaxEnd) != 0;
  if (!GetRegister(in, &s->last) || !GetRegister(in, &s->last_user)) return false;
  return format == kIndexStateFormat2 || GetExtras(in, s);
}

// The state's counters and first/max-end fields (not registers or maps).
SessionIndexState CountersOf(const SessionDelta& d) {
  SessionIndexState s;
  s.trace_count = d.trace_count;
  s.error_count = d.error_count;
  s.cost_nano_usd = d.cost_nano_usd;
  s.total_tokens = SaturatingAdd(d.prompt_tokens, d.completion_tokens);
  s.has_first = d.has_first;
  s.first_ns = d.has_first ? d.first_start_ns : 0;
  s.has_max_end = d.has_max_end;
  s.max_end_ns = d.has_max_end ? d.max_end_ns : 0;
  return s;
}

}  // namespace

SessionIndexState SessionIndexState::Of(const SessionDelta& d) {
  SessionIndexState s = CountersOf(d);
  s.last = WithoutValue(d.last);
  s.last_user = d.last_user;
  s.last_name = d.last_name;
  s.tags = d.tags;
  s.models = d.models;
  return s;
}

SessionIndexState SessionIndexState::Of(SessionDelta&& d) {
  SessionIndexState s = CountersOf(d);
  s.last = WithoutValue(std::move(d.last));
  s.last_user = std::move(d.last_user);
  s.last_name = std::move(d.last_name);
  s.tags = std::move(d.tags);
  s.models = std::move(d.models);
  return s;
}

void SessionIndexState::Add(const SessionIndexState& later) {
  trace_count = SaturatingAdd(trace_count, later.trace_count);
  error_count = SaturatingAdd(error_count, later.error_count);
  cost_nano_usd = SaturatingAdd(cost_nano_usd, later.cost_nano_usd);
  total_tokens = SaturatingAdd(total_tokens, later.total_tokens);
  KeepMin(&has_first, &first_ns, later.has_first, later.first_ns);
  KeepMax(&has_max_end, &max_end_ns, later.has_max_end, later.max_end_ns);
  last.Then(later.last);
  last_user.Then(later.last_user);
  last_name.Then(later.last_name);
  for (const auto& [tag, n] : later.tags) AddTagCount(&tags, tag, n);
  for (const auto& [model, u] : later.models) AddModelUsage(&models, model, u, 1);
}

SessionIndexEntry SessionIndexState::Entry() const {
  // As SessionDelta::MoveToSummary and the summary's latest-trace fields.
  SessionIndexEntry e;
  e.first_ns = has_first ? first_ns : 0;
  e.last_ns = last.has_best ? last.start_ns : 0;
  e.cost_nano_usd = cost_nano_usd;
  e.total_tokens = total_tokens;
  e.trace_count = trace_count;
  e.duration_ns = (has_first && has_max_end) ? SaturatingSub(max_end_ns, first_ns) : 0;
  e.error_count = error_count;
  return e;
}

std::string EncodeIndexState(const SessionIndexState& s) {
  std::string v;
  PutIndexState(&v, s);
  return v;
}

bool DecodeIndexState(std::string_view in, SessionIndexState* s) {
  return GetIndexState(&in, s) && in.empty();
}

}  // namespace sessionstore
