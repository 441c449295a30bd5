// Copyright sessionstore authors.

#include "engine/util/coding.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace sessionstore {
namespace {

TEST(CodingTest, TimeEncodingOrdersLikeSignedIntegers) {
  std::vector<int64_t> times = {
      std::numeric_limits<int64_t>::min(), -5'000'000'000, -1, 0, 1, 1'700'000'000'000'000'000,
      std::numeric_limits<int64_t>::max()};
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1000; ++i) times.push_back(static_cast<int64_t>(rng()));
  std::vector<std::pair<std::string, int64_t>> enc;
  for (int64_t t : times) {
    std::string s;
    PutTime(&s, t);
    ASSERT_EQ(s.size(), kTimeBytes);
    enc.emplace_back(s, t);
  }
  std::sort(enc.begin(), enc.end());
  for (std::size_t i = 1; i < enc.size(); ++i) EXPECT_LE(enc[i - 1].second, enc[i].second);
  for (const auto& [s, t] : enc) {
    std::string_view in = s;
    int64_t back = 0;
    ASSERT_TRUE(GetTime(&in, &back));
    EXPECT_EQ(back, t);
    EXPECT_TRUE(in.empty());
  }
}

TEST(CodingTest, VarintRoundTripAndRejectsBadInput) {
  for (uint32_t v : {0u, 1u, 127u, 128u, 300u, 16383u, 16384u, 0xFFFFFFFFu}) {
    std::string s;
    PutVarint32(&s, v);
    std::string_view in = s;
    uint32_t back = 0;
    ASSERT_TRUE(GetVarint32(&in, &back));
    EXPECT_EQ(back, v);
    EXPECT_TRUE(in.empty());
    // Every strict prefix is short input.
    for (std::size_t n = 0; n < s.size(); ++n) {
      std::string_view cut(s.data(), n);
      EXPECT_FALSE(GetVarint32(&cut, &back));
    }
  }
  std::string overlong = "\x80\x00";  // Non-minimal encoding of 0.
  std::string_view in(overlong.data(), 2);
  uint32_t v = 0;
  EXPECT_FALSE(GetVarint32(&in, &v));
  std::string too_big = "\xff\xff\xff\xff\x7f";
  in = too_big;
  EXPECT_FALSE(GetVarint32(&in, &v));
}

TEST(CodingTest, SignedVarint64RoundTripAndRejectsBadInput) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{-64}, int64_t{63}, int64_t{64},
                    int64_t{1} << 40, -(int64_t{1} << 40), INT64_MAX, INT64_MIN}) {
    std::string s;
    PutSignedVarint64(&s, v);
    EXPECT_LE(s.size(), 10u);
    std::string_view in = s;
    int64_t back = 0;
    ASSERT_TRUE(GetSignedVarint64(&in, &back)) << v;
    EXPECT_EQ(back, v);
    EXPECT_TRUE(in.empty());
    for (std::size_t n = 0; n < s.size(); ++n) {
      std::string_view cut(s.data(), n);
      EXPECT_FALSE(GetSignedVarint64(&cut, &back));
    }
  }
  std::string one_byte;
  PutSignedVarint64(&one_byte, -1);  // Small magnitudes stay small.
  EXPECT_EQ(one_byte, std::string("\x01"));
  int64_t v = 0;
  std::string overlong("\x80\x00", 2);
  std::string_view in = overlong;
  EXPECT_FALSE(GetSignedVarint64(&in, &v));
  std::string too_big = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02";  // Beyond 64 bits.
  in = too_big;
  EXPECT_FALSE(GetSignedVarint64(&in, &v));
}

TEST(CodingTest, PrefixSuccessor) {
  EXPECT_EQ(PrefixSuccessor("ab"), "ac");
  EXPECT_EQ(PrefixSuccessor(std::string("a\xff\xff", 3)), "b");
  EXPECT_EQ(PrefixSuccessor(std::string("\xff", 1)), "");
}

TEST(CodingTest, CursorRoundTripAndTamperDetection) {
  const std::string payload("T\x01\x02payload", 10);
  const std::string c = EncodeCursor(payload);
  std::string back;
  ASSERT_TRUE(DecodeCursor(c, &back));
  EXPECT_EQ(back, payload);
  std::string tampered = c;
  tampered[2] = tampered[2] == '0' ? '1' : '0';
  EXPECT_FALSE(DecodeCursor(tampered, &back));
  EXPECT_FALSE(DecodeCursor("xyz", &back));
  EXPECT_FALSE(DecodeCursor("", &back));
  EXPECT_FALSE(DecodeCursor(c.substr(0, c.size() - 2), &back));
}

// Cursors come from users: any bytes either fail to decode or are the one
// encoding of what they decode to.
TEST(CodingTest, CursorDecoderRejectsOrRoundTripsAnyInput) {
  std::mt19937_64 rng(5);
  const std::string valid = EncodeCursor("Lcd\x01payload");
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    if (i % 2 == 0) {
      s.resize(rng() % 48);
      for (char& c : s) c = static_cast<char>(rng());
    } else {
      s = valid;
      s[rng() % s.size()] = "0123456789abcdefABCDEF-"[rng() % 23];
    }
    std::string payload;
    if (DecodeCursor(s, &payload)) {
      ++accepted;
      EXPECT_EQ(EncodeCursor(payload), s);
    }
  }
  EXPECT_GT(accepted, 0);  // Mutations that leave the cursor intact.
}

TEST(CodingTest, AlignedForFlatBuffersCopiesOnlyUnalignedBytes) {
  alignas(8) char raw[40];
  for (int i = 0; i < 40; ++i) raw[i] = static_cast<char>(i);
  std::string scratch;
  const std::string_view aligned(raw, 32);
  EXPECT_EQ(AlignedForFlatBuffers(aligned, &scratch).data(), raw);  // No copy.
  EXPECT_TRUE(scratch.empty());
  const std::string_view odd(raw + 1, 32);
  const std::string_view copy = AlignedForFlatBuffers(odd, &scratch);
  EXPECT_EQ(copy, odd);
  EXPECT_NE(copy.data(), odd.data());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(copy.data()) % 8, 0u);
}

TEST(CodingTest, AlignScratchIsReusedAndDropsLargeCapacity) {
  std::string* first = nullptr;
  {
    AlignScratch s;
    first = s.get();
    s.get()->assign(1000, 'a');
  }
  {
    AlignScratch s;
    EXPECT_EQ(s.get(), first);  // The thread's buffer, kept with its capacity.
    EXPECT_GE(s.get()->capacity(), 1000u);
    s.get()->assign(AlignScratch::kKeepBytes + 1, 'b');
  }
  {
    AlignScratch s;
    EXPECT_LE(s.get()->capacity(), AlignScratch::kKeepBytes);  // A huge value is not kept.
  }
  std::string* other = nullptr;
  std::thread([&] {
    AlignScratch s;
    other = s.get();
  }).join();
  EXPECT_NE(other, first);  // One buffer per thread.
}

}  // namespace
}  // namespace sessionstore
