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

void LatestRegister::Offer(int64_t start, const std::string& tid, uint64_t ver, Payload v) {
  LatestRegister later;
  later.has_best = true;
  later.start_ns = start;
  later.trace_id = tid;
  later.version = ver;
  later.value = std::move(v);
  Then(later);
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
