// Copyright sessionstore authors.

#include "engine/coding.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>
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

TEST(CodingTest, TraceKeyRoundTrip) {
  const std::string key = TraceKey(0xdeadbeef12345678ULL, "sess-1", -42, "trace\0x");
  ParsedTraceKey k;
  ASSERT_TRUE(ParseTraceKey(key, &k));
  EXPECT_EQ(k.hash, 0xdeadbeef12345678ULL);
  EXPECT_EQ(k.session_id, "sess-1");
  EXPECT_EQ(k.start_ns, -42);
  EXPECT_EQ(k.trace_id, "trace");  // A C string literal stops at the NUL.
  // Cut inside the prefix or the time: malformed. (The trace id is the
  // unterminated suffix, so a cut inside it parses as a shorter id.)
  const std::size_t id_at = key.size() - 5;
  for (std::size_t n = 0; n <= id_at; ++n) {
    EXPECT_FALSE(ParseTraceKey(std::string_view(key.data(), n), &k)) << n;
  }
}

TEST(CodingTest, TraceKeysOfOneSessionSortByStartThenTraceId) {
  const uint64_t h = SessionHash("s");
  EXPECT_LT(TraceKey(h, "s", 5, "zzz"), TraceKey(h, "s", 6, "aaa"));
  EXPECT_LT(TraceKey(h, "s", -1, "b"), TraceKey(h, "s", 0, "a"));
  EXPECT_LT(TraceKey(h, "s", 5, "a"), TraceKey(h, "s", 5, "b"));
}

// Regression: "session1" must not be a prefix of "session12" in key space.
TEST(CodingTest, SessionPrefixesAreUniqueUnderCollidingHashes) {
  std::string a;
  std::string b;
  PutSessionPrefix(&a, 1, "session1");
  PutSessionPrefix(&b, 1, "session12");
  const std::string ka = TraceKey(1, "session1", 0, "t");
  const std::string kb = TraceKey(1, "session12", 0, "t");
  EXPECT_EQ(ka.compare(0, a.size(), a), 0);
  EXPECT_NE(kb.compare(0, a.size(), a), 0);
  EXPECT_NE(ka.compare(0, b.size(), b), 0);
}

TEST(CodingTest, SessionIndexKeysRoundTrip) {
  std::string prefix;
  PutSessionPrefix(&prefix, 7, "sess");
  uint64_t seq = 0;
  ASSERT_TRUE(ParseDirtyKey(DirtyKey(42), &seq));
  EXPECT_EQ(seq, 42u);
  EXPECT_FALSE(ParseDirtyKey(DirtyKey(42) + "x", &seq));
  EXPECT_FALSE(ParseDirtyKey(DirtyKey(42).substr(0, 8), &seq));
  // Markers sort by sequence, so recovery meets them in batch order.
  EXPECT_LT(DirtyKey(41), DirtyKey(42));
  EXPECT_LT(DirtyKey(255), DirtyKey(256));

  std::string_view p;

  char order = 0;
  uint64_t metric = 0;
  const std::string order_key = OrderKey(kOrderCost, 99, prefix);
  ASSERT_TRUE(ParseOrderKey(order_key, &order, &metric, &p));
  EXPECT_EQ(order, kOrderCost);
  EXPECT_EQ(metric, 99u);
  EXPECT_EQ(p, prefix);
  EXPECT_FALSE(ParseOrderKey(OrderKey('z', 99, prefix), &order, &metric, &p));
  EXPECT_FALSE(ParseOrderKey(OrderKey(kOrderCost, 99, prefix).substr(0, 12), &order, &metric, &p));

  std::string_view user;
  int64_t last = 0;
  const std::string user_key = UserKey("u1", -5, prefix);
  ASSERT_TRUE(ParseUserKey(user_key, &user, &last, &p));
  EXPECT_EQ(user, "u1");
  EXPECT_EQ(last, -5);
  EXPECT_EQ(p, prefix);
  // A user's keys share UserPrefix and run newest first; "u1" never scans
  // into "u12".
  EXPECT_GT(UserKey("u1", 1, prefix), UserKey("u1", 2, prefix));
  EXPECT_LT(UserKey("u1", 1, prefix), PrefixSuccessor(UserPrefix("u1")));
  EXPECT_NE(UserKey("u12", 1, prefix).compare(0, UserPrefix("u1").size(), UserPrefix("u1")), 0);
}

