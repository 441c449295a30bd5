// Copyright sessionstore authors.
//
// libFuzzer target: Unicode case folding (engine/util/case_fold.h) over
// arbitrary bytes. Input: one byte n, then a needle of n bytes (fewer at
// the end), then the haystack. Checks that FoldCase is idempotent, that a
// FindFolded match lies inside the haystack and folds to the needle, and,
// for a needle that is valid UTF-8, that FindFolded agrees with
// FoldCase(haystack).find(needle) on whether and where it matches.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/util/case_fold.h"

namespace {

// True if `s` is valid UTF-8 (no overlong forms, surrogates, or code
// points past U+10FFFF), written here independently of case_fold.cc.
bool ValidUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char b = static_cast<unsigned char>(s[i]);
    const std::size_t n = b < 0x80                 ? 1
                          : b >= 0xC2 && b <= 0xDF ? 2
                          : b >= 0xE0 && b <= 0xEF ? 3
                          : b >= 0xF0 && b <= 0xF4 ? 4
                                                   : 0;
    if (n == 0 || s.size() - i < n) return false;
    uint32_t c = n == 1 ? b : b & (0x7F >> n);
    for (std::size_t k = 1; k < n; ++k) {
      const unsigned char t = static_cast<unsigned char>(s[i + k]);
      if ((t & 0xC0) != 0x80) return false;
      c = (c << 6) | (t & 0x3F);
    }
    if ((n == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
        (n == 4 && (c < 0x10000 || c > 0x10FFFF))) {
      return false;
    }
    i += n;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t n = data[0] < in.size() ? data[0] : in.size();
  const std::string needle = sessionstore::FoldCase(in.substr(0, n));
  const std::string_view haystack = in.substr(n);
  const std::string folded = sessionstore::FoldCase(haystack);
  if (sessionstore::FoldCase(folded) != folded || sessionstore::FoldCase(needle) != needle) {
    std::abort();
  }
  if (needle.empty()) return 0;
  std::size_t pos = 0, len = 0;
  const bool found = sessionstore::FindFolded(haystack, needle, &pos, &len);
  if (found && (pos > haystack.size() || len > haystack.size() - pos ||
                sessionstore::FoldCase(haystack.substr(pos, len)) != needle)) {
    std::abort();
  }
  if (ValidUtf8(needle)) {
    const std::size_t at = folded.find(needle);
    if (found != (at != std::string::npos)) std::abort();
    if (found && sessionstore::FoldCase(haystack.substr(0, pos)).size() != at) std::abort();
  }
  return 0;
}
