// Copyright sessionstore authors.

#include "engine/util/case_fold.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>

namespace sessionstore {

namespace {

// The code points first, first + stride, ..., last fold to themselves + delta.
struct CaseFoldRun {
  char32_t first;
  char32_t last;
  int32_t delta;
  uint8_t stride;  // 1 or 2.
};

#include "engine/util/case_fold_table.inc"

constexpr std::size_t kNone = std::string_view::npos;

unsigned char Byte(std::string_view s, std::size_t i) { return static_cast<unsigned char>(s[i]); }

unsigned char FoldAscii(unsigned char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c + ('a' - 'A')) : c;
}

// One unit of UTF-8 text: a valid sequence (`cp` its code point) or, when
// `valid` is false, one byte that starts none (`cp` the byte's value).
struct Unit {
  char32_t cp;
  uint8_t len;
  bool valid;
};

// The unit at s[i]. REQUIRES: i < s.size(). Reads no byte past the end.
Unit DecodeUnit(std::string_view s, std::size_t i) {
  const unsigned char b0 = Byte(s, i);
  if (b0 < 0x80) return {b0, 1, true};
  const std::size_t left = s.size() - i;
  auto cont = [&](std::size_t k) { return k < left && (Byte(s, i + k) & 0xC0) == 0x80; };
  auto bits = [&](std::size_t k) { return static_cast<char32_t>(Byte(s, i + k) & 0x3F); };
  if (b0 >= 0xC2 && b0 <= 0xDF && cont(1)) {
    return {(static_cast<char32_t>(b0 & 0x1F) << 6) | bits(1), 2, true};
  }
  if (b0 >= 0xE0 && b0 <= 0xEF && cont(1) && cont(2)) {
    const char32_t c = (static_cast<char32_t>(b0 & 0x0F) << 12) | (bits(1) << 6) | bits(2);
    if (c >= 0x800 && (c < 0xD800 || c > 0xDFFF)) return {c, 3, true};  // Not overlong, surrogate.
  } else if (b0 >= 0xF0 && b0 <= 0xF4 && cont(1) && cont(2) && cont(3)) {
    const char32_t c =
        (static_cast<char32_t>(b0 & 0x07) << 18) | (bits(1) << 12) | (bits(2) << 6) | bits(3);
    if (c >= 0x10000 && c <= 0x10FFFF) return {c, 4, true};
  }
  return {b0, 1, false};
}

// Appends the UTF-8 encoding of code point `c` (at most U+10FFFF).
void AppendUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// A unit as FindFolded compares it: a valid one folded.
bool SameFolded(const Unit& haystack, const Unit& folded_needle) {
  if (haystack.valid != folded_needle.valid) return false;
  if (haystack.cp == folded_needle.cp) return true;  // The needle's code point is folded.
  return haystack.valid && FoldCodePoint(haystack.cp) == folded_needle.cp;
}

// Returns the end of the match of `needle` starting at haystack offset
// `at` (a unit boundary), or kNone.
std::size_t MatchAt(std::string_view haystack, std::size_t at, std::string_view needle) {
  std::size_t i = at, j = 0;
  while (j < needle.size()) {
    if (i == haystack.size()) return kNone;
    const unsigned char a = Byte(haystack, i);
    if (a < 0x80) {  // Folds to ASCII, which only an ASCII needle byte equals.
      if (FoldAscii(a) != Byte(needle, j)) return kNone;
      ++i;
      ++j;
      continue;
    }
    const Unit h = DecodeUnit(haystack, i), n = DecodeUnit(needle, j);
    if (!SameFolded(h, n)) return kNone;
    i += h.len;
    j += n.len;
  }
  return i;
}

// Up to kMaxBytes byte values; Next finds the first position at or after
// an offset that holds one of them. Offsets passed to Next must not
// decrease: each value's next occurrence is kept, so no stretch of the
// text is scanned twice for the same value.
class ByteSetScanner {
 public:
  static constexpr int kMaxBytes = 2 + static_cast<int>(std::size(kFoldsToAscii));

  explicit ByteSetScanner(std::string_view text) : text_(text) {}

  // Adds `b` to the set unless it is there or the set is full.
  void Add(unsigned char b) {
    for (int k = 0; k < count_; ++k) {
      if (bytes_[k] == b) return;
    }
    if (count_ == kMaxBytes) return;
    bytes_[count_] = b;
    next_[count_] = kNone;  // Not searched yet.
    ++count_;
  }

  // The first offset >= `from` holding a byte of the set, or text.size().
  std::size_t Next(std::size_t from) {
    std::size_t best = text_.size();
    for (int k = 0; k < count_; ++k) {
      if (next_[k] == kNone || next_[k] < from) {
        const char* hit = nullptr;
        if (from < text_.size()) {
          hit = static_cast<const char*>(
              std::memchr(text_.data() + from, bytes_[k], text_.size() - from));
        }
        next_[k] = hit == nullptr ? text_.size() : static_cast<std::size_t>(hit - text_.data());
      }
      best = std::min(best, next_[k]);
    }
    return best;
  }

