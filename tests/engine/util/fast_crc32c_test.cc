// Copyright sessionstore authors.

#include "engine/util/fast_crc32c.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <string>

namespace sessionstore {
namespace {

uint32_t Crc(const std::string& s) { return ExtendCrc32c(0, s.data(), s.size()); }

// RFC 3720 (iSCSI), appendix B.4, and the usual check value.
TEST(FastCrc32cTest, KnownValues) {
  EXPECT_EQ(Crc(""), 0u);
  EXPECT_EQ(Crc("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc(std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending(32, '\0');
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<char>(i);
  EXPECT_EQ(Crc(ascending), 0x46DD794Eu);
  EXPECT_EQ(ExtendCrc32cBitwise(0, "123456789", 9), 0xE3069283u);
}

// Every length and alignment up to a few blocks, in one piece and split at
// every point: the same as bit by bit.
TEST(FastCrc32cTest, AgreesWithTheBitwiseFunctionAtEveryLengthAndSplit) {
  std::mt19937 rng(7);
  std::string buf(300, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t n = 0; offset + n <= 80; ++n) {
      const char* p = buf.data() + offset;
      const uint32_t want = ExtendCrc32cBitwise(0, p, n);
      ASSERT_EQ(ExtendCrc32c(0, p, n), want) << "offset " << offset << " length " << n;
      for (std::size_t cut = 0; cut <= n; ++cut) {
        ASSERT_EQ(ExtendCrc32c(ExtendCrc32c(0, p, cut), p + cut, n - cut), want)
            << "offset " << offset << " length " << n << " cut " << cut;
      }
    }
  }
  EXPECT_EQ(ExtendCrc32c(0, buf.data(), buf.size()),
            ExtendCrc32cBitwise(0, buf.data(), buf.size()));
}

// On x86-64, RocksDB's calls reach this file's function, and a store's
// write-ahead log written through it replays (each record's CRC32C checked
// by RocksDB on open).
TEST(FastCrc32cTest, RocksDbUsesItAndItsLogsReplay) {
#if defined(__x86_64__)
  const Crc32cPath path = ActiveCrc32cPath();
  EXPECT_NE(path, Crc32cPath::kNotInterposed) << Crc32cPathName(path);
  if (__builtin_cpu_supports("sse4.2")) {
    EXPECT_EQ(path, Crc32cPath::kHardware);
  }
#endif
  const std::string dir = ::testing::TempDir() + "/fast_crc32c_test";
  std::filesystem::remove_all(dir);
  rocksdb::Options o;
  o.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(o, dir, &raw).ok());
  std::string value(5000, 'v');
  for (int i = 0; i < 100; ++i) {
    value[i] = 'a' + i % 26;
    ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), "k" + std::to_string(i), value).ok());
  }
  delete raw;  // No flush: the next open replays the log.
  o.paranoid_checks = true;
  o.wal_recovery_mode = rocksdb::WALRecoveryMode::kAbsoluteConsistency;
  ASSERT_TRUE(rocksdb::DB::Open(o, dir, &raw).ok());
  std::string got;
  ASSERT_TRUE(raw->Get(rocksdb::ReadOptions(), "k99", &got).ok());
  EXPECT_EQ(got.substr(0, 100), value.substr(0, 100));
  delete raw;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sessionstore
