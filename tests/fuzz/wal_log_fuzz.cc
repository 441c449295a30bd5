// Copyright sessionstore authors.
//
// libFuzzer target: WalLogScanner (engine/util/wal_log_scanner.h), which an
// open runs over a damaged write-ahead log. Whatever the bytes, it must not
// crash or read out of bounds, and what it reports must be consistent:
// record ends increasing, at least a minimal record apart, and inside the
// file; damage starts increasing and inside the file.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "engine/util/wal_log_scanner.h"

namespace ss = sessionstore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  ss::WalLogScanner scanner;
  for (std::size_t off = 0; off < in.size(); off += ss::WalLogScanner::kBlockSize) {
    scanner.AddBlock(in.substr(off, ss::WalLogScanner::kBlockSize));
  }
  scanner.Finish();
  const std::vector<uint64_t>& ends = scanner.record_ends();
  const std::vector<uint64_t>& damage = scanner.damage_starts();
  if (!std::is_sorted(ends.begin(), ends.end()) || !std::is_sorted(damage.begin(), damage.end())) {
    std::abort();
  }
  if ((!ends.empty() && ends.back() > size) || (!damage.empty() && damage.back() >= size)) {
    std::abort();
  }
  // Each record is at least a header and a WriteBatch header long.
  const uint64_t kMin = ss::WalLogScanner::kHeaderSize + ss::WalLogScanner::kMinRecordBytes;
  if (!ends.empty() && ends.front() < kMin) std::abort();
  for (std::size_t i = 1; i < ends.size(); ++i) {
    if (ends[i] - ends[i - 1] < kMin) std::abort();
  }
  return 0;
}
