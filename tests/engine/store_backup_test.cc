// Copyright sessionstore authors.
//
// Backup and restore: a backup taken while ingest goes on restores to a
// store that answers every query as the source did at the backup's moment
// (checked against a reference store fed exactly the batches the backup
// holds); a second backup shares the first one's files.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::ExpectVerifyClean;
using testing::IngestOrDie;
using testing::kSec;
using testing::kT0;
using testing::OpenOrDie;
using testing::TempDir;
using testing::Turn;

constexpr int kBatchTraces = 20;

std::vector<Trace> Batch(int i) {
  std::vector<Trace> b;
  for (int j = 0; j < kBatchTraces; ++j) {
    const int n = i * kBatchTraces + j;
    Trace t = Turn("b" + std::to_string(i) + "-" + std::to_string(j), "s" + std::to_string(n % 13),
                   kT0 + n * kSec, "q" + std::to_string(n), "r" + std::to_string(n));
    t.user_id = "u" + std::to_string(n % 3);
    b.push_back(std::move(t));
  }
  return b;
}

bool Has(Store* store, const std::string& trace_id) {
  Trace t;
  return store->GetTrace(trace_id, &t).ok();
}

std::vector<SessionSummary> AllSessions(Store* store, SessionOrder order) {
  std::vector<SessionSummary> all;
  ListSessionsOptions o;
  o.order = order;
  o.limit = 7;
  for (SessionPage page;;) {
    EXPECT_TRUE(store->ListSessions(o, &page).ok());
    all.insert(all.end(), page.sessions.begin(), page.sessions.end());
    if (page.next_cursor.empty()) return all;
    o.cursor = page.next_cursor;
  }
}

TEST(StoreBackupTest, BackupUnderIngestRestoresTheStoreOfItsMoment) {
  TempDir src_dir, backups, restored_dir, reference_dir;
  auto src = OpenOrDie(src_dir.path());
  std::atomic<int> acked{0};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop.load() && i < 400; ++i) {
      IngestOrDie(src.get(), Batch(i));
      acked = i + 1;
    }
  });
  while (acked.load() < 10) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const int before = acked.load();
  BackupResult first;
  ASSERT_TRUE(src->Backup(backups.path(), &first).ok());
  const int after = acked.load();
  stop = true;
  writer.join();
  EXPECT_GT(first.bytes, 0u);
  EXPECT_GT(first.files, 0u);

  ASSERT_TRUE(Store::RestoreBackup(backups.path(), restored_dir.path()).ok());
  auto restored = OpenOrDie(restored_dir.path());
  // Whole batches: the first k, for some k between the acknowledged counts.
  int k = 0;
  while (Has(restored.get(), "b" + std::to_string(k) + "-0")) ++k;
  EXPECT_GE(k, before);
  EXPECT_LE(k, after + 1);  // The batch in flight may be in, whole.
  for (int i = 0; i < k + 2; ++i) {
    const std::string last = "b" + std::to_string(i) + "-" + std::to_string(kBatchTraces - 1);
    EXPECT_EQ(Has(restored.get(), last), i < k) << "batch " << i;
  }
  auto reference = OpenOrDie(reference_dir.path());
  for (int i = 0; i < k; ++i) IngestOrDie(reference.get(), Batch(i));
  for (SessionOrder order : {SessionOrder::kLastActivity, SessionOrder::kCost}) {
    EXPECT_EQ(AllSessions(restored.get(), order), AllSessions(reference.get(), order));
  }
  ExpectVerifyClean(restored.get());

  // Incremental: once the data is in table files, the next backup shares
  // them and copies only what is new (the log and metadata: the MANIFEST,
  // about 100 KB here).
  for (int i = 1000; i < 1200; ++i) IngestOrDie(src.get(), Batch(i));
  ASSERT_TRUE(src->Flush().ok());
  BackupResult second, third;
  ASSERT_TRUE(src->Backup(backups.path(), &second).ok());
  ASSERT_TRUE(src->Backup(backups.path(), &third).ok());
  EXPECT_GT(third.backup_id, second.backup_id);
  EXPECT_GT(second.backup_id, first.backup_id);
  EXPECT_LT(third.bytes_copied * 3, second.bytes_copied)
      << third.bytes_copied << " copied by the third backup, " << second.bytes_copied
      << " by the second";
  // A non-empty target is refused.
  EXPECT_TRUE(Store::RestoreBackup(backups.path(), restored_dir.path()).IsInvalidArgument());
}

TEST(StoreBackupTest, SecondaryReaderSeesWhatTheWriterAcknowledgedBeforeItsOpen) {
  TempDir dir;
  auto writer = OpenOrDie(dir.path());
  IngestOrDie(writer.get(), Batch(0));
  ASSERT_TRUE(writer->Flush().ok());    // In table files...
  IngestOrDie(writer.get(), Batch(1));  // ...and only in the writer's log.
  Options o;
  o.read_only = true;
  o.follow_writer = true;
  auto reader = OpenOrDie(dir.path(), o);
  EXPECT_TRUE(Has(reader.get(), "b0-0"));
  EXPECT_TRUE(Has(reader.get(), "b1-19"));
  auto reference_dir = TempDir();
  auto reference = OpenOrDie(reference_dir.path());
  IngestOrDie(reference.get(), Batch(0));
  IngestOrDie(reference.get(), Batch(1));
  EXPECT_EQ(AllSessions(reader.get(), SessionOrder::kLastActivity),
            AllSessions(reference.get(), SessionOrder::kLastActivity));
  ExpectVerifyClean(reader.get());
  // Written after the reader's open: not seen by it, seen by a new one.
  IngestOrDie(writer.get(), Batch(2));
  EXPECT_FALSE(Has(reader.get(), "b2-0"));
  DeleteResult r;
  EXPECT_TRUE(reader->DeleteSession("s1", &r).IsNotSupported());
  auto later = OpenOrDie(dir.path(), o);
  EXPECT_TRUE(Has(later.get(), "b2-0"));
}

}  // namespace
}  // namespace sessionstore
