// Copyright sessionstore authors.
//
// libFuzzer target: the session aggregate and merge operand
// (engine/aggregate/session_delta.h), which RocksDB hands to the merge
// operator from disk. Decode must reject bad bytes without crashing; what
// decodes must re-encode to bytes that decode to the same value, and
// adding it to itself and reading it into a summary must not overflow
// (saturating arithmetic, checked by UBSan). SessionFold must accept
// exactly what Decode accepts, fold it to what Decode and Add give, and
// encode the fold (from its views) to the bytes of that value's encoding.

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "engine/aggregate/session_delta.h"
#include "engine/aggregate/session_fold.h"

namespace ss = sessionstore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  ss::SessionDelta delta;
  ss::SessionFold fold;
  const bool decoded = ss::SessionDelta::Decode(in, &delta);
  if (fold.Add(in) != decoded) std::abort();
  if (!decoded) return 0;
  if (!fold.Add(in)) std::abort();
  ss::SessionDelta folded, twice;
  fold.Materialize(&folded);
  twice.Add(delta);
  twice.Add(delta);
  if (!(folded == twice)) std::abort();
  if (fold.Encode() != twice.Encode()) std::abort();
  // The indexer's in-memory path: folding the decoded delta as it is, and
  // composing it by moving, give the same; the moved one is left empty.
  ss::SessionFold structs;
  structs.AddDelta(delta);
  structs.AddDelta(delta);
  if (structs.Encode() != twice.Encode()) std::abort();
  ss::SessionDelta absorbed, first = delta, second = delta;
  absorbed.Absorb(std::move(first));
  absorbed.Absorb(std::move(second));
  if (!(absorbed == twice) || !first.IsIdentity() || !second.IsIdentity()) std::abort();
  const std::string encoded = delta.Encode();
  ss::SessionDelta again;
  if (!ss::SessionDelta::Decode(encoded, &again) || again.Encode() != encoded) std::abort();
  again.Add(delta);
  (void)again.Encode();
  ss::SessionSummary summary;  // What a read builds from it.
  again.MoveToSummary(&summary);
  return 0;
}
