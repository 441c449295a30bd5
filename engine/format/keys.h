// Copyright sessionstore authors.
//
// The key grammar and the small values of every column family (built from
// the primitives of engine/util/coding.h). Put*/Encode* append or return
// bytes; Get*/Parse*/Decode* return false on short or malformed input without
// reading past the end. Pure functions: safe from any thread.
//
// Key grammar (DO NOT CHANGE: stored on disk; see docs/format.md):
//
//   session_hash   := fixed64-BE(XXH3_64bits(session_id))
//   session_prefix := session_hash varint32(len(session_id)) session_id
//   time           := fixed64-BE(uint64(start_ns) XOR 2^63)   -- orders as int64
//
//   CF traces:     session_prefix time trace_id  -> TraceRecordFb
//   CF trace_ids:  trace_id                      -> locator
//   CF sessions:   session_prefix                -> SessionDeltaFb (merged)
//   CF dirty (written by ingest, deleted by the SessionIndexer):
//     'D' fixed64-BE(seq)                          -> dirty_marker
//     'R' fixed64-BE(id)                           -> round_record (format 9: a
//                                                     catch-up round written in chunks)
//   CF index (each session's index state, maintained from the dirty
//   markers by the SessionIndexer; never written by ingest; the sorted
//   indexes are derived from it in memory: engine/session_table.h):
//     'X' session_prefix                          -> index_state
//   index_state, dirty_marker: engine/aggregate/session_index_state.h
//   (Version 4 also kept 'O' order and 'U' user entries here; the upgrade
//   to version 5 deletes them.)
//
//   Listing orders (in memory and in cursors, not on disk):
//   order := 'l' last activity | 'f' first activity | 'c' cost | 't' total
//            tokens | 'n' trace count | 'd' duration
//
//   locator := 0x01 time varint32(len(session_id)) session_id
//
// Traces without a session id use the empty session id "" and get no
// aggregate and no index entries.

#ifndef SESSIONSTORE_ENGINE_FORMAT_KEYS_H_
#define SESSIONSTORE_ENGINE_FORMAT_KEYS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/util/coding.h"

namespace sessionstore {

// Hash of a session id used for the fixed-width key prefix.
// DO NOT CHANGE: stored on disk.
uint64_t SessionHash(std::string_view session_id);

// Width of the fixed prefix the traces and sessions column families extract
// for their prefix bloom filters. DO NOT CHANGE: stored on disk.
inline constexpr std::size_t kSessionHashBytes = 8;
// DO NOT CHANGE: stored on disk.
inline constexpr char kDirtyTag = 'D';
inline constexpr char kRoundTag = 'R';
inline constexpr char kStateTag = 'X';
// Version 4's order and user entries (removed by the upgrade to version 5).
inline constexpr char kVersion4OrderTag = 'O';
inline constexpr char kVersion4UserTag = 'U';
inline constexpr char kOrderLast = 'l';
inline constexpr char kOrderFirst = 'f';
inline constexpr char kOrderCost = 'c';
inline constexpr char kOrderTokens = 't';
inline constexpr char kOrderTraces = 'n';
inline constexpr char kOrderDuration = 'd';
inline constexpr char kOrderErrors = 'e';
inline constexpr char kSessionOrders[] = {kOrderLast,   kOrderFirst,  kOrderCost,    kOrderTokens,
                                          kOrderTraces, kOrderDuration, kOrderErrors};
inline constexpr unsigned char kLocatorFormat = 1;

// ---- keys ----
// `hash` is normally SessionHash(session_id); tests pass colliding values.
void PutSessionPrefix(std::string* dst, uint64_t hash, std::string_view session_id);
bool GetSessionPrefix(std::string_view* in, uint64_t* hash, std::string_view* session_id);

std::string TraceKey(uint64_t hash, std::string_view session_id, int64_t start_ns,
                     std::string_view trace_id);
// Exclusive upper bound of every trace key of the session with this prefix
// (Ingest rejects start == INT64_MAX, whose time encoding is eight 0xff).
std::string SessionTracesEnd(std::string_view session_prefix);
struct ParsedTraceKey {
  uint64_t hash = 0;
  std::string_view session_id;
  int64_t start_ns = 0;
  std::string_view trace_id;
};
bool ParseTraceKey(std::string_view key, ParsedTraceKey* out);

// ---- dirty markers (CF dirty) ----
// Dirty marker of one ingest batch (sequence `seq`): 'D' fixed64-BE(seq),
// so markers sort by sequence. Its value (engine/aggregate/session_index_state.h)
// lists the batch's changed sessions with their index deltas.
std::string DirtyKey(uint64_t seq);
bool ParseDirtyKey(std::string_view key, uint64_t* seq);
// Round record of a catch-up round written in chunks (format 9; value:
// engine/format/round_record.h): 'R' fixed64-BE(id), `id` drawn as a
// marker's sequence is, so never reused.
std::string RoundKey(uint64_t id);
bool ParseRoundKey(std::string_view key, uint64_t* id);
// ---- session index keys (CF index) ----
// Key of a session's index state (engine/aggregate/session_index_state.h).
std::string StateKey(std::string_view session_prefix);

// What the session indexes sort and filter one session by.
struct SessionIndexEntry {
  int64_t first_ns = 0;
  int64_t last_ns = 0;
  int64_t cost_nano_usd = 0;  // Negative values are stored as 0.
  int64_t total_tokens = 0;
  int64_t trace_count = 0;
  int64_t duration_ns = 0;
  int64_t error_count = 0;
  bool operator==(const SessionIndexEntry&) const = default;
};
// The entry's sort value under `order`, as an unsigned number that sorts
// like it (times: uint64(ns) XOR 2^63; counts and costs as is, negative as
// 0). Listing positions hold its complement, so that the default listings
// (largest first) are ascending positions. DO NOT CHANGE: cursors carry it.
uint64_t OrderMetric(char order, const SessionIndexEntry& e);

// ---- small values ----
std::string EncodeLocator(int64_t start_ns, std::string_view session_id);
bool DecodeLocator(std::string_view in, int64_t* start_ns, std::string_view* session_id);

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_FORMAT_KEYS_H_
