// Copyright sessionstore authors.
//
// The one codec for every byte layout sessionstore stores in keys and small
// values. Put* appends; Get* consumes from the front of a string_view and
// returns false on short or malformed input without reading past the end.
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
//   CF index:      'A' time session_prefix trace_id   -> ""   (activity)
//                  'M' session_prefix field time trace_id -> value of the field
//   field   := 'n' (session_name) | 'u' (user_id)   -- only for a trace that has it
//
//   locator := 0x01 time varint32(len(session_id)) session_id
//
// Traces without a session id use the empty session id "" and get no
// aggregate, activity or mark entries.

#ifndef SESSIONSTORE_ENGINE_CODING_H_
#define SESSIONSTORE_ENGINE_CODING_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace sessionstore {

// Hash of a session id used for the fixed-width key prefix.
// DO NOT CHANGE: stored on disk.
uint64_t SessionHash(std::string_view session_id);

// Width of the fixed prefix the traces and sessions column families extract
// for their prefix bloom filters. DO NOT CHANGE: stored on disk.
inline constexpr std::size_t kSessionHashBytes = 8;
inline constexpr std::size_t kTimeBytes = 8;
// DO NOT CHANGE: stored on disk.
inline constexpr char kActivityTag = 'A';
inline constexpr char kMarkTag = 'M';
inline constexpr char kMarkUser = 'u';
inline constexpr char kMarkSessionName = 'n';
inline constexpr unsigned char kLocatorFormat = 1;

// ---- primitives ----
void PutFixed64BE(std::string* dst, uint64_t v);
bool GetFixed64BE(std::string_view* in, uint64_t* v);
void PutVarint32(std::string* dst, uint32_t v);
bool GetVarint32(std::string_view* in, uint32_t* v);
void PutLengthPrefixed(std::string* dst, std::string_view s);
bool GetLengthPrefixed(std::string_view* in, std::string_view* s);
// Order-preserving encoding of a signed time.
void PutTime(std::string* dst, int64_t ns);
bool GetTime(std::string_view* in, int64_t* ns);

// ---- keys ----
// `hash` is normally SessionHash(session_id); tests pass colliding values.
void PutSessionPrefix(std::string* dst, uint64_t hash, std::string_view session_id);
bool GetSessionPrefix(std::string_view* in, uint64_t* hash, std::string_view* session_id);

std::string TraceKey(uint64_t hash, std::string_view session_id, int64_t start_ns,
                     std::string_view trace_id);
struct ParsedTraceKey {
  uint64_t hash = 0;
  std::string_view session_id;
  int64_t start_ns = 0;
  std::string_view trace_id;
};
bool ParseTraceKey(std::string_view key, ParsedTraceKey* out);

std::string ActivityKey(int64_t start_ns, uint64_t hash, std::string_view session_id,
                        std::string_view trace_id);
// Parsed activity key: same fields as a trace key.
bool ParseActivityKey(std::string_view key, ParsedTraceKey* out);

// `field` is kMarkUser or kMarkSessionName.
std::string MarkPrefix(uint64_t hash, std::string_view session_id, char field);
std::string MarkKey(uint64_t hash, std::string_view session_id, char field, int64_t start_ns,
                    std::string_view trace_id);
bool ParseMarkKey(std::string_view key, char* field, ParsedTraceKey* out);

// ---- small values ----
std::string EncodeLocator(int64_t start_ns, std::string_view session_id);
bool DecodeLocator(std::string_view in, int64_t* start_ns, std::string_view* session_id);

// FlatBuffers reads scalars in place and needs them aligned; values that
// RocksDB hands out (memtable, blocks) have no alignment guarantee. Returns
// `bytes` itself when it starts 8-byte aligned, else a copy in *scratch.
std::string_view AlignedForFlatBuffers(std::string_view bytes, std::string* scratch);

// ---- cursors (opaque to users) ----
// A cursor is hex(payload || fixed64-BE(XXH3_64bits(payload))). Decode
// returns false if it is not hex or the checksum does not match.
std::string EncodeCursor(std::string_view payload);
bool DecodeCursor(std::string_view cursor, std::string* payload);

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_CODING_H_
