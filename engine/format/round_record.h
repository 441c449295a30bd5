// Copyright sessionstore authors.
//
// The value of a round record ('R' id in the `dirty` family, since store
// format 9): a catch-up round that writes its sessions' aggregates in
// several atomic writes (chunks, in ascending session prefix order) puts,
// with every chunk but its last, which markers it applies and the first
// session prefix it has not written yet. A recovery that finds the record
// knows that every marker it names is already applied to the sessions
// below that prefix (docs/format.md, "Session indexes", step 2). The last
// chunk deletes the record with the markers.

#ifndef SESSIONSTORE_ENGINE_FORMAT_ROUND_RECORD_H_
#define SESSIONSTORE_ENGINE_FORMAT_ROUND_RECORD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sessionstore {

inline constexpr uint64_t kMaxRoundSeq = uint64_t{1} << 63;  // Exclusive.

struct RoundRecord {
  // The sequences of the markers the round applies: ascending, distinct,
  // at least one, each below kMaxRoundSeq (sequences start above RocksDB's,
  // which are below 2^56).
  std::vector<uint64_t> seqs;
  // A session prefix (engine/format/keys.h): every session below it is
  // written.
  std::string written_below;

  // True when the round applied marker `seq`'s entry of the session at
  // `prefix` already.
  bool Covers(uint64_t seq, std::string_view prefix) const;

  bool operator==(const RoundRecord&) const = default;
};

// Appends the encoding of a round record with these fields to *dst
// (REQUIRES: `seqs` ascending, distinct, not empty and below kMaxRoundSeq;
// `written_below` a session prefix with a non-empty id).
void EncodeRoundRecord(const std::vector<uint64_t>& seqs, std::string_view written_below,
                       std::string* dst);
// Decodes a round record into *record. Fails on a malformed value:
// unknown format byte, no sequence, a sequence not below kMaxRoundSeq, a written_below
// that is not exactly one session prefix, trailing bytes.
bool DecodeRoundRecord(std::string_view in, RoundRecord* record);

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_FORMAT_ROUND_RECORD_H_
