// Copyright sessionstore authors.
//
// The CLI's and query API's argument parsers: amounts of USD, durations,
// and the ListSessions filters with their error messages.

#include "tools/query_args.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace sessionstore {
namespace {

TEST(QueryArgsTest, UsdAmountsAreExactNanoUsd) {
  int64_t v = -1;
  ASSERT_TRUE(ParseUsdNano("0.25", &v));
  EXPECT_EQ(v, 250'000'000);
  ASSERT_TRUE(ParseUsdNano("3", &v));
  EXPECT_EQ(v, 3'000'000'000);
  ASSERT_TRUE(ParseUsdNano("0.000000001", &v));
  EXPECT_EQ(v, 1);
  ASSERT_TRUE(ParseUsdNano("9223372036.854775807", &v));
  EXPECT_EQ(v, INT64_MAX);
  for (const char* bad : {"", ".5", "1.", "-1", "+1", "1e3", "0.0000000001", "1,5", "abc",
                          "9223372036.854775808", " 1"}) {
    EXPECT_FALSE(ParseUsdNano(bad, &v)) << bad;
  }
}

TEST(QueryArgsTest, DurationsTakeUnitsOrMilliseconds) {
  int64_t v = -1;
  ASSERT_TRUE(ParseDurationArg("90s", &v));
  EXPECT_EQ(v, 90'000'000'000);
  ASSERT_TRUE(ParseDurationArg("5m", &v));
  EXPECT_EQ(v, 300'000'000'000);
  ASSERT_TRUE(ParseDurationArg("2h", &v));
  EXPECT_EQ(v, 7'200'000'000'000);
  ASSERT_TRUE(ParseDurationArg("1500", &v));  // Milliseconds.
  EXPECT_EQ(v, 1'500'000'000);
  ASSERT_TRUE(ParseDurationArg("0", &v));
  EXPECT_EQ(v, 0);
  for (const char* bad : {"", "s", "5x", "-5s", "1.5h", "99999999999d", "5 m"}) {
    EXPECT_FALSE(ParseDurationArg(bad, &v)) << bad;
  }
}

TEST(QueryArgsTest, FiltersApplyAndNameTheBadOption) {
  SessionFilterArgs a;
  a.search = "Chat";
  a.tags = {"vip", "goal"};
  a.model = "gpt-4o";
  a.errors = true;
  a.min_cost = "0.5";
  a.max_tokens = "1000";
  a.min_traces = "2";
  a.max_duration = "2h";
  ListSessionsOptions o;
  ASSERT_TRUE(ApplySessionFilters(a, "--", &o).ok());
  EXPECT_EQ(o.search, "Chat");
  EXPECT_EQ(o.tags, (std::vector<std::string>{"vip", "goal"}));
  EXPECT_EQ(o.model, "gpt-4o");
  EXPECT_TRUE(o.errors_only);
  EXPECT_EQ(o.cost_nano_usd.min, 500'000'000);
  EXPECT_EQ(o.cost_nano_usd.max, INT64_MAX);
  EXPECT_EQ(o.total_tokens.max, 1000);
  EXPECT_EQ(o.trace_count.min, 2);
  EXPECT_EQ(o.duration_ns.max, 7'200'000'000'000);
  EXPECT_TRUE(o.duration_ns.min == INT64_MIN);

  SessionFilterArgs bad;
  bad.max_traces = "many";
  Status s = ApplySessionFilters(bad, "", &o);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.message(), "max-traces: expected a non-negative integer, got 'many'");
  bad = SessionFilterArgs();
  bad.min_duration = "2h";
  bad.max_duration = "5m";
  s = ApplySessionFilters(bad, "--", &o);
  EXPECT_EQ(s.message(), "--min-duration is above --max-duration");
}

}  // namespace
}  // namespace sessionstore
