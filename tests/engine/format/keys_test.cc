// Copyright sessionstore authors.

#include "engine/format/keys.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>
#include <vector>

namespace sessionstore {
namespace {

TEST(KeysTest, TraceKeyRoundTrip) {
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

TEST(KeysTest, TraceKeysOfOneSessionSortByStartThenTraceId) {
  const uint64_t h = SessionHash("s");
  EXPECT_LT(TraceKey(h, "s", 5, "zzz"), TraceKey(h, "s", 6, "aaa"));
  EXPECT_LT(TraceKey(h, "s", -1, "b"), TraceKey(h, "s", 0, "a"));
  EXPECT_LT(TraceKey(h, "s", 5, "a"), TraceKey(h, "s", 5, "b"));
}

// Regression: "session1" must not be a prefix of "session12" in key space.

TEST(KeysTest, SessionPrefixesAreUniqueUnderCollidingHashes) {
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

TEST(KeysTest, SessionIndexKeysRoundTrip) {
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
  // Round records: their own tag, after every marker.
  ASSERT_TRUE(ParseRoundKey(RoundKey(7), &seq));
  EXPECT_EQ(seq, 7u);
  EXPECT_FALSE(ParseRoundKey(DirtyKey(7), &seq));
  EXPECT_FALSE(ParseDirtyKey(RoundKey(7), &seq));
  EXPECT_FALSE(ParseRoundKey(RoundKey(7) + "x", &seq));
  EXPECT_LT(DirtyKey(UINT64_MAX), RoundKey(0));
}

TEST(KeysTest, OrderMetricsSortLikeTheirValues) {
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
    // Listing positions hold the complement: largest first.
    EXPECT_LT(OrderMetric(o, a), OrderMetric(o, b)) << o;
    EXPECT_GT(~OrderMetric(o, a), ~OrderMetric(o, b)) << o;
  }
  a.cost_nano_usd = -3;  // Never negative in practice; stored as 0.
  EXPECT_EQ(OrderMetric(kOrderCost, a), 0u);
}

TEST(KeysTest, LocatorRoundTrip) {
  int64_t start = 0;
  std::string_view session;
  const std::string locator = EncodeLocator(-3, "sess");
  ASSERT_TRUE(DecodeLocator(locator, &start, &session));
  EXPECT_EQ(start, -3);
  EXPECT_EQ(session, "sess");
  EXPECT_FALSE(DecodeLocator("", &start, &session));
  EXPECT_FALSE(DecodeLocator(EncodeLocator(1, "s") + "x", &start, &session));
}

// Mutations of valid encodings (truncated, extended, bytes flipped): a
// decoder either rejects them or accepts bytes that re-encode exactly (one
// encoding per value), with every returned view inside the input.
TEST(KeysTest, MutatedEncodingsAreRejectedOrCanonical) {
  std::mt19937_64 rng(3);
  const std::vector<std::string> valid = {TraceKey(42, "session-7", -9, "trace-1"),
                                          EncodeLocator(5, "session-7"), DirtyKey(99)};
  int accepted = 0, rejected = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s = valid[i % valid.size()];
    switch (rng() % 3) {
      case 0:
        s.resize(rng() % (s.size() + 1));
        break;
      case 1:
        s.push_back(static_cast<char>(rng()));
        break;
      default:
        s[rng() % s.size()] = static_cast<char>(rng());
        break;
    }
    auto inside = [&](std::string_view v) {
      return v.empty() || (v.data() >= s.data() && v.data() + v.size() <= s.data() + s.size());
    };
    bool ok = false;
    ParsedTraceKey k;
    int64_t start = 0;
    std::string_view a;
    uint64_t seq = 0;
    if (ParseTraceKey(s, &k)) {
      ok = true;
      EXPECT_TRUE(inside(k.session_id) && inside(k.trace_id));
      EXPECT_EQ(TraceKey(k.hash, k.session_id, k.start_ns, k.trace_id), s);
    }
    if (DecodeLocator(s, &start, &a)) {
      ok = true;
      EXPECT_TRUE(inside(a));
      EXPECT_EQ(EncodeLocator(start, a), s);
    }
    if (ParseDirtyKey(s, &seq)) {
      ok = true;
      EXPECT_EQ(DirtyKey(seq), s);
    }
    ok ? ++accepted : ++rejected;
  }
  // Both outcomes occur: the mutations exercise the rejecting paths.
  EXPECT_GT(accepted, 0);
  EXPECT_GT(rejected, 0);
}

}  // namespace
}  // namespace sessionstore
