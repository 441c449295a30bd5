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

}  // namespace
}  // namespace sessionstore
