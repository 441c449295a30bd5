// Copyright sessionstore authors.

#include "engine/util/no_throw.h"

#include <gtest/gtest.h>

#include <new>
#include <stdexcept>

namespace sessionstore {
namespace {

TEST(NoThrowTest, PassesTheStatusThrough) {
  EXPECT_TRUE(NoThrow("op", [] { return Status::OK(); }).ok());
  const Status s = NoThrow("op", [] { return Status::NotFound("x"); });
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_EQ(s.message(), "x");
}

TEST(NoThrowTest, TurnsExceptionsIntoIOErrorsNamingTheOperation) {
  Status s = NoThrow("ingest", []() -> Status { throw std::bad_alloc(); });
  EXPECT_TRUE(s.IsIOError());
  EXPECT_EQ(s.message(), "ingest: out of memory");
  s = NoThrow("verify", []() -> Status { throw std::runtime_error("boom"); });
  EXPECT_TRUE(s.IsIOError());
  EXPECT_EQ(s.message(), "verify: boom");
  s = NoThrow("flush", []() -> Status { throw 42; });
  EXPECT_TRUE(s.IsIOError());
  EXPECT_EQ(s.message(), "flush: unknown exception");
}

// RocksDB's perf counting is off inside the call, and the caller's level is
// back afterwards, also when the body throws.
TEST(NoThrowTest, TurnsPerfCountingOffForTheCallOnly) {
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableTime);
  rocksdb::PerfLevel inside = rocksdb::PerfLevel::kUninitialized;
  EXPECT_TRUE(NoThrow("op", [&] {
                inside = rocksdb::GetPerfLevel();
                return Status::OK();
              }).ok());
  EXPECT_EQ(inside, rocksdb::PerfLevel::kDisable);
  EXPECT_EQ(rocksdb::GetPerfLevel(), rocksdb::PerfLevel::kEnableTime);
  EXPECT_TRUE(NoThrow("op", []() -> Status { throw 1; }).IsIOError());
  EXPECT_EQ(rocksdb::GetPerfLevel(), rocksdb::PerfLevel::kEnableTime);
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);  // RocksDB's default.
}

}  // namespace
}  // namespace sessionstore
