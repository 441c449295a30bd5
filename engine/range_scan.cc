// Copyright sessionstore authors.

#include "engine/range_scan.h"

#include <utility>

namespace sessionstore {

RangeScan::RangeScan(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                     const rocksdb::ReadOptions& base, std::string lower, std::string upper,
                     bool forward)
    : lower_(std::move(lower)),
      upper_(std::move(upper)),
      lower_slice_(lower_),
      upper_slice_(upper_),
      forward_(forward) {
  ro_ = base;
  ro_.iterate_lower_bound = &lower_slice_;
  ro_.iterate_upper_bound = upper_.empty() ? nullptr : &upper_slice_;
  it_.reset(db->NewIterator(ro_, cf));
}

void RangeScan::Start(std::string_view resume) {
  const rocksdb::Slice at(resume.data(), resume.size());
  if (resume.empty()) {
    forward_ ? it_->SeekToFirst() : it_->SeekToLast();
  } else if (forward_) {
    it_->Seek(at);
    if (it_->Valid() && it_->key() == at) it_->Next();
  } else {
    it_->SeekForPrev(at);
    if (it_->Valid() && it_->key() == at) it_->Prev();
  }
}

BatchGet::BatchGet(rocksdb::DB* db, const rocksdb::ReadOptions& ro, rocksdb::ColumnFamilyHandle* cf,
                   const std::vector<rocksdb::Slice>& keys, bool sorted)
    : values(keys.size()), statuses(keys.size()) {
  if (keys.empty()) return;
  db->MultiGet(ro, cf, keys.size(), keys.data(), values.data(), statuses.data(), sorted);
}

}  // namespace sessionstore
