// Copyright sessionstore authors.

#include "sessionstore/time_format.h"

#include <gtest/gtest.h>

namespace sessionstore {
namespace {

TEST(TimeFormatTest, ParseAndFormat) {
  int64_t ns = 0;
  ASSERT_TRUE(ParseTime("1970-01-01T00:00:00Z", &ns));
  EXPECT_EQ(ns, 0);
  ASSERT_TRUE(ParseTime("2024-02-29T23:59:59.123456789Z", &ns));
  EXPECT_EQ(FormatTime(ns), "2024-02-29T23:59:59.123456789Z");
  ASSERT_TRUE(ParseTime("1969-12-31T23:59:59.5Z", &ns));
  EXPECT_EQ(ns, -500'000'000);
  EXPECT_EQ(FormatTime(ns), "1969-12-31T23:59:59.500000000Z");
  ASSERT_TRUE(ParseTime("2024-01-01T00:00:00-05:30", &ns));
  EXPECT_EQ(FormatTime(ns), "2024-01-01T05:30:00Z");
  EXPECT_FALSE(ParseTime("2024-01-01T00:00:00", &ns));  // No offset.
  EXPECT_FALSE(ParseTime("2024-13-01T00:00:00Z", &ns));
  EXPECT_FALSE(ParseTime("2024-01-01T00:00:00.Z", &ns));
  EXPECT_FALSE(ParseTime("9999-01-01T00:00:00Z", &ns));  // Beyond int64 ns.
  // Regression (review): impossible dates used to roll over into the next month.
  EXPECT_FALSE(ParseTime("2024-02-31T00:00:00Z", &ns));
  EXPECT_FALSE(ParseTime("2023-02-29T00:00:00Z", &ns));
  EXPECT_FALSE(ParseTime("2024-04-31T00:00:00Z", &ns));
  EXPECT_TRUE(ParseTime("2000-02-29T00:00:00Z", &ns));
}

}  // namespace
}  // namespace sessionstore
