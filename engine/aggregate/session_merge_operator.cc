// Copyright sessionstore authors.

#include "engine/aggregate/session_merge_operator.h"

#include <rocksdb/env.h>

#include <exception>

#include "engine/aggregate/session_fold.h"

namespace sessionstore {

bool SessionMergeOperator::FullMergeV2(const MergeOperationInput& in,
                                       MergeOperationOutput* out) const {
  try {
    SessionFold fold;
    if (in.existing_value != nullptr && !fold.Add(in.existing_value->ToStringView())) {
      rocksdb::Log(rocksdb::InfoLogLevel::ERROR_LEVEL, in.logger,
                   "sessionstore: corrupt session aggregate (%zu bytes)",
                   in.existing_value->size());
      return false;
    }
    for (const rocksdb::Slice& s : in.operand_list) {
      if (!fold.Add(s.ToStringView())) {
        rocksdb::Log(rocksdb::InfoLogLevel::ERROR_LEVEL, in.logger,
                     "sessionstore: corrupt session merge operand (%zu bytes)", s.size());
        return false;
      }
    }
    operands_merged_.fetch_add(in.operand_list.size(), std::memory_order_relaxed);
    out->new_value = fold.Encode();
    return true;
  } catch (const std::exception&) {
    return false;  // Reported by RocksDB as a corruption of this key.
  } catch (...) {
    return false;
  }
}

bool SessionMergeOperator::PartialMergeMulti(const rocksdb::Slice& /*key*/,
                                             const std::deque<rocksdb::Slice>& operands,
                                             std::string* new_value,
                                             rocksdb::Logger* /*logger*/) const {
  try {
    SessionFold fold;
    for (const rocksdb::Slice& s : operands) {
      // On a bad operand decline the partial merge; the full merge reports it.
      if (!fold.Add(s.ToStringView())) return false;
    }
    *new_value = fold.Encode();
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace sessionstore
