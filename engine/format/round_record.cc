// Copyright sessionstore authors.

#include "engine/format/round_record.h"

#include <algorithm>

#include "engine/format/keys.h"
#include "engine/util/coding.h"

namespace sessionstore {

namespace {

constexpr char kRoundRecordFormat = 0x01;

}  // namespace

bool RoundRecord::Covers(uint64_t seq, std::string_view prefix) const {
  return prefix < written_below && std::binary_search(seqs.begin(), seqs.end(), seq);
}

void EncodeRoundRecord(const std::vector<uint64_t>& seqs, std::string_view written_below,
                       std::string* dst) {
  dst->push_back(kRoundRecordFormat);
  PutVarint32(dst, static_cast<uint32_t>(seqs.size()));
  PutFixed64BE(dst, seqs.front());
  for (std::size_t i = 1; i < seqs.size(); ++i) {
    // The gap less one: strictly ascending sequences, most of them
    // consecutive, take one byte each.
    PutSignedVarint64(dst, static_cast<int64_t>(seqs[i] - seqs[i - 1] - 1));
  }
  PutLengthPrefixed(dst, written_below);
}

bool DecodeRoundRecord(std::string_view in, RoundRecord* record) {
  record->seqs.clear();
  record->written_below.clear();
  uint32_t n = 0;
  uint64_t seq = 0;
  if (in.empty() || in[0] != kRoundRecordFormat) return false;
  in.remove_prefix(1);
  // Each sequence after the first takes at least one byte.
  if (!GetVarint32(&in, &n) || n == 0 || n - 1 > in.size() || !GetFixed64BE(&in, &seq) ||
      seq >= kMaxRoundSeq) {
    return false;
  }
  record->seqs.reserve(n);
  record->seqs.push_back(seq);
  for (uint32_t i = 1; i < n; ++i) {
    int64_t gap = 0;
    if (!GetSignedVarint64(&in, &gap) || gap < 0) return false;
    // Both below 2^63: no overflow.
    seq += static_cast<uint64_t>(gap) + 1;
    if (seq >= kMaxRoundSeq) return false;
    record->seqs.push_back(seq);
  }
  std::string_view prefix;
  if (!GetLengthPrefixed(&in, &prefix) || !in.empty()) return false;
  std::string_view rest = prefix;
  uint64_t hash = 0;
  std::string_view id;
  if (!GetSessionPrefix(&rest, &hash, &id) || id.empty() || !rest.empty()) return false;
  record->written_below.assign(prefix);
  return true;
}

}  // namespace sessionstore
