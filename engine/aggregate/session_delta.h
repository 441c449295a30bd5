// Copyright sessionstore authors.
//
// SessionDelta: the merge-operand algebra of session aggregates. A stored
// aggregate and a delta have the same shape; Add is associative, so RocksDB
// may combine operands in any grouping (it keeps their write order) and the
// result equals the aggregate of the stored traces. Add is commutative except
// for the latest registers, which compose in write order:
//   - counters (traces, errors, spans, tokens, cost, TTFT, per-model and
//     per-tag counts) are signed sums: an updated trace contributes
//     (new - old), a retry contributes nothing;
//   - the earliest-trace register keeps the minimum (start, trace id), then
//     the maximum version of that trace, with its input preview (a trace's
//     start only decreases and its version only grows, so the register never
//     needs a retraction);
//   - max_end keeps the maximum end (a trace's end only grows).
//   - the latest registers (latest trace, latest with a user id, latest with
//     a session name) are LatestRegisters (engine/aggregate/latest_register.h):
//     exact unless a retraction left them unsure, in which case readers use
//     the stored traces.
//
// Value type without synchronization.

#ifndef SESSIONSTORE_ENGINE_AGGREGATE_SESSION_DELTA_H_
#define SESSIONSTORE_ENGINE_AGGREGATE_SESSION_DELTA_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "engine/aggregate/latest_register.h"
#include "sessionstore/session.h"
#include "sessionstore/trace.h"

namespace sessionstore {

namespace fb {
struct SessionDeltaFb;
}  // namespace fb

struct SessionDelta {
  int64_t trace_count = 0;
  int64_t error_count = 0;
  int64_t span_count = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cost_nano_usd = 0;
  int64_t ttft_sum_ns = 0;
  int64_t ttft_count = 0;

  bool has_first = false;
  int64_t first_start_ns = 0;
  std::string first_trace_id;
  uint64_t first_version = 0;
  Payload first_input;  // Preview (kPreviewBytes).

  bool has_max_end = false;
  int64_t max_end_ns = 0;

  std::map<std::string, ModelUsage> models;  // No all-zero entries.
  std::map<std::string, int64_t> tags;       // No zero entries.

  LatestRegister last;       // Value: the output preview.
  LatestRegister last_user;  // Value: the user id.
  LatestRegister last_name;  // Value: the session name.

  // What one stored trace (at `version`) contributes to its session:
  // SessionDelta().AddTrace(trace, version).
  static SessionDelta FromTrace(const Trace& trace, uint64_t version);
  // this = this followed by FromTrace(trace, version), in place: strings
  // (ids, previews) are copied only into registers they win, and map
  // entries only made for models and tags this delta lacks.
  void AddTrace(const Trace& trace, uint64_t version);

  // this = this followed by other, for every field. Associative; the
  // counters and the first/max-end registers are also commutative, the
  // latest registers are not (see LatestRegister).
  void Add(const SessionDelta& other);
  // As Add(other), moving what `other` gives: the strings that win and the
  // model and tag entries this delta lacks (their map nodes). Allocates
  // nothing, so it cannot fail: a hold composes the indexer's deltas in
  // place with it (engine/session_indexer.h). `other` is left an identity
  // (SessionDelta()). REQUIRES: `other` is not this delta. (No allocation
  // holds for libstdc++ and libc++, whose default-constructed maps and
  // strings allocate nothing.)
  void Absorb(SessionDelta&& other) noexcept;
  // A delta that only retracts the trace's latest-register keys: emitted when
  // a later version of `old` moves its start earlier.
  static SessionDelta RetractionOf(const Trace& old);
  // Subtracts other's counters (sums, models, tags); registers are kept.
  // Used to turn a new contribution into (new - old) on update.
  void SubtractCounters(const SessionDelta& other);
  // True when adding this delta would change nothing.
  bool IsIdentity() const;

  // FlatBuffers encoding (schema/session_delta.fbs).
  std::string Encode() const;
  // About the size of Encode()'s result, without encoding: a fixed part
  // for the tables and fields, the strings with their prefixes, and a part
  // per model and tag. The indexer's memory budgets count a delta it holds
  // in memory (a SessionDelta) by this, as they counted its encoding.
  std::size_t ApproximateBytes() const;
  // Verifies and decodes; false on bytes that are not a valid delta.
  static bool Decode(std::string_view bytes, SessionDelta* out);

  // Fills the merge-maintained fields of *summary (not the latest-trace
  // ones), moving the strings and maps out of this delta (which keeps valid
  // but unspecified values for them): reads skip the copies.
  void MoveToSummary(SessionSummary* summary);

  bool operator==(const SessionDelta&) const = default;
};

// The length of `value`'s preview: at most kPreviewBytes, cut at a UTF-8
// character boundary (MakePreview, sessionstore/session.h).
std::size_t PreviewLength(std::string_view value);

// True when every counter of `m` is zero (the aggregate keeps no such entry).
bool IsZero(const ModelUsage& m);
// *a += sign * d, each counter saturating; `sign` is +1 or -1.
void AccumulateUsage(ModelUsage* a, const ModelUsage& d, int64_t sign);
// Adds sign * d (saturating) to (*models)[name] and erases the entry when
// it becomes all zero, as the aggregate keeps its models.
void AddModelUsage(std::map<std::string, ModelUsage>* models, const std::string& name,
                   const ModelUsage& d, int64_t sign);
// Adds n (saturating) to (*tags)[tag] and erases the entry at zero.
void AddTagCount(std::map<std::string, int64_t>* tags, const std::string& tag, int64_t n);

// The verified FlatBuffers view of an encoded delta, or null when the bytes
// fail verification. `aligned` must start at an 8-byte boundary
// (AlignedForFlatBuffers). Decode and SessionFold verify with it.
const fb::SessionDeltaFb* VerifiedSessionDelta(std::string_view aligned);

// The first-trace register's composition for any representation with
// SessionDelta's first_* fields (SessionDelta, SessionFold's view): the
// minimum (start, trace id), then the newest version of that trace. An
// rvalue `other` gives up its id and input when they win (moved).
template <typename First, typename Other>
void KeepFirst(First* self, Other&& other) {
  if (!other.has_first) return;
  const auto mine = std::tie(self->first_start_ns, self->first_trace_id);
  const auto theirs = std::tie(other.first_start_ns, other.first_trace_id);
  if (!self->has_first || theirs < mine ||
      (theirs == mine && other.first_version > self->first_version)) {
    self->has_first = true;
    self->first_start_ns = other.first_start_ns;
    self->first_trace_id = std::forward<Other>(other).first_trace_id;
    self->first_version = other.first_version;
    self->first_input = std::forward<Other>(other).first_input;
  }
}

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_AGGREGATE_SESSION_DELTA_H_
