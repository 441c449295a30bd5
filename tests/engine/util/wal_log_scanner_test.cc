// Copyright sessionstore authors.

#include "engine/util/wal_log_scanner.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sessionstore {
namespace {

constexpr std::size_t kBlock = WalLogScanner::kBlockSize;

// Writes records the way RocksDB's log::Writer does (log_writer.cc).
class LogBuilder {
 public:
  // Appends a record of `size` payload bytes (a fake WriteBatch); returns
  // its end offset.
  uint64_t Add(std::size_t size, char fill = 'x') {
    std::string payload(size, fill);
    std::size_t left = size;
    bool begin = true;
    do {
      const std::size_t leftover = kBlock - bytes_.size() % kBlock;
      if (leftover < 7) bytes_.append(leftover, '\0');
      const std::size_t avail = kBlock - bytes_.size() % kBlock - 7;
      const std::size_t n = std::min(left, avail);
      const bool end = n == left;
      const uint8_t type = begin && end ? 1 : begin ? 2 : end ? 4 : 3;
      Emit(type, payload.substr(size - left, n));
      left -= n;
      begin = false;
    } while (left > 0);
    return bytes_.size();
  }
  void Emit(uint8_t type, const std::string& payload) {
    const uint32_t crc = WalRecordChecksum(type, payload);
    for (int i = 0; i < 4; ++i) bytes_.push_back(static_cast<char>(crc >> (8 * i)));
    bytes_.push_back(static_cast<char>(payload.size() & 0xff));
    bytes_.push_back(static_cast<char>(payload.size() >> 8));
    bytes_.push_back(static_cast<char>(type));
    bytes_ += payload;
  }
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

WalLogScanner Scan(const std::string& log) {
  WalLogScanner s;
  for (std::size_t off = 0; off < log.size(); off += kBlock) s.AddBlock(log.substr(off, kBlock));
  s.Finish();
  return s;
}

TEST(WalLogScannerTest, FindsEveryRecordIncludingFragmentsAndPadding) {
  LogBuilder b;
  std::vector<uint64_t> ends;
  ends.push_back(b.Add(100));
  ends.push_back(b.Add(kBlock - 100 - 7 - 7 - 3));  // Leaves 3 bytes: padding.
  ends.push_back(b.Add(3 * kBlock));                // FIRST, MIDDLE..., LAST.
  ends.push_back(b.Add(12));
  WalLogScanner s = Scan(b.bytes());
  EXPECT_EQ(s.record_ends(), ends);
  EXPECT_TRUE(s.damage_starts().empty());
}

TEST(WalLogScannerTest, TornTailIsDamageButZeroTailIsNot) {
  LogBuilder b;
  const uint64_t first = b.Add(500);
  b.Add(40000);  // Spans two blocks.
  std::string torn = b.bytes().substr(0, b.bytes().size() - 10);
  WalLogScanner s = Scan(torn);
  EXPECT_EQ(s.record_ends(), std::vector<uint64_t>{first});
  EXPECT_EQ(s.damage_starts(), std::vector<uint64_t>{first});

  // A torn header.
  s = Scan(b.bytes().substr(0, first + 5));
  EXPECT_EQ(s.damage_starts(), std::vector<uint64_t>{first});

  // Zeros after the last record (space allocated, never written).
  std::string zeros = b.bytes().substr(0, first) + std::string(3000, '\0');
  s = Scan(zeros);
  EXPECT_EQ(s.record_ends(), std::vector<uint64_t>{first});
  EXPECT_TRUE(s.damage_starts().empty());
}

// A bad checksum: that record is damage; the records after it are found.
TEST(WalLogScannerTest, CorruptRecordIsDamageAndTheRecordsAfterItAreFound) {
  LogBuilder b;
  std::vector<uint64_t> ends;
  for (int i = 0; i < 5; ++i) ends.push_back(b.Add(1000));
  b.bytes()[ends[1] + 20] ^= 0x01;  // Payload of record 3.
  WalLogScanner s = Scan(b.bytes());
  EXPECT_EQ(s.record_ends(), (std::vector<uint64_t>{ends[0], ends[1], ends[3], ends[4]}));
  EXPECT_EQ(s.damage_starts(), std::vector<uint64_t>{ends[1]});
}

// A length past the block: the block's rest is lost, the scan resyncs at
// the next block (whose LAST fragment of a lost record is damage too).
TEST(WalLogScannerTest, CorruptLengthLosesTheBlockAndResyncsAtTheNext) {
  LogBuilder b;
  const uint64_t r1 = b.Add(1000);
  b.Add(1000);
  while (b.bytes().size() < kBlock) b.Add(5000);
  const uint64_t after = b.Add(200);
  b.bytes()[r1 + 5] = static_cast<char>(0xff);  // Length of record 2: about 64 KiB.
  WalLogScanner s = Scan(b.bytes());
  EXPECT_EQ(s.damage_starts(), std::vector<uint64_t>{r1});
  ASSERT_FALSE(s.record_ends().empty());
  EXPECT_EQ(s.record_ends().front(), r1);
  EXPECT_EQ(s.record_ends().back(), after);
  for (uint64_t end : s.record_ends()) EXPECT_TRUE(end == r1 || end > kBlock) << end;
}

TEST(WalLogScannerTest, TooSmallRecordsAndOrphanFragmentsAreDamage) {
  LogBuilder b;
  b.Add(11);  // Shorter than a WriteBatch header.
  WalLogScanner s = Scan(b.bytes());
  EXPECT_TRUE(s.record_ends().empty());
  EXPECT_EQ(s.damage_starts(), std::vector<uint64_t>{0});

  LogBuilder o;
  o.Emit(4, std::string(50, 'y'));  // LAST without FIRST.
  const uint64_t good = o.Add(50);
  s = Scan(o.bytes());
  EXPECT_EQ(s.record_ends(), std::vector<uint64_t>{good});
  EXPECT_EQ(s.damage_starts(), std::vector<uint64_t>{0});
}

TEST(WalLogScannerTest, ArbitraryBytesNeverReadOutOfBounds) {
  std::string junk;
  uint32_t x = 12345;
  for (int i = 0; i < 3 * static_cast<int>(kBlock) + 17; ++i) {
    x = x * 1103515245u + 12345u;
    junk.push_back(static_cast<char>(x >> 16));
  }
  WalLogScanner s = Scan(junk);
  EXPECT_TRUE(s.record_ends().empty());
  EXPECT_EQ(s.damage_starts(), std::vector<uint64_t>{0});
}

}  // namespace
}  // namespace sessionstore
