// Copyright sessionstore authors.
//
// Round records (engine/format/round_record.h): round trip, canonical
// bytes, what Covers says, and the malformed values a decoder must refuse.

#include "engine/format/round_record.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/format/keys.h"

namespace sessionstore {
namespace {

std::string Prefix(const std::string& id) {
  std::string p;
  PutSessionPrefix(&p, 7, id);
  return p;
}

std::string Encode(const std::vector<uint64_t>& seqs, const std::string& below) {
  std::string out;
  EncodeRoundRecord(seqs, below, &out);
  return out;
}

TEST(RoundRecordTest, RoundTrips) {
  for (const std::vector<uint64_t>& seqs : {std::vector<uint64_t>{1},
                                            {5, 6, 7, 8},
                                            {3, 1000, 1001, kMaxRoundSeq - 1},
                                            std::vector<uint64_t>{kMaxRoundSeq - 1}}) {
    const std::string bytes = Encode(seqs, Prefix("session-b"));
    RoundRecord r;
    ASSERT_TRUE(DecodeRoundRecord(bytes, &r));
    EXPECT_EQ(r.seqs, seqs);
    EXPECT_EQ(r.written_below, Prefix("session-b"));
  }
  // Consecutive sequences take a byte each after the first.
  EXPECT_EQ(Encode({1, 2, 3, 4}, Prefix("x")).size(), Encode({1}, Prefix("x")).size() + 3);
}

TEST(RoundRecordTest, CoversItsMarkersBelowItsPrefix) {
  RoundRecord r;
  r.seqs = {4, 9};
  r.written_below = Prefix("m");
  EXPECT_TRUE(r.Covers(4, Prefix("a")));
  EXPECT_TRUE(r.Covers(9, Prefix("l")));
  EXPECT_FALSE(r.Covers(9, Prefix("m"))) << "the first session not written";
  EXPECT_FALSE(r.Covers(9, Prefix("z")));
  EXPECT_FALSE(r.Covers(5, Prefix("a"))) << "a marker the round did not take";
}

TEST(RoundRecordTest, RefusesMalformedValues) {
  const std::string good = Encode({5, 6}, Prefix("s"));
  RoundRecord r;
  ASSERT_TRUE(DecodeRoundRecord(good, &r));
  EXPECT_FALSE(DecodeRoundRecord("", &r));
  EXPECT_FALSE(DecodeRoundRecord(good.substr(0, good.size() - 1), &r)) << "truncated";
  EXPECT_FALSE(DecodeRoundRecord(good + "x", &r)) << "trailing bytes";
  std::string format = good;
  format[0] = 0x02;
  EXPECT_FALSE(DecodeRoundRecord(format, &r)) << "unknown format";
  std::string none(1, 0x01);
  none.push_back(0);  // No sequence.
  EXPECT_FALSE(DecodeRoundRecord(none, &r));
  std::string bad_prefix = Encode({5}, "");
  EXPECT_FALSE(DecodeRoundRecord(bad_prefix, &r)) << "no session prefix";
  std::string trailing_in_prefix = Encode({5}, Prefix("s") + "x");
  EXPECT_FALSE(DecodeRoundRecord(trailing_in_prefix, &r));
  // Sequences from kMaxRoundSeq on.
  EXPECT_FALSE(DecodeRoundRecord(Encode({kMaxRoundSeq}, Prefix("s")), &r));
  EXPECT_FALSE(DecodeRoundRecord(Encode({kMaxRoundSeq - 2, kMaxRoundSeq - 1}, Prefix("s"))
                                     .replace(10, 1, std::string(1, '\x02')),
                                 &r));
  // A gap that is negative.
  std::string negative = Encode({5, 6}, Prefix("s"));
  negative[10] = 0x01;  // zigzag(-1)
  EXPECT_FALSE(DecodeRoundRecord(negative, &r));
}

}  // namespace
}  // namespace sessionstore
