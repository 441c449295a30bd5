// Copyright sessionstore authors.

#include "engine/util/wal_log_scanner.h"

#include <algorithm>
#include <array>

namespace sessionstore {

namespace {

// CRC-32C (Castagnoli), reflected, as RocksDB's util/crc32c computes it.
constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

uint32_t ExtendCrc(uint32_t crc, std::string_view bytes) {
  crc = ~crc;
  for (unsigned char b : bytes) crc = kCrcTable[(crc ^ b) & 0xff] ^ (crc >> 8);
  return ~crc;
}

// DO NOT CHANGE: RocksDB's checksum mask (util/crc32c.h), stored in its logs.
constexpr uint32_t kMaskDelta = 0xa282ead8u;

uint32_t Fixed32LE(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} | (uint32_t{u[1]} << 8) | (uint32_t{u[2]} << 16) | (uint32_t{u[3]} << 24);
}

bool AllZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

enum RecordType : uint8_t { kZero = 0, kFull = 1, kFirst = 2, kMiddle = 3, kLast = 4 };

}  // namespace

uint32_t WalRecordChecksum(uint8_t type, std::string_view payload) {
  const char t = static_cast<char>(type);
  const uint32_t crc = ExtendCrc(ExtendCrc(0, std::string_view(&t, 1)), payload);
  return ((crc >> 15) | (crc << 17)) + kMaskDelta;
}

void WalLogScanner::Damage(uint64_t start, std::string_view bytes) {
  if (AllZero(bytes)) return;
  if (!damage_open_) damage_starts_.push_back(start);
  damage_open_ = true;
}

void WalLogScanner::AbandonFragments() {
  if (!in_fragments_) return;
  in_fragments_ = false;
  // Its fragments held data (a checksummed header at least): damage.
  if (!damage_open_) damage_starts_.push_back(fragments_start_);
  damage_open_ = true;
}

void WalLogScanner::AddBlock(std::string_view block) {
  std::size_t pos = 0;
  while (pos < block.size()) pos = ParsePhysical(block, pos);
  block_start_ += block.size();
}

std::size_t WalLogScanner::ParsePhysical(std::string_view block, std::size_t pos) {
  const uint64_t at = block_start_ + pos;
  const std::string_view rest = block.substr(pos);
  if (rest.size() < kHeaderSize) {
    // Trailer padding, or a header torn at the end of the file.
    Damage(at, rest);
    return block.size();
  }
  const uint32_t length = static_cast<uint8_t>(rest[4]) | (static_cast<uint8_t>(rest[5]) << 8);
  const uint8_t type = static_cast<uint8_t>(rest[6]);
  if (kHeaderSize + length > rest.size()) {
    // A length past the block (corrupt), or a record torn at the end of the
    // file: RocksDB drops the rest of the block.
    AbandonFragments();
    Damage(at, rest);
    return block.size();
  }
  if (type == kZero && length == 0) {
    Damage(at, rest);  // Preallocated space; RocksDB skips the block's rest.
    return block.size();
  }
  const std::string_view payload = rest.substr(kHeaderSize, length);
  const std::size_t next = pos + kHeaderSize + length;
  if (type < kFull || type > kLast || Fixed32LE(rest.data()) != WalRecordChecksum(type, payload)) {
    // RocksDB drops the rest of the block, since the length may be wrong
    // too. To count what it dropped, trust the length: the next header's
    // checksum tells whether that was right.
    AbandonFragments();
    Damage(at, rest.substr(0, kHeaderSize + length));
    return next;
  }
  if (type == kFull || type == kFirst) {
    AbandonFragments();  // A FIRST without its LAST before this one.
    in_fragments_ = true;
    fragments_start_ = at;
    fragments_bytes_ = 0;
  } else if (!in_fragments_) {
    Damage(at, rest.substr(0, kHeaderSize + length));  // MIDDLE or LAST without a FIRST.
    return next;
  }
  fragments_bytes_ += length;
  if (type == kFull || type == kLast) {
    in_fragments_ = false;
    if (fragments_bytes_ < kMinRecordBytes) {
      Damage(fragments_start_, rest.substr(0, kHeaderSize));  // "log record too small"
    } else {
      record_ends_.push_back(block_start_ + next);
      damage_open_ = false;
    }
  }
  return next;
}

void WalLogScanner::Finish() { AbandonFragments(); }

}  // namespace sessionstore