TEST(CodingTest, OrderMetricsSortLikeTheirValues) {
  SessionIndexEntry a, b;
  a.last_ns = -10;
  b.last_ns = 5;
  a.first_ns = -1;
  b.first_ns = 0;
  a.cost_nano_usd = 1;
  b.cost_nano_usd = 1'000'000;
  a.total_tokens = 0;
  b.total_tokens = 7;
  a.trace_count = 1;
  b.trace_count = 2;
  a.duration_ns = 3;
  b.duration_ns = 4;
  for (char o : {kOrderLast, kOrderFirst, kOrderCost, kOrderTokens, kOrderTraces, kOrderDuration}) {
    // Largest first, whatever the session prefix.
    EXPECT_GT(OrderKey(o, OrderMetric(o, a), ""), OrderKey(o, OrderMetric(o, b), "\xff")) << o;
    EXPECT_LT(OrderKey(o, OrderMetric(o, a), "\xff"), PrefixSuccessor(OrderPrefix(o))) << o;
  }
  a.cost_nano_usd = -3;  // Never negative in practice; stored as 0.
  EXPECT_EQ(OrderMetric(kOrderCost, a), 0u);
}

TEST(CodingTest, PrefixSuccessor) {
  EXPECT_EQ(PrefixSuccessor("ab"), "ac");
  EXPECT_EQ(PrefixSuccessor(std::string("a\xff\xff", 3)), "b");
  EXPECT_EQ(PrefixSuccessor(std::string("\xff", 1)), "");
}

TEST(CodingTest, IndexEntryRoundTrip) {
  SessionIndexEntry e{-1, 2, 3, 4, 5, 6};
  SessionIndexEntry back;
  ASSERT_TRUE(DecodeIndexEntry(EncodeIndexEntry(e), &back));
  EXPECT_EQ(back, e);
  EXPECT_FALSE(DecodeIndexEntry(EncodeIndexEntry(e) + "x", &back));
  EXPECT_FALSE(DecodeIndexEntry(EncodeIndexEntry(e).substr(1), &back));
  std::string big = EncodeIndexEntry(e);
  big[17] = '\x80';  // Cost above INT64_MAX.
  EXPECT_FALSE(DecodeIndexEntry(big, &back));
}

TEST(CodingTest, LocatorRoundTrip) {
  int64_t start = 0;
  std::string_view session;
  const std::string locator = EncodeLocator(-3, "sess");
  ASSERT_TRUE(DecodeLocator(locator, &start, &session));
  EXPECT_EQ(start, -3);
  EXPECT_EQ(session, "sess");
  EXPECT_FALSE(DecodeLocator("", &start, &session));
  EXPECT_FALSE(DecodeLocator(EncodeLocator(1, "s") + "x", &start, &session));
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

TEST(CodingTest, DecodersNeverReadPastRandomInput) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 24, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    ParsedTraceKey k;
    int64_t start = 0;
    std::string_view a, b;
    std::string payload;
    (void)ParseTraceKey(s, &k);
    uint64_t seq = 0;
    char order = 0;
    int64_t last = 0;
    SessionIndexEntry e;
    (void)ParseDirtyKey(s, &seq);
    (void)ParseOrderKey(s, &order, &seq, &a);
    (void)ParseUserKey(s, &b, &last, &a);
    (void)DecodeIndexEntry(s, &e);
    (void)DecodeLocator(s, &start, &a);
    (void)DecodeCursor(s, &payload);
  }
  SUCCEED();  // Run under ASan in CI: any overread fails there.
}

}  // namespace
}  // namespace sessionstore
