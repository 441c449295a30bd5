// Copyright sessionstore authors.

#include "engine/util/case_fold.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sessionstore {
namespace {

constexpr std::size_t kNpos = std::string::npos;

// FindFolded's match as {pos, len}, or {npos, npos} when there is none.
std::pair<std::size_t, std::size_t> Find(std::string_view haystack, std::string_view needle) {
  std::size_t pos = kNpos, len = kNpos;
  if (!FindFolded(haystack, FoldCase(needle), &pos, &len)) return {kNpos, kNpos};
  return {pos, len};
}

std::pair<std::size_t, std::size_t> At(std::size_t pos, std::size_t len) { return {pos, len}; }
const std::pair<std::size_t, std::size_t> kNoMatch = {kNpos, kNpos};

TEST(CaseFoldTest, FoldsCodePoints) {
  EXPECT_EQ(FoldCodePoint('A'), U'a');
  EXPECT_EQ(FoldCodePoint('z'), U'z');
  EXPECT_EQ(FoldCodePoint('@'), U'@');
  EXPECT_EQ(FoldCodePoint(U'É'), U'é');
  EXPECT_EQ(FoldCodePoint(U'Σ'), U'σ');
  EXPECT_EQ(FoldCodePoint(U'ς'), U'σ');  // Final sigma (status C).
  EXPECT_EQ(FoldCodePoint(U'σ'), U'σ');
  EXPECT_EQ(FoldCodePoint(0x212A), U'k');              // KELVIN SIGN.
  EXPECT_EQ(FoldCodePoint(0x212B), U'å');              // ANGSTROM SIGN.
  EXPECT_EQ(FoldCodePoint(0x017F), U's');              // LONG S.
  EXPECT_EQ(FoldCodePoint(0x1E9E), U'ß');              // CAPITAL SHARP S: status S.
  EXPECT_EQ(FoldCodePoint(U'ß'), U'ß');                // Only a full (F) folding, to "ss".
  EXPECT_EQ(FoldCodePoint(0x0130), char32_t{0x0130});  // İ: only F and T foldings.
  EXPECT_EQ(FoldCodePoint(0x0131), char32_t{0x0131});  // Dotless ı: no folding.
  EXPECT_EQ(FoldCodePoint(U'Д'), U'д');
  EXPECT_EQ(FoldCodePoint(U'Ё'), U'ё');
  EXPECT_EQ(FoldCodePoint(0x10400), char32_t{0x10428});  // Deseret (4 bytes in UTF-8).
  EXPECT_EQ(FoldCodePoint(0x0100), char32_t{0x0101});    // Ā: a run of stride 2 ...
  EXPECT_EQ(FoldCodePoint(0x0101), char32_t{0x0101});    // ... whose gaps fold to themselves.
  EXPECT_EQ(FoldCodePoint(0x01C5), char32_t{0x01C6});    // Title case ǅ.
  EXPECT_EQ(FoldCodePoint(0x1E921), char32_t{0x1E943});  // The table's last run (Adlam).
  EXPECT_EQ(FoldCodePoint(0xD800), char32_t{0xD800});    // Not code points: unchanged.
  EXPECT_EQ(FoldCodePoint(0x110000), char32_t{0x110000});
}

// Guards the generated table as a whole: Unicode 15.0.0 has 1454 C + S
// mappings (update with the table), folding is idempotent, and folds stay
// in the code point range.
TEST(CaseFoldTest, TableIsIdempotentAndComplete) {
  int changed = 0;
  for (char32_t c = 0; c <= 0x10FFFF; ++c) {
    const char32_t f = FoldCodePoint(c);
    if (f == c) continue;
    ++changed;
    ASSERT_EQ(FoldCodePoint(f), f) << std::hex << static_cast<uint32_t>(c);
    ASSERT_TRUE(f <= 0x10FFFF && (f < 0xD800 || f > 0xDFFF)) << static_cast<uint32_t>(c);
  }
  EXPECT_EQ(changed, 1454);
}

TEST(CaseFoldTest, FoldsStrings) {
  EXPECT_EQ(FoldCase(""), "");
  EXPECT_EQ(FoldCase("Hello, ÉCOLE 42!"), "hello, école 42!");
  EXPECT_EQ(FoldCase("ΣΊΣΥΦΟΣ σίσυφος"), "σίσυφοσ σίσυφοσ");
  EXPECT_EQ(FoldCase("ПРИВЕТ Мир Ёж"), "привет мир ёж");
  EXPECT_EQ(FoldCase("STRA\u1E9EE"), "straße");
  EXPECT_EQ(FoldCase("\u0130stanbul"), "\u0130stanbul");
  EXPECT_EQ(FoldCase("\U00010400\U00010401"), "\U00010428\U00010429");  // Deseret.
  // Byte lengths change: 3 -> 1, 2 -> 3.
  EXPECT_EQ(FoldCase("5 \u212A"), "5 k");
  EXPECT_EQ(FoldCase("\u023A"), "\u2C65");
  for (const std::string s : {"Mixed ÄÖÜ ΑΒΓ АБВ \U00010410", "already folded", "\u212A\u017F"}) {
    EXPECT_EQ(FoldCase(FoldCase(s)), FoldCase(s)) << s;
  }
}

TEST(CaseFoldTest, InvalidBytesPassThrough) {
  // A stray continuation byte, bytes never valid, a truncated sequence at
  // the end, an overlong encoding, a surrogate, a code point past U+10FFFF.
  const std::vector<std::string> invalid = {
      "\x80", "\xff", "\xfe", "\xc3", "\xe2\x84", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"};
  for (const std::string& bad : invalid) {
    EXPECT_EQ(FoldCase("A" + bad + "B"), "a" + bad + "b");
    EXPECT_EQ(FoldCase(bad), bad);
  }
  // A truncated lead byte before a valid character: only the lead is invalid.
  EXPECT_EQ(FoldCase("\xc3"
                     "\xc3\x89"),
            "\xc3"
            "\xc3\xa9");  // É folded.
}

TEST(CaseFoldTest, FindsAsciiNeedles) {
  EXPECT_EQ(Find("Hello RocksDB world", "rocksdb"), At(6, 7));
  EXPECT_EQ(Find("hello rocksdb", "ROCKSDB"), At(6, 7));
  EXPECT_EQ(Find("xRrocks", "rocks"), At(2, 5));  // A near miss first.
  EXPECT_EQ(Find("a-B-c", "-b-"), At(1, 3));      // First byte not a letter.
  EXPECT_EQ(Find("abc", "abcd"), kNoMatch);
  EXPECT_EQ(Find("ends with KEY", "key"), At(10, 3));  // At the end.
  EXPECT_EQ(Find("no match here", "rocks"), kNoMatch);
  EXPECT_EQ(Find("caf\xc3\xa9", "\xc3\xa9"), At(3, 2));
  EXPECT_EQ(Find("[ { ]", "{"), At(2, 1));
  EXPECT_EQ(Find("", "a"), kNoMatch);
  EXPECT_EQ(Find("rrrrrrrrrrRRRRRRRRRRrrrrrrrrrRocks", "rocks"), At(29, 5));
  EXPECT_TRUE(FindFolded("abc", "b"));  // pos and len are optional.
  EXPECT_FALSE(FindFolded("abc", "d"));
  EXPECT_FALSE(FindFolded("ABC", "B"));  // The needle must be folded.
}

TEST(CaseFoldTest, FindsAcrossByteLengthChanges) {
  // KELVIN SIGN (3 bytes) matches "k" (1 byte), and the other way.
  EXPECT_EQ(Find("x\u212Ay", "K"), At(1, 3));
  EXPECT_EQ(Find("x\u212Ay", "xky"), At(0, 5));
  EXPECT_EQ(Find("kelvin", "\u212A"), At(0, 1));
  EXPECT_EQ(Find("5 \u212A", "5 k"), At(0, 5));  // Match at the end.
  EXPECT_EQ(Find("5 \u212A", "k"), At(2, 3));
  EXPECT_EQ(Find("\u017Fun", "SUN"), At(0, 4));  // LONG S.
  // Candidates of three kinds (k, K, KELVIN SIGN) in every order.
  EXPECT_EQ(Find("k K \u212A \u212Ak Kk kK k\u212AX", "kx"), At(20, 4));
  EXPECT_EQ(Find("\u212A K k \u212AK kK\u212A", "k\u212Ak"), At(13, 5));
  // U+023A (2 bytes) folds to U+2C65 (3 bytes).
  EXPECT_EQ(Find("ab\u023Acd", "\u2C65C"), At(2, 3));
  EXPECT_EQ(Find("ab\u2C65cd", "\u023A"), At(2, 3));
  EXPECT_EQ(Find("Der ΣΊΣΥΦΟΣ", "σίσυφος"), At(4, 14));
  EXPECT_EQ(Find("— Привет, МИР!", "мир"), At(18, 6));
  EXPECT_EQ(Find("x \U00010400\U00010401", "\U00010429"), At(6, 4));  // Deseret.
}

TEST(CaseFoldTest, SimpleFoldingOnly) {
  EXPECT_EQ(Find("STRA\u1E9EE", "straße"), At(0, 8));
  EXPECT_EQ(Find("Straße", "STRA\u1E9EE"), At(0, 7));
  EXPECT_EQ(Find("Straße", "STRASSE"), kNoMatch);  // "ss" is full folding.
  EXPECT_EQ(Find("STRASSE", "straße"), kNoMatch);
  EXPECT_EQ(Find("\u0130stanbul", "istanbul"), kNoMatch);  // İ: no simple folding.
  EXPECT_EQ(Find("\u0130stanbul", "\u0130STANBUL"), At(0, 9));
  EXPECT_EQ(Find("Istanbul", "\u0131stanbul"), kNoMatch);  // Nor dotless ı.
}

TEST(CaseFoldTest, FindsAroundInvalidBytes) {
  EXPECT_EQ(Find("\xff\xfe"
                 "ABC\xc3",
                 "abc"),
            At(2, 3));
  EXPECT_EQ(Find("a\xff"
                 "B",
                 "\xff"
                 "b"),
            At(1, 2));                            // Invalid bytes match themselves.
  EXPECT_EQ(Find("\xc3\xa9", "\xc3"), kNoMatch);  // Not inside a character.
  EXPECT_EQ(Find("\xc3\xa9", "\xa9"), kNoMatch);
  EXPECT_EQ(Find("\xc3"
                 "\xc3\x89",
                 "\xc3\xa9"),
            At(1, 2));
  EXPECT_EQ(Find("x\xe2\x84", "\xe2\x84"), At(1, 2));  // Truncated at the end.
  EXPECT_EQ(Find("x\xe2\x84", "\u212A"), kNoMatch);
  EXPECT_EQ(Find("\xe2\x84"
                 "K",
                 "k"),
            At(2, 1));
}

// The claim of the header: for a valid folded needle, FindFolded matches
// exactly when FoldCase(haystack) contains it, at the first such place.
TEST(CaseFoldTest, AgreesWithFoldCaseAndFind) {
  const std::vector<std::string> letters = {
      "a",      "A", "s", "S", "\u017F", "k",          "K",         "\u212A", "ß",
      "\u1E9E", "σ", "Σ", "ς", "д",      "Д",          "\u023A",    "\u2C65", "\u0130",
      "i",      "I", "é", "É", " ",      "\U00010400", "\U00010428"};
  const std::vector<std::string> invalid = {"\xff", "\xc3", "\xe2\x84", "\x80"};
  std::mt19937_64 rng(2024);
  int matches = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string haystack, needle;
    const int units = static_cast<int>(rng() % 12);
    for (int u = 0; u < units; ++u) {
      haystack +=
          rng() % 16 == 0 ? invalid[rng() % invalid.size()] : letters[rng() % letters.size()];
    }
    const int needle_units = 1 + static_cast<int>(rng() % 3);
    for (int u = 0; u < needle_units; ++u) needle += letters[rng() % letters.size()];
    needle = FoldCase(needle);
    const std::string folded = FoldCase(haystack);
    std::size_t pos = kNpos, len = kNpos;
    const bool found = FindFolded(haystack, needle, &pos, &len);
    ASSERT_EQ(found, folded.find(needle) != std::string::npos) << haystack << " / " << needle;
    if (!found) continue;
    ++matches;
    ASSERT_EQ(FoldCase(haystack.substr(pos, len)), needle) << haystack << " / " << needle;
    ASSERT_EQ(FoldCase(haystack.substr(0, pos)).size(), folded.find(needle)) << haystack;
  }
  EXPECT_GT(matches, 2000);  // Not vacuous.
}

}  // namespace
}  // namespace sessionstore
