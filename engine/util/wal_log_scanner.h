// Copyright sessionstore authors.
//
// WalLogScanner: reads a RocksDB write-ahead log (RocksDB's db/log_format.h,
// as written by 7.x without log recycling or WAL compression, which the
// store never enables) the way RocksDB's log reader does, and lists its
// intact records and its damaged stretches. The store uses it after an open
// to count what recovery dropped (engine/wal_recovery_audit.h); it never
// changes a file.
//
// The layout: the file is a sequence of 32 KiB blocks; a block holds
// physical records and, when fewer than 7 bytes are left, zero padding.
//
//   physical record := masked_crc32c(type || payload):fixed32-LE
//                      length:fixed16-LE type:uint8 payload[length]
//   type            := 1 FULL | 2 FIRST | 3 MIDDLE | 4 LAST   (0: preallocated zeros)
//   logical record  := FULL | FIRST MIDDLE* LAST   (a WriteBatch, at least 12 bytes)
//
// Thread safety: one scanner per thread.

#ifndef SESSIONSTORE_ENGINE_UTIL_WAL_LOG_SCANNER_H_
#define SESSIONSTORE_ENGINE_UTIL_WAL_LOG_SCANNER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sessionstore {

class WalLogScanner {
 public:
  static constexpr std::size_t kBlockSize = 32768;
  static constexpr std::size_t kHeaderSize = 7;
  // Smallest logical record RocksDB replays: a WriteBatch header.
  static constexpr std::size_t kMinRecordBytes = 12;

  // Feeds the log's next block: exactly kBlockSize bytes, except the file's
  // last block, which may be shorter and must be the last call.
  void AddBlock(std::string_view block);
  // Ends the scan: a logical record still missing its LAST fragment is
  // damage (a torn write).
  void Finish();

  // End offset of every intact logical record (valid checksums, complete,
  // at least kMinRecordBytes), in file order.
  const std::vector<uint64_t>& record_ends() const { return record_ends_; }
  // Start offset of every damaged stretch: maximal runs, between intact
  // records, of bytes RocksDB's reader would report or skip (bad checksum,
  // bad length or type, a torn record, orphan fragments). Stretches that
  // hold only zero bytes (padding, preallocated space) are not damage.
  // Where RocksDB drops a block's rest after a bad checksum, the scan goes
  // on past the record's stated length, so intact records after a damaged
  // one are still found (and counted as dropped by the caller).
  const std::vector<uint64_t>& damage_starts() const { return damage_starts_; }

 private:
  // Marks [start, ...) as damaged unless all of `bytes` are zero.
  void Damage(uint64_t start, std::string_view bytes);
  // Ends a logical record that lost its LAST fragment, as damage.
  void AbandonFragments();
  // Parses one physical record at block offset `pos`; returns the offset of
  // the next one, or block.size() when the rest of the block is unusable.
  std::size_t ParsePhysical(std::string_view block, std::size_t pos);

  uint64_t block_start_ = 0;  // File offset of the next block.
  bool in_fragments_ = false;
  uint64_t fragments_start_ = 0;
  uint64_t fragments_bytes_ = 0;
  bool damage_open_ = false;  // The last thing seen was damage.
  std::vector<uint64_t> record_ends_;
  std::vector<uint64_t> damage_starts_;
};

// RocksDB's masked CRC-32C of a physical record of `type` (the checksum
// field's value). Exposed for tests that write logs.
uint32_t WalRecordChecksum(uint8_t type, std::string_view payload);

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_UTIL_WAL_LOG_SCANNER_H_
