// Copyright sessionstore authors.
//
// SessionFold: the fold of encoded SessionDeltas (a stored aggregate and its
// merge operands, in write order) into one, reading each through its
// FlatBuffers view instead of decoding it into a SessionDelta. Strings (trace
// ids, previews, model and tag names) stay views into the encoded bytes and
// only the winners are copied, once, by Materialize, Encode or IndexState;
// per operand the fold allocates nothing but an aligned copy of a
// misaligned value. SessionDeltas held in memory (the indexer's pending
// and held deltas) are added as they are (AddDelta), viewed the same way.
//
// The result equals decoding every value with SessionDelta::Decode and
// adding them in order with SessionDelta::Add (tests/engine/aggregate/
// session_fold_test.cc and the session_delta fuzz target check it), so
// readers and the merge operator may use either.
//
// Value type without synchronization. The bytes passed to Add and the
// deltas passed to AddDelta must stay valid and unchanged until the last
// call to Materialize, Encode or IndexState.

#ifndef SESSIONSTORE_ENGINE_AGGREGATE_SESSION_FOLD_H_
#define SESSIONSTORE_ENGINE_AGGREGATE_SESSION_FOLD_H_

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/aggregate/session_delta.h"
#include "engine/aggregate/session_index_state.h"

namespace sessionstore {

class SessionFold {
 public:
  // Verifies `bytes` as an encoded SessionDelta and adds it after the values
  // added before. False when they fail verification or lack a latest
  // register (as SessionDelta::Decode); the fold is then unusable.
  [[nodiscard]] bool Add(std::string_view bytes);
  // As Add of `delta.Encode()`, without encoding: the fold views the
  // delta's strings, so `delta` must stay valid and unchanged as the bytes
  // passed to Add must. Never fails.
  void AddDelta(const SessionDelta& delta);
  // The folded delta (SessionDelta() when nothing was added).
  void Materialize(SessionDelta* out) const;
  // SessionDelta::Encode of the folded delta.
  std::string Encode() const;
  // SessionIndexState::Of of the folded delta, built from the views without
  // materializing it (only the index's strings are copied: the registers'
  // trace ids, user id and session name, tag and model names).
  SessionIndexState IndexState() const;
  // Values added so far.
  std::size_t count() const { return count_; }

  // A payload or string field, viewed in the encoded bytes.
  struct PayloadView {
    std::string_view value;
    bool is_json = false;
  };
  // LatestRegister's fields, viewed (composed by ComposeLatest).
  struct RegisterView {
    bool has_best = false;
    int64_t start_ns = 0;
    std::string_view trace_id;
    uint64_t version = 0;
    PayloadView value;
    bool has_floor = false;
    int64_t floor_start_ns = 0;
    std::string_view floor_trace_id;
  };
  // SessionDelta's first-trace register, viewed (kept by KeepFirst).
  struct FirstView {
    bool has_first = false;
    int64_t first_start_ns = 0;
    std::string_view first_trace_id;
    uint64_t first_version = 0;
    PayloadView first_input;
  };

 private:
  // Adds one decoded value's maps (the path for a value whose models or tags
  // are not strictly ascending, which Decode would read last-wins).
  bool AddDecoded(std::string_view bytes);

  std::size_t count_ = 0;
  int64_t counters_[8] = {};  // In SessionDeltaFb's field order.
  FirstView first_;
  bool has_max_end_ = false;
  int64_t max_end_ns_ = 0;
  // Sorted by name; zero entries kept until Materialize drops them.
  std::vector<std::pair<std::string_view, ModelUsage>> models_;
  std::vector<std::pair<std::string_view, int64_t>> tags_;
  RegisterView latest_[3];  // last, last_user, last_name.
  // Aligned copies of misaligned values, and names of decoded-path entries
  // (a deque: its strings never move).
  std::deque<std::string> owned_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_AGGREGATE_SESSION_FOLD_H_
