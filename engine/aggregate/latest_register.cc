// Copyright sessionstore authors.

#include "engine/aggregate/latest_register.h"

#include <limits>
#include <tuple>
#include <utility>

namespace sessionstore {

namespace {

bool KeyAbove(int64_t start, const std::string& tid, int64_t fstart, const std::string& ftid) {
  return std::tie(start, tid) > std::tie(fstart, ftid);
}

}  // namespace

void LatestRegister::Offer(int64_t start, const std::string& tid, uint64_t ver,
                           std::string_view v, bool is_json) {
  // ComposeLatest with a later register that has a best and no floor: only
  // its second step applies.
  if (has_best && std::tie(start, tid, ver) <= std::tie(start_ns, trace_id, version)) return;
  has_best = true;
  start_ns = start;
  trace_id = tid;
  version = ver;
  value.value.assign(v);
  value.is_json = is_json;
}

void LatestRegister::Retract(int64_t start, const std::string& tid) {
  LatestRegister later;
  later.has_floor = true;
  later.floor_start_ns = start;
  later.floor_trace_id = tid;
  Then(later);
}

void LatestRegister::Then(const LatestRegister& later) { ComposeLatest(this, later); }

bool LatestRegister::Exact() const {
  if (!has_floor) return true;
  return has_best && KeyAbove(start_ns, trace_id, floor_start_ns, floor_trace_id);
}

}  // namespace sessionstore
