// Copyright sessionstore authors.
//
// RangeScan: one bounded iterator over [lower, upper) of a column family,
// walked in one direction and able to resume just past a key (the last key
// of a previous page). BatchGet: one MultiGet of many keys. Every unit that
// scans or batch-reads (writer, indexer, readers, list planner, verifier)
// uses these instead of setting up RocksDB iterators and MultiGet buffers
// itself.
//
// Thread safety: a RangeScan or BatchGet is used by one thread at a time.

#ifndef SESSIONSTORE_ENGINE_RANGE_SCAN_H_
#define SESSIONSTORE_ENGINE_RANGE_SCAN_H_

#include <rocksdb/db.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sessionstore {

class RangeScan {
 public:
  // Keys in [lower, upper) of `cf` as of `base` (its snapshot and cache
  // settings; its bounds are replaced). An empty `upper` means no upper
  // bound. `forward`: ascending key order, else descending. `db` and `cf`
  // must outlive the scan.
  RangeScan(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const rocksdb::ReadOptions& base,
            std::string lower, std::string upper, bool forward);
  RangeScan(const RangeScan&) = delete;
  RangeScan& operator=(const RangeScan&) = delete;

  // Positions at the first key in the scan's direction, or, with a
  // non-empty `resume`, at the first key strictly after it.
  void Start(std::string_view resume = {});
  bool Valid() const { return it_->Valid(); }
  // REQUIRES: Valid().
  void Next() { forward_ ? it_->Next() : it_->Prev(); }
  // REQUIRES: Valid(). Views valid until the next move.
  std::string_view key() const { return it_->key().ToStringView(); }
  std::string_view value() const { return it_->value().ToStringView(); }
  // The iterator's error, once !Valid().
  rocksdb::Status status() const { return it_->status(); }

 private:
  const std::string lower_;
  const std::string upper_;
  rocksdb::ReadOptions ro_;
  rocksdb::Slice lower_slice_;
  rocksdb::Slice upper_slice_;
  const bool forward_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

// The values of `keys` in `cf` as of `ro`, from one MultiGet: values[i] and
// statuses[i] answer keys[i]. `sorted`: the keys are in key order (saves
// RocksDB a sort).
struct BatchGet {
  BatchGet(rocksdb::DB* db, const rocksdb::ReadOptions& ro, rocksdb::ColumnFamilyHandle* cf,
           const std::vector<rocksdb::Slice>& keys, bool sorted = false);

  std::vector<rocksdb::PinnableSlice> values;
  std::vector<rocksdb::Status> statuses;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_RANGE_SCAN_H_
