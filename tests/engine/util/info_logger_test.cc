// Copyright sessionstore authors.

#include "engine/util/info_logger.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

std::string Contents(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(InfoLoggerTest, AppendsTimestampedLinesAndRollsOverLargeFiles) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/LOG";
  {
    auto log = InfoLogger::Open(path, 1 << 20);
    rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, log, "flush of %d tables", 3);
    rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, log, "%s", std::string(5000, 'x').c_str());
  }
  const std::string text = Contents(path);
  EXPECT_NE(text.find("flush of 3 tables\n"), std::string::npos);
  EXPECT_LT(text.size(), 2100u);  // The long message was cut.
  {
    auto log = InfoLogger::Open(path, 10);  // Over the limit: moved aside.
    rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, log, "fresh");
  }
  EXPECT_NE(Contents(path + ".old").find("flush of 3 tables"), std::string::npos);
  EXPECT_EQ(Contents(path).find("flush of 3 tables"), std::string::npos);
}

TEST(InfoLoggerTest, AnUnwritableLogDropsMessages) {
  auto log = InfoLogger::Open("/nonexistent-dir/for/sure/LOG", 1 << 20);
  ASSERT_NE(log, nullptr);
  rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, log, "dropped");  // Must not crash.
  EXPECT_FALSE(std::filesystem::exists("/nonexistent-dir/for/sure/LOG"));
}

}  // namespace
}  // namespace sessionstore
