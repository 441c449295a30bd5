// Copyright sessionstore authors.
//
// LatestRegister: "the latest trace (by start, then trace id) with a
// property", kept by the session aggregate (SessionDelta) and the index
// state (SessionIndexState).
//
// Value type without synchronization.

#ifndef SESSIONSTORE_ENGINE_AGGREGATE_LATEST_REGISTER_H_
#define SESSIONSTORE_ENGINE_AGGREGATE_LATEST_REGISTER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "sessionstore/trace.h"

namespace sessionstore {

// A register for "the latest trace (by start, then trace id) with a
// property" that stays sound when a trace's start moves earlier, which a plain
// maximum cannot handle (the old maximum would have to be taken back).
//
// It holds the best candidate offered (maximum (start, trace id), then
// version) and a floor, the largest key retracted. Invariant: every trace
// with the property has a key <= max(floor, best), and best, if any, is a live
// trace at that key. So best is exact when it is above the floor (or there is
// no floor); with no best and no floor, no trace has the property; otherwise
// the register does not know, and readers look at the stored traces.
//
// Composition `Then` is associative but not commutative: RocksDB applies
// merge operands in write order.
struct LatestRegister {
  bool has_best = false;
  int64_t start_ns = 0;
  std::string trace_id;
  uint64_t version = 0;
  Payload value;
  bool has_floor = false;
  int64_t floor_start_ns = 0;
  std::string floor_trace_id;

  // The trace (start, trace_id) at `version` has the property with the
  // payload (value, is_json). The same as Then() of a register holding only
  // that best; copies the id and the value only when they win.
  void Offer(int64_t start, const std::string& trace_id, uint64_t version, std::string_view value,
             bool is_json);
  void Offer(int64_t start, const std::string& tid, uint64_t ver, const Payload& v) {
    Offer(start, tid, ver, v.value, v.is_json);
  }
  // The trace that was at (start, trace_id) is no longer there.
  void Retract(int64_t start, const std::string& trace_id);
  // this = this, then `later`.
  void Then(const LatestRegister& later);
  // True when the register is exact: best is the latest, or (no best) there is
  // none.
  bool Exact() const;
  bool IsIdentity() const { return !has_best && !has_floor; }

  bool operator==(const LatestRegister&) const = default;
};

// this = self, then `later`, for a register of any representation with
// LatestRegister's fields (owning strings, or views into encoded values as
// SessionFold keeps them): the one definition of the composition. An
// rvalue `later` gives up the strings it wins with (moved: no copy, no
// allocation; the rest of `later` is left as it was).
template <typename Register, typename Later>
void ComposeLatest(Register* self, Later&& later) {
  // Our best survives unless the later retractions may have removed it.
  if (self->has_best && later.has_floor &&
      !(std::tie(self->start_ns, self->trace_id) >
        std::tie(later.floor_start_ns, later.floor_trace_id))) {
    self->has_best = false;
    self->start_ns = 0;
    self->trace_id = {};
    self->version = 0;
    self->value = {};
  }
  if (later.has_best &&
      (!self->has_best || std::tie(later.start_ns, later.trace_id, later.version) >
                              std::tie(self->start_ns, self->trace_id, self->version))) {
    self->has_best = true;
    self->start_ns = later.start_ns;
    self->trace_id = std::forward<Later>(later).trace_id;
    self->version = later.version;
    self->value = std::forward<Later>(later).value;
  }
  if (later.has_floor &&
      (!self->has_floor || std::tie(later.floor_start_ns, later.floor_trace_id) >
                               std::tie(self->floor_start_ns, self->floor_trace_id))) {
    self->has_floor = true;
    self->floor_start_ns = later.floor_start_ns;
    self->floor_trace_id = std::forward<Later>(later).floor_trace_id;
  }
}

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_AGGREGATE_LATEST_REGISTER_H_
