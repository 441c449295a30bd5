// Copyright sessionstore authors.
//
// RocksDB merge operator of the `sessions` column family: folds
// SessionDelta operands (see session_delta.h) into the stored aggregate.
// Never throws: a bad operand or an exception turns into a failed merge.
// RocksDB 7.8 reports it as Corruption to a read of that key, but a failed
// merge inside a flush or compaction is a background error that stops all
// writes; ingest limits (trace.h) keep every valid operand decodable.
//
// Thread safety: stateless apart from counters; RocksDB calls it from any
// thread.

#ifndef SESSIONSTORE_ENGINE_AGGREGATE_SESSION_MERGE_OPERATOR_H_
#define SESSIONSTORE_ENGINE_AGGREGATE_SESSION_MERGE_OPERATOR_H_

#include <rocksdb/merge_operator.h>

#include <atomic>
#include <cstdint>

namespace sessionstore {

class SessionMergeOperator : public rocksdb::MergeOperator {
 public:
  const char* Name() const override { return "sessionstore.SessionMergeOperator.v1"; }

  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override;
  bool PartialMergeMulti(const rocksdb::Slice& key, const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value, rocksdb::Logger* logger) const override;
  bool AllowSingleOperand() const override { return false; }

  // Operands folded so far (all threads): by FullMergeV2, and by readers
  // that fold a session's operands themselves and report them here.
  uint64_t operands_merged() const { return operands_merged_.load(std::memory_order_relaxed); }
  void CountFolded(uint64_t operands) const {
    operands_merged_.fetch_add(operands, std::memory_order_relaxed);
  }

 private:
  mutable std::atomic<uint64_t> operands_merged_{0};
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_AGGREGATE_SESSION_MERGE_OPERATOR_H_