 private:
  std::string_view text_;
  unsigned char bytes_[kMaxBytes] = {};
  std::size_t next_[kMaxBytes] = {};
  int count_ = 0;
};

// For each ASCII byte, the lead bytes of the non-ASCII code points that
// fold to it (0: none), from the generated kFoldsToAscii.
struct AsciiPreimages {
  unsigned char lead[128][std::size(kFoldsToAscii)] = {};
};

const AsciiPreimages& Preimages() {
  static const AsciiPreimages preimages = [] {
    AsciiPreimages p;
    for (const char32_t c : kFoldsToAscii) {
      std::string utf8;
      AppendUtf8(c, &utf8);
      unsigned char* slot = p.lead[FoldCodePoint(c) & 0x7F];
      while (*slot != 0) ++slot;  // There are as many slots as code points.
      *slot = static_cast<unsigned char>(utf8[0]);
    }
    return p;
  }();
  return preimages;
}

// FindFolded when the needle starts with an ASCII byte: the candidates are
// the byte in either case and the lead bytes of its non-ASCII preimages
// (U+212A KELVIN SIGN for "k"), each a unit boundary.
bool FindAsciiFirst(std::string_view haystack, std::string_view needle, std::size_t* at,
                    std::size_t* end) {
  const unsigned char first = Byte(needle, 0);
  ByteSetScanner scanner(haystack);
  scanner.Add(first);
  if (first >= 'a' && first <= 'z') scanner.Add(static_cast<unsigned char>(first - ('a' - 'A')));
  for (const unsigned char lead : Preimages().lead[first]) {
    if (lead != 0) scanner.Add(lead);
  }
  for (std::size_t i = scanner.Next(0); i < haystack.size(); i = scanner.Next(i + 1)) {
    const std::size_t e = MatchAt(haystack, i, needle);
    if (e != kNone) {
      *at = i;
      *end = e;
      return true;
    }
  }
  return false;
}

// The first offset >= `i` holding a byte >= 0x80, or s.size(); ASCII text
// is skipped eight bytes at a time.
std::size_t NextNonAscii(std::string_view s, std::size_t i) {
  constexpr uint64_t kHighBits = 0x8080808080808080u;
  for (uint64_t word = 0; i + sizeof(word) <= s.size(); i += sizeof(word)) {
    std::memcpy(&word, s.data() + i, sizeof(word));
    if ((word & kHighBits) != 0) break;
  }
  while (i < s.size() && Byte(s, i) < 0x80) ++i;
  return i;
}

// FindFolded when the needle starts with a non-ASCII unit, which no ASCII
// byte folds to: the candidates are the haystack's non-ASCII units, walked
// unit by unit so that each candidate is a unit boundary.
bool FindNonAsciiFirst(std::string_view haystack, std::string_view needle, std::size_t* at,
                       std::size_t* end) {
  const Unit first = DecodeUnit(needle, 0);
  for (std::size_t i = NextNonAscii(haystack, 0); i < haystack.size();) {
    const Unit u = DecodeUnit(haystack, i);
    if (SameFolded(u, first)) {
      const std::size_t e = MatchAt(haystack, i, needle);
      if (e != kNone) {
        *at = i;
        *end = e;
        return true;
      }
    }
    i = NextNonAscii(haystack, i + u.len);
  }
  return false;
}

}  // namespace

char32_t FoldCodePoint(char32_t c) {
  if (c < 0x80) return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
  const CaseFoldRun* const runs_end = std::end(kCaseFoldRuns);
  // The last run starting at or before c.
  const CaseFoldRun* run =
      std::upper_bound(std::begin(kCaseFoldRuns), runs_end, c,
                       [](char32_t v, const CaseFoldRun& r) { return v < r.first; });
  if (run == std::begin(kCaseFoldRuns)) return c;
  --run;
  if (c > run->last || (c - run->first) % run->stride != 0) return c;
  return static_cast<char32_t>(static_cast<int64_t>(c) + run->delta);
}

std::string FoldCase(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size();) {
    const unsigned char b = Byte(utf8, i);
    if (b < 0x80) {
      out.push_back(static_cast<char>(FoldAscii(b)));
      ++i;
      continue;
    }
    const Unit u = DecodeUnit(utf8, i);
    if (u.valid) {
      AppendUtf8(FoldCodePoint(u.cp), &out);
    } else {
      out.push_back(static_cast<char>(b));
    }
    i += u.len;
  }
  return out;
}

bool FindFolded(std::string_view haystack, std::string_view folded_needle, std::size_t* pos,
                std::size_t* len) {
  std::size_t at = 0, end = 0;
  bool found = true;
  if (!folded_needle.empty()) {
    found = Byte(folded_needle, 0) < 0x80 ? FindAsciiFirst(haystack, folded_needle, &at, &end)
                                          : FindNonAsciiFirst(haystack, folded_needle, &at, &end);
  }
  if (found && pos != nullptr) *pos = at;
  if (found && len != nullptr) *len = end - at;
  return found;
}

}  // namespace sessionstore
