// Copyright sessionstore authors.

#include "tools/line_reader.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace sessionstore {
namespace {

struct Line {
  std::string text;
  std::size_t length;
  bool oversize;
};

std::vector<Line> ReadAll(const std::string& input, std::size_t limit, std::size_t buffer) {
  std::istringstream in(input);
  LineReader reader(&in, limit, buffer);
  std::vector<Line> out;
  Line l;
  while (reader.Next(&l.text, &l.length, &l.oversize)) out.push_back(l);
  EXPECT_FALSE(reader.bad());
  return out;
}

TEST(LineReaderTest, SplitsLinesAcrossBufferBoundaries) {
  for (std::size_t buffer : {1, 2, 3, 7, 64}) {
    const auto lines = ReadAll("ab\n\ncdef\nlast", 100, buffer);
    ASSERT_EQ(lines.size(), 4u) << buffer;
    EXPECT_EQ(lines[0].text, "ab");
    EXPECT_EQ(lines[1].text, "");
    EXPECT_EQ(lines[2].text, "cdef");
    EXPECT_EQ(lines[3].text, "last");  // No final newline.
    EXPECT_EQ(lines[3].length, 4u);
  }
  EXPECT_TRUE(ReadAll("", 100, 8).empty());
  EXPECT_EQ(ReadAll("x\n", 100, 8).size(), 1u);
}

TEST(LineReaderTest, SkipsLongLinesWithoutHoldingThem) {
  const std::string big(1000, 'x');
  for (std::size_t buffer : {3, 64, 4096}) {
    const auto lines = ReadAll("ok\n" + big + "\nafter\n", 10, buffer);
    ASSERT_EQ(lines.size(), 3u) << buffer;
    EXPECT_EQ(lines[0].text, "ok");
    EXPECT_TRUE(lines[1].oversize);
    EXPECT_TRUE(lines[1].text.empty());
    EXPECT_EQ(lines[1].length, 1000u);
    EXPECT_FALSE(lines[2].oversize);
    EXPECT_EQ(lines[2].text, "after");
  }
  // Exactly at the limit is kept.
  const auto at = ReadAll(std::string(10, 'y') + "\n", 10, 4);
  ASSERT_EQ(at.size(), 1u);
  EXPECT_FALSE(at[0].oversize);
}

// Regression: a UTF-8 byte order mark made the first record unparsable.
TEST(LineReaderTest, DropsAByteOrderMarkAtTheStart) {
  for (std::size_t buffer : {1, 2, 64}) {
    const auto lines = ReadAll("\xEF\xBB\xBF{\"a\":1}\n\xEF\xBB\xBFx\n", 100, buffer);
    ASSERT_EQ(lines.size(), 2u) << buffer;
    EXPECT_EQ(lines[0].text, "{\"a\":1}") << buffer;
    EXPECT_EQ(lines[1].text, "\xEF\xBB\xBFx");  // Only at the start of the stream.
  }
}

}  // namespace
}  // namespace sessionstore
