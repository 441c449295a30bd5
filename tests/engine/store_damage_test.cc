// Copyright sessionstore authors.
//
// Damaged stores: an open must never create over, or silently drop, what an
// earlier process acknowledged. Each test damages a closed store the way an
// operator or a failing disk might and checks the outcome the README's
// Reliability section promises.

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

namespace fs = std::filesystem;
using testing::kSec;
using testing::kT0;
using testing::MakeTrace;
using testing::OpenOrDie;
using testing::TempDir;

// `batches` batches of 50 traces (10 per session), numbered from batch `first`.
void IngestBatches(Store* store, int batches, int first = 0) {
  for (int b = first; b < first + batches; ++b) {
    std::vector<Trace> batch;
    for (int i = 0; i < 50; ++i) {
      const int n = b * 50 + i;
      Trace t = MakeTrace("t" + std::to_string(n), "s" + std::to_string(n / 10), kT0 + n * kSec);
      t.input = Payload{std::string(200, 'a' + n % 26), false};
      batch.push_back(std::move(t));
    }
    testing::IngestOrDie(store, batch);
  }
}

int64_t TracesIn(Store* store, int sessions) {
  int64_t n = 0;
  for (int s = 0; s < sessions; ++s) {
    SessionSummary summary;
    if (store->GetSession("s" + std::to_string(s), &summary).ok()) n += summary.trace_count;
  }
  return n;
}

// Every file's name and size.
std::map<std::string, uintmax_t> Listing(const std::string& dir) {
  std::map<std::string, uintmax_t> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    out[e.path().filename().string()] = e.is_regular_file() ? e.file_size() : 0;
  }
  return out;
}

// The largest write-ahead log of a closed store.
fs::path LargestLog(const std::string& dir) {
  fs::path best;
  uintmax_t size = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".log" && e.file_size() > size) {
      best = e.path();
      size = e.file_size();
    }
  }
  return best;
}

Status OpenWith(const std::string& dir, Options options, std::unique_ptr<Store>* store,
                WalRecoveryReport* recovery = nullptr) {
  options.block_cache_bytes = 8u << 20;
  options.write_buffer_bytes = 4u << 20;
  return Store::Open(options, dir, store, recovery);
}

// The open's report and GetStats agree.
void ExpectStatsReport(Store* store, const WalRecoveryReport& report) {
  StoreStats stats;
  ASSERT_TRUE(store->GetStats(&stats).ok());
  EXPECT_EQ(stats.wal_records_dropped, report.records_dropped);
  EXPECT_EQ(stats.wal_bytes_dropped, report.bytes_dropped);
}

// A writable and a read-only open both fail with Corruption saying `why`.
void ExpectBothOpensRefused(const std::string& dir, const std::string& why) {
  for (bool read_only : {false, true}) {
    Options options;
    options.read_only = read_only;
    std::unique_ptr<Store> store;
    const Status s = OpenWith(dir, options, &store);
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_NE(s.message().find(why), std::string::npos) << s.ToString();
    EXPECT_EQ(store, nullptr);
  }
}

// Regression: a writable open used to create a new, empty store next to the
// old files (and a later open deleted them as obsolete).
TEST(StoreDamageTest, MissingCurrentIsRefusedAndNothingIsWritten) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    IngestBatches(store.get(), 4);
    ASSERT_TRUE(store->Flush().ok());
  }
  const fs::path current = fs::path(dir.path()) / "CURRENT";
  std::string saved;
  {
    std::ifstream in(current);
    std::getline(in, saved);
  }
  fs::remove(current);
  const auto before = Listing(dir.path());
  ExpectBothOpensRefused(dir.path(), "no CURRENT");
  EXPECT_EQ(Listing(dir.path()), before);  // Nothing written.
  {
    std::ofstream out(current);
    out << saved << "\n";
  }
  auto store = OpenOrDie(dir.path());
  EXPECT_EQ(TracesIn(store.get(), 20), 200);
}

