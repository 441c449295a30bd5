// Copyright sessionstore authors.
//
// Error paths: a file system that fails write-ahead-log writes on demand.
// A failed Ingest must report the error and leave nothing half-applied:
// after reopening, each batch is either fully there or not at all, and every
// aggregate still equals the recomputation from the stored traces.

#include <gtest/gtest.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>

#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::kSec;
using testing::kT0;
using testing::LlmSpan;
using testing::OpenOrDie;
using testing::TempDir;

class FailingWalFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FailingWalFile(std::unique_ptr<rocksdb::FSWritableFile> f, const std::atomic<bool>* fail)
      : FSWritableFileOwnerWrapper(std::move(f)), fail_(fail) {}
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* d) override {
    if (fail_->load()) return rocksdb::IOStatus::IOError("injected WAL write failure");
    return FSWritableFileOwnerWrapper::Append(data, o, d);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& v,
                           rocksdb::IODebugContext* d) override {
    if (fail_->load()) return rocksdb::IOStatus::IOError("injected WAL write failure");
    return FSWritableFileOwnerWrapper::Append(data, o, v, d);
  }

 private:
  const std::atomic<bool>* fail_;
};

class FailingWalFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit FailingWalFileSystem(const std::shared_ptr<rocksdb::FileSystem>& base)
      : FileSystemWrapper(base) {}
  const char* Name() const override { return "FailingWalFileSystem"; }
  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* d) override {
    rocksdb::IOStatus s = FileSystemWrapper::NewWritableFile(name, o, result, d);
    if (s.ok() && name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0) {
      *result = std::make_unique<FailingWalFile>(std::move(*result), &fail);
    }
    return s;
  }
  std::atomic<bool> fail{false};
};

Trace Turn(int i) {
  Trace t =
      testing::MakeTrace("t" + std::to_string(i), "s" + std::to_string(i % 3), kT0 + i * kSec);
  t.spans = {LlmSpan("llm", kT0 + i * kSec, 10, 5, 100)};
  t.output = Payload{"out" + std::to_string(i), false};
  return t;
}

TEST(StoreFaultTest, FailedWalWriteLeavesNothingHalfApplied) {
  TempDir dir;
  auto fs = std::make_shared<FailingWalFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  InternalOptions internal;
  internal.TEST_env = env.get();
  {
    auto store = OpenOrDie(dir.path(), Options(), internal);
    std::vector<Trace> first;
    for (int i = 0; i < 10; ++i) first.push_back(Turn(i));
    testing::IngestOrDie(store.get(), first);

    fs->fail = true;
    std::vector<Trace> second;
    for (int i = 10; i < 20; ++i) second.push_back(Turn(i));
    second.push_back(Turn(0));  // An update of a stored trace as well.
    second.back().output = Payload{"changed", false};
    IngestResult r;
    Status s = store->Ingest(second, &r);
    EXPECT_TRUE(s.IsIOError()) << s.ToString();
    EXPECT_EQ(r.inserted + r.updated, 0u);  // Nothing claimed as written.
    // The store refuses further writes rather than diverging.
    s = store->Ingest({Turn(30)}, &r);
    EXPECT_FALSE(s.ok());
    fs->fail = false;
  }
  auto store = OpenOrDie(dir.path(), Options(), internal);
  int64_t total = 0;
  for (const char* id : {"s0", "s1", "s2"}) {
    SessionSummary summary;
    ASSERT_TRUE(store->GetSession(id, &summary).ok());
    total += summary.trace_count;
  }
  EXPECT_EQ(total, 10);  // The failed batch left no trace.
  Trace t0;
  ASSERT_TRUE(store->GetTrace("t0", &t0).ok());
  EXPECT_EQ(t0.output.value, "out0");
  Trace t15;
  EXPECT_TRUE(store->GetTrace("t15", &t15).IsNotFound());
  VerifyReport report;
  ASSERT_TRUE(store->Verify(&report).ok());
  for (const auto& m : report.mismatches) ADD_FAILURE() << m;
  // And it accepts the batch again once the disk works.
  IngestResult r;
  ASSERT_TRUE(store->Ingest({Turn(15)}, &r).ok());
  EXPECT_EQ(r.inserted, 1u);
}

}  // namespace
}  // namespace sessionstore
