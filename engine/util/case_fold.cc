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

// FoldCodePoint, usable in constant expressions.
constexpr char32_t TableFold(char32_t c) {
  if (c < 0x80) return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
  // The last run starting at or before c.
  const CaseFoldRun* run =
      std::upper_bound(std::begin(kCaseFoldRuns), std::end(kCaseFoldRuns), c,
                       [](char32_t v, const CaseFoldRun& r) { return v < r.first; });
  if (run == std::begin(kCaseFoldRuns)) return c;
  --run;
  if (c > run->last || (c - run->first) % run->stride != 0) return c;
  return static_cast<char32_t>(static_cast<int64_t>(c) + run->delta);
}

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

// The first byte of the UTF-8 encoding of code point `c`.
constexpr unsigned char Utf8Lead(char32_t c) {
  if (c < 0x80) return static_cast<unsigned char>(c);
  if (c < 0x800) return static_cast<unsigned char>(0xC0 | (c >> 6));
  if (c < 0x10000) return static_cast<unsigned char>(0xE0 | (c >> 12));
  return static_cast<unsigned char>(0xF0 | (c >> 18));
}

// For each ASCII byte, the lead bytes of the non-ASCII code points that
// fold to it (0: none), from the generated kFoldsToAscii.
struct AsciiPreimages {
  unsigned char lead[128][std::size(kFoldsToAscii)] = {};
};

constexpr AsciiPreimages MakeAsciiPreimages() {
  AsciiPreimages p;
  for (const char32_t c : kFoldsToAscii) {
    unsigned char* slot = p.lead[TableFold(c)];
    while (*slot != 0) ++slot;  // As many slots as code points: never past the end.
    *slot = Utf8Lead(c);
  }
  return p;
}

constexpr AsciiPreimages kAsciiPreimages = MakeAsciiPreimages();

// Finds, in increasing order, the offsets of a text that hold one of a few
// distinct bytes. A byte is searched for only up to the candidate about to
// be returned, and no stretch twice: an early match does not pay for a
// scan of the rest of the text for the other bytes (an upper-case letter
// that does not occur, say).
class CandidateScanner {
 public:
  static constexpr std::size_t kMaxBytes = 2 + std::size(kFoldsToAscii);

  explicit CandidateScanner(std::string_view text) : text_(text) {}

  // Adds `b` to the set unless it is there or the set is full.
  void Add(unsigned char b) {
    if (std::find(bytes_, bytes_ + count_, b) != bytes_ + count_ || count_ == kMaxBytes) return;
    bytes_[count_] = b;
    hit_[count_] = kNone;
    searched_[count_] = 0;
    ++count_;
  }

  // The first offset >= `from` holding a byte of the set, or text.size().
  // REQUIRES: `from` does not decrease from one call to the next.
  std::size_t Next(std::size_t from) {
    std::size_t best = text_.size();
    for (std::size_t k = 0; k < count_; ++k) {
      if (hit_[k] != kNone && hit_[k] >= from) {  // Found before and not passed yet.
        best = std::min(best, hit_[k]);
        continue;
      }
      hit_[k] = kNone;
      const std::size_t start = std::max(searched_[k], from);
      if (start >= best) continue;  // [from, searched_[k]) holds none of it.
      const void* hit = std::memchr(text_.data() + start, bytes_[k], best - start);
      if (hit == nullptr) {
        searched_[k] = best;
      } else {
        hit_[k] = static_cast<std::size_t>(static_cast<const char*>(hit) - text_.data());
        searched_[k] = hit_[k] + 1;
        best = hit_[k];
      }
    }
    return best;
  }

 private:
  std::string_view text_;
  unsigned char bytes_[kMaxBytes] = {};
  // Per byte: its only occurrence in [the last `from`, searched_) is hit_
  // (kNone: none).
  std::size_t hit_[kMaxBytes] = {};
  std::size_t searched_[kMaxBytes] = {};
  std::size_t count_ = 0;
};

// FindFolded when the needle starts with an ASCII byte: the candidates are
// the byte in either case and the lead bytes of its non-ASCII preimages
// (U+212A KELVIN SIGN for "k"), each a unit boundary wherever it occurs.
bool FindAsciiFirst(std::string_view haystack, std::string_view needle, std::size_t* at,
                    std::size_t* end) {
  const unsigned char first = Byte(needle, 0);
  CandidateScanner scanner(haystack);
  scanner.Add(first);  // The folded case first: most often the more frequent.
  if (first >= 'a' && first <= 'z') scanner.Add(static_cast<unsigned char>(first - ('a' - 'A')));
  for (const unsigned char lead : kAsciiPreimages.lead[first]) {
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

char32_t FoldCodePoint(char32_t c) { return TableFold(c); }

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