// A log damaged before its last record: refused, unless recovery is asked
// for, which keeps the writes before the damage and an exact store.
TEST(StoreDamageTest, DamagedLogIsRefusedUnlessRecoveryIsAskedFor) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    IngestBatches(store.get(), 40);  // In the log only: no flush on close.
  }
  const fs::path log = LargestLog(dir.path());
  ASSERT_FALSE(log.empty());
  {
    std::fstream f(log, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(log) / 2));
    const std::string junk(16, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  const auto before = Listing(dir.path());
  ExpectBothOpensRefused(dir.path(), "recover_damaged_wal");
  // The refused opens left the logs as they were.
  for (const auto& [name, size] : before) {
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0) {
      EXPECT_EQ(Listing(dir.path())[name], size) << name;
    }
  }
  Options recover;
  recover.recover_damaged_wal = true;
  std::unique_ptr<Store> store;
  WalRecoveryReport dropped;
  ASSERT_TRUE(OpenWith(dir.path(), recover, &store, &dropped).ok());
  const int64_t kept = TracesIn(store.get(), 200);
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, 2000);
  // Reported: at least every lost Ingest batch of 50 and the damaged
  // stretch (the indexer's batches come on top), and the log from about
  // the damage on.
  EXPECT_GE(dropped.records_dropped, static_cast<uint64_t>((2000 - kept) / 50 + 1));
  EXPECT_GT(dropped.bytes_dropped, before.at(log.filename().string()) / 2);
  EXPECT_LT(dropped.bytes_dropped, before.at(log.filename().string()));
  ASSERT_EQ(dropped.details.size(), 1u);
  EXPECT_EQ(dropped.details[0].rfind(log.filename().string() + ": ", 0), 0u) << dropped.details[0];
  ExpectStatsReport(store.get(), dropped);
  VerifyReport report;
  ASSERT_TRUE(store->Verify(&report).ok());
  EXPECT_TRUE(report.mismatches.empty()) << report.mismatches.front();
}

// A torn last record (a crash in the middle of a write, never acknowledged)
// recovers as before, without asking. Regression: RocksDB drops it without
// a word; the open now reports the record and its bytes, as GetStats does.
TEST(StoreDamageTest, TornLogTailRecoversWithoutAskingAndIsReported) {
  TempDir dir;
  uintmax_t before_last = 0, after_last = 0;
  {
    // No index catch-up, so the log's last record is the last batch.
    Options options;
    options.index_interval_ms = 0;
    InternalOptions crash;
    crash.TEST_skip_index_catch_up_on_close = true;
    auto store = OpenOrDie(dir.path(), options, crash);
    IngestBatches(store.get(), 9);
    before_last = fs::file_size(LargestLog(dir.path()));
    IngestBatches(store.get(), 1, 9);
    after_last = fs::file_size(LargestLog(dir.path()));
  }
  const fs::path log = LargestLog(dir.path());
  ASSERT_FALSE(log.empty());
  ASSERT_EQ(fs::file_size(log), after_last);
  fs::resize_file(log, after_last - 7);
  std::unique_ptr<Store> store;
  WalRecoveryReport dropped;
  ASSERT_TRUE(OpenWith(dir.path(), Options(), &store, &dropped).ok());
  EXPECT_EQ(TracesIn(store.get(), 50), 450);
  EXPECT_EQ(dropped.records_dropped, 1u);  // Only the torn last batch is gone.
  EXPECT_EQ(dropped.bytes_dropped, after_last - 7 - before_last);
  ASSERT_EQ(dropped.details.size(), 1u);
  EXPECT_EQ(dropped.details[0], log.filename().string() + ": 1 record (" +
                                    std::to_string(after_last - 7 - before_last) +
                                    " bytes) dropped after offset " + std::to_string(before_last));
  ExpectStatsReport(store.get(), dropped);
  VerifyReport report;
  ASSERT_TRUE(store->Verify(&report).ok());
  EXPECT_TRUE(report.mismatches.empty());
  // Recovery flushed what it replayed: the next open drops nothing.
  store.reset();
  ASSERT_TRUE(OpenWith(dir.path(), Options(), &store, &dropped).ok());
  EXPECT_EQ(dropped.records_dropped, 0u);
  EXPECT_EQ(dropped.bytes_dropped, 0u);
}

// Regression: a torn tail in a log that is not the last one is a hole in
// the history (later logs hold later writes), yet RocksDB's
// kTolerateCorruptedTailRecords dropped it without a word and replayed the
// later logs, so aggregates lacked a batch whose traces were stored. Such an
// open is refused, like other damage before the log's end.
TEST(StoreDamageTest, TornTailOfAnEarlierLogIsRefused) {
  TempDir dir;
  std::vector<fs::path> logs;
  {
    Options options;
    options.index_interval_ms = 0;
    InternalOptions crash;
    crash.TEST_skip_index_catch_up_on_close = true;
    auto store = OpenOrDie(dir.path(), options, crash);
    // 2 KB traces until the 4 MiB traces memtable switches to a new log
    // (the older one stays: the other families did not flush).
    for (int b = 0; b < 200 && logs.size() < 2; ++b) {
      std::vector<Trace> batch;
      for (int i = 0; i < 50; ++i) {
        const int n = b * 50 + i;
        Trace t = MakeTrace("t" + std::to_string(n), "s" + std::to_string(n / 10), kT0 + n);
        t.input = Payload{std::string(2000, 'a' + n % 26), false};
        batch.push_back(std::move(t));
      }
      testing::IngestOrDie(store.get(), batch);
      logs.clear();
      for (const auto& e : fs::directory_iterator(dir.path())) {
        if (e.path().extension() == ".log") logs.push_back(e.path());
      }
    }
    IngestBatches(store.get(), 2, 1000);
  }
  ASSERT_EQ(logs.size(), 2u);
  std::sort(logs.begin(), logs.end());
  fs::resize_file(logs[0], fs::file_size(logs[0]) - 7);
  auto before = Listing(dir.path());
  std::unique_ptr<Store> store;
  const Status s = OpenWith(dir.path(), Options(), &store);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(logs[0].filename().string() + " lost"), std::string::npos)
      << s.ToString();
  // Nothing written but the info log: the logs are all there.
  auto after = Listing(dir.path());
  before.erase("LOG");
  after.erase("LOG");
  EXPECT_EQ(after, before);
}

// After a clean close the logs hold the unflushed writes (several 32 KiB
// blocks, records split across them): replayed to their ends, nothing is
// reported and no log is read a second time, writable or read-only.
TEST(StoreDamageTest, CleanOpenReportsNothingDroppedAndRereadsNoLog) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    IngestBatches(store.get(), 30);
  }
  ASSERT_GT(fs::file_size(LargestLog(dir.path())), 4u * 32768);
  for (bool read_only : {true, false}) {
    Options options;
    options.read_only = read_only;
    WalRecoveryReport dropped;
    dropped.records_dropped = 99;  // Cleared by the open.
    std::unique_ptr<Store> store;
    ASSERT_TRUE(StoreImpl::Open(options, dir.path(), InternalOptions(), &store, &dropped).ok());
    EXPECT_EQ(dropped.records_dropped, 0u);
    EXPECT_EQ(dropped.bytes_dropped, 0u);
    EXPECT_TRUE(dropped.details.empty());
    EXPECT_EQ(static_cast<StoreImpl*>(store.get())->TEST_wal_logs_scanned(), 0);
    ExpectStatsReport(store.get(), dropped);
    EXPECT_EQ(TracesIn(store.get(), 150), 1500);
  }
}

// A tmpfs of `mb` MiB mounted on a fresh directory for the test's life.
class SmallDisk {
 public:
  explicit SmallDisk(int mb) {
    if (geteuid() != 0) return;
    if (mount("tmpfs", dir_.path().c_str(), "tmpfs", 0,
              ("size=" + std::to_string(mb) + "m").c_str()) == 0) {
      mounted_ = true;
    }
  }
  ~SmallDisk() {
    if (mounted_) umount2(dir_.path().c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  std::string path() const { return dir_.path() + "/db"; }
  bool Grow(int mb) {
    return mount("tmpfs", dir_.path().c_str(), "tmpfs", MS_REMOUNT,
                 ("size=" + std::to_string(mb) + "m").c_str()) == 0;
  }

 private:
  TempDir dir_;
  bool mounted_ = false;
};

// Regression: a full disk aborted the process (Debian's librocksdb asserts
// when its own info log writes again after a failed write). Ingest and Open
// now return IOError, and the store opens and verifies once space is freed,
// with every acknowledged trace.
TEST(StoreDamageTest, FullDiskIsAnIOErrorAndRecoversWhenSpaceIsFreed) {
  SmallDisk disk(12);
  if (!disk.mounted()) GTEST_SKIP() << "needs root and permission to mount a tmpfs";
  int64_t acknowledged = 0;
  Status failed;
  {
    std::unique_ptr<Store> store;
    ASSERT_TRUE(OpenWith(disk.path(), Options(), &store).ok());
    for (int b = 0; b < 400 && failed.ok(); ++b) {
      std::vector<Trace> batch;
      for (int i = 0; i < 50; ++i) {
        const int n = b * 50 + i;
        Trace t = MakeTrace("t" + std::to_string(n), "s" + std::to_string(n / 10), kT0 + n);
        t.input = Payload{std::string(2000, 'a' + n % 26), false};
        batch.push_back(std::move(t));
      }
      IngestResult r;
      failed = store->Ingest(batch, &r);
      if (failed.ok()) acknowledged += 50;
    }
    EXPECT_TRUE(failed.IsIOError()) << failed.ToString();
  }
  std::unique_ptr<Store> store;
  const Status full = OpenWith(disk.path(), Options(), &store);
  EXPECT_TRUE(full.ok() || full.IsIOError()) << full.ToString();
  store.reset();
  ASSERT_TRUE(disk.Grow(256));
  ASSERT_TRUE(OpenWith(disk.path(), Options(), &store).ok());
  EXPECT_EQ(TracesIn(store.get(), static_cast<int>(acknowledged / 10) + 5), acknowledged);
  VerifyReport report;
  ASSERT_TRUE(store->Verify(&report).ok());
  EXPECT_TRUE(report.mismatches.empty()) << report.mismatches.front();
}

// Regression: a second writer got IOError where store.h promises Busy.
TEST(StoreDamageTest, SecondWriterIsBusy) {
  TempDir dir;
  auto first = OpenOrDie(dir.path());
  std::unique_ptr<Store> second;
  const Status s = OpenWith(dir.path(), Options(), &second);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_EQ(second, nullptr);
}

}  // namespace
}  // namespace sessionstore
