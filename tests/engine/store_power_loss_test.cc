// Copyright sessionstore authors.
//
// Power loss: with Options::sync, an acknowledged Ingest must survive the
// machine losing power. A writer thread ingests a seeded workload through a
// PowerLossFileSystem, noting each batch after Ingest returns; at a random
// moment (during the open, a write, a flush or a compaction) the file
// system copies what a power loss would leave: every file's synced prefix,
// and no file whose directory entry was never synced. The copy is then
// opened as the machine would after rebooting, and every acknowledged
// trace version must be there, every acknowledged session listed, and
// Verify clean. The copy carries on as the next round's store.
//
// SESSIONSTORE_POWER_LOSS_ROUNDS sets the rounds (default 3; the README's
// figures come from longer runs).

#include <gtest/gtest.h>
#include <rocksdb/env.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/engine/power_loss_file_system.h"
#include "tests/engine/test_util.h"
#include "tools/workload_generator.h"

namespace sessionstore {
namespace {

namespace fs = std::filesystem;
using testing::OpenOrDie;
using testing::PowerLossFileSystem;
using testing::TempDir;

constexpr std::size_t kBatch = 40;

WorkloadGenerator Workload() {
  WorkloadOptions o;
  o.seed = 11;
  o.traces = 10'000'000;  // More than any run sends.
  o.sessions = 20'000;
  o.mean_payload_bytes = 300;
  return WorkloadGenerator(o);
}

// The first `n` versions of the workload.
std::vector<Trace> FirstVersions(std::size_t n) {
  WorkloadGenerator gen = Workload();
  std::vector<Trace> out(n);
  for (std::size_t i = 0; i < n; ++i) EXPECT_TRUE(gen.Next(&out[i]));
  return out;
}

struct Totals {
  int rounds = 0;
  std::size_t acknowledged = 0, lost = 0, unlisted = 0, verify_problems = 0;
  uint64_t records_dropped = 0, bytes_dropped = 0;
  std::size_t images_during_open = 0;
};

// Checks the store at `dir` after a power loss that came once `acked`
// versions had been acknowledged, adding what is missing to *totals (and
// failing the test for it when `require_intact`).
void CheckAfterPowerLoss(const std::string& dir, std::size_t acked, bool require_intact,
                         Totals* totals) {
  Options options;
  options.sync = true;
  options.block_cache_bytes = 8u << 20;
  std::unique_ptr<Store> store;
  WalRecoveryReport dropped;
  const Status s = Store::Open(options, dir, &store, &dropped);
  ASSERT_TRUE(s.ok()) << s.ToString();
  totals->records_dropped += dropped.records_dropped;
  totals->bytes_dropped += dropped.bytes_dropped;
  std::map<std::string, Trace> last;  // Each trace's last acknowledged version.
  std::set<std::string> sessions;
  for (Trace& t : FirstVersions(acked)) {
    if (!t.session_id.empty()) sessions.insert(t.session_id);
    last[t.trace_id] = std::move(t);
  }
  for (const auto& [id, version] : last) {
    Trace stored;
    const Status g = store->GetTrace(id, &stored);
    // Present fields of the last acknowledged version win (the workload's
    // later versions only add an output).
    if (!g.ok() || (!version.output.empty() && !(stored.output == version.output))) {
      if (++totals->lost <= 5 && require_intact) {
        ADD_FAILURE() << "lost " << id << ": " << g.ToString();
      }
    }
  }
  std::set<std::string> listed;
  ListSessionsOptions lo;
  lo.limit = 1000;
  do {
    SessionPage page;
    ASSERT_TRUE(store->ListSessions(lo, &page).ok());
    for (const SessionSummary& x : page.sessions) listed.insert(x.session_id);
    lo.cursor = page.next_cursor;
  } while (!lo.cursor.empty());
  for (const std::string& id : sessions) {
    if (listed.count(id) == 0 && ++totals->unlisted <= 5 && require_intact) {
      ADD_FAILURE() << "unlisted " << id;
    }
  }
  VerifyReport report;
  ASSERT_TRUE(store->Verify(&report).ok());
  totals->verify_problems += report.mismatches.size();
  for (std::size_t i = 0; i < report.mismatches.size() && i < 5; ++i) {
    ADD_FAILURE() << report.mismatches[i];
  }
}

// One round: write into `dir` from `acked` on, lose power after `delay`
// (counted from when the store is open with `after_open`, else from the
// start, so that the loss may hit the open itself), and return the
// versions acknowledged before. `hold_bytes`: Options::index_hold_bytes;
// `chunk_bytes`: InternalOptions::TEST_index_write_chunk_bytes.
std::size_t WriteUntilPowerLoss(const std::string& dir, const std::string& image, std::size_t acked,
                                std::chrono::milliseconds delay, bool after_open,
                                std::size_t hold_bytes, std::size_t chunk_bytes, Totals* totals) {
  auto plfs = std::make_shared<PowerLossFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(plfs);
  std::atomic<std::size_t> acknowledged{acked};
  std::atomic<bool> opened{false}, stop{false};
  std::thread writer([&] {
    Options options;
    options.sync = true;
    options.index_interval_ms = 20;
    options.index_hold_bytes = hold_bytes;
    InternalOptions internal;
    internal.TEST_env = env.get();
    internal.TEST_index_write_chunk_bytes = chunk_bytes;
    auto store = OpenOrDie(dir, options, internal);
    if (!store) return;
    opened = true;
    WorkloadGenerator gen = Workload();
    Trace t;
    for (std::size_t i = 0; i < acked; ++i) gen.Next(&t);
    std::vector<Trace> batch;
    while (!stop) {
      batch.clear();
      while (batch.size() < kBatch && gen.Next(&t)) batch.push_back(t);
      IngestResult r;
      const Status s = store->Ingest(batch, &r);
      if (!s.ok()) {
        ADD_FAILURE() << s.ToString();
        return;
      }
      acknowledged += batch.size();  // After Ingest returned.
    }
  });
  // A slow open (sanitizers, a loaded machine) must not turn every round
  // into a loss during the open.
  for (int waited = 0; after_open && !opened && waited < 60000; waited += 5) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(delay);
  std::size_t at_loss = 0;
  bool during_open = false;
  EXPECT_TRUE(plfs->TakeDurableImage(dir, image, [&] {
    at_loss = acknowledged.load();
    during_open = !opened.load();
  }));
  stop = true;
  writer.join();
  totals->images_during_open += during_open ? 1 : 0;
  return at_loss;
}

TEST(StorePowerLossTest, SyncedIngestSurvivesPowerLoss) {
  const char* env_rounds = std::getenv("SESSIONSTORE_POWER_LOSS_ROUNDS");
  const int rounds = env_rounds != nullptr ? std::atoi(env_rounds) : 3;
  TempDir root;
  std::string dir = root.path() + "/round0";
  OpenOrDie(dir).reset();  // A store exists before the first power loss.
  std::mt19937 rng(2026);
  Totals totals;
  std::size_t acked = 0;
  for (int round = 1; round <= rounds && !HasFailure(); ++round) {
    const std::string image = root.path() + "/round" + std::to_string(round);
    const auto delay = std::chrono::milliseconds(rng() % 400);
    // Rounds alternate the open's timing, and every other pair writes each
    // round's aggregates (the rest hold them in memory: write-back); every
    // other round writes them in chunks of 4 KiB, so that a loss may fall
    // between two chunks.
    const std::size_t hold = round % 4 < 2 ? Options().index_hold_bytes : 0;
    const std::size_t chunk = round % 2 == 0 ? 4096 : 0;
    acked = WriteUntilPowerLoss(dir, image, acked, delay, /*after_open=*/round % 2 == 1, hold,
                                chunk, &totals);
    fs::remove_all(dir);
    dir = image;
    CheckAfterPowerLoss(dir, acked, /*require_intact=*/true, &totals);
    ++totals.rounds;
  }
  totals.acknowledged = acked;
  std::printf(
      "power loss: %d rounds, %zu acknowledged versions, %zu lost, %zu unlisted, %zu verify "
      "problems; %zu losses during an open; log records dropped at reopen: %llu (%llu bytes)\n",
      totals.rounds, totals.acknowledged, totals.lost, totals.unlisted, totals.verify_problems,
      totals.images_during_open, static_cast<unsigned long long>(totals.records_dropped),
      static_cast<unsigned long long>(totals.bytes_dropped));
  EXPECT_GT(totals.acknowledged, 0u);
  EXPECT_EQ(totals.lost + totals.unlisted + totals.verify_problems, 0u);
}

// The harness can fail: without Options::sync, acknowledged batches sit in
// unsynced log bytes (in a log whose directory entry was never synced)
// and a power loss takes them. Guards the test above against a file system
// wrapper that stopped dropping anything.
TEST(StorePowerLossTest, UnsyncedIngestLosesAcknowledgedWrites) {
  TempDir root;
  const std::string dir = root.path() + "/db", image = root.path() + "/image";
  OpenOrDie(dir).reset();
  auto plfs = std::make_shared<PowerLossFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(plfs);
  InternalOptions internal;
  internal.TEST_env = env.get();
  auto store = OpenOrDie(dir, Options(), internal);  // sync = false.
  const std::vector<Trace> versions = FirstVersions(20 * kBatch);
  for (std::size_t i = 0; i < versions.size(); i += kBatch) {
    testing::IngestOrDie(store.get(),
                         std::vector<Trace>(versions.begin() + i, versions.begin() + i + kBatch));
  }
  ASSERT_TRUE(plfs->TakeDurableImage(dir, image, [] {}));
  store.reset();
  Totals totals;
  CheckAfterPowerLoss(image, versions.size(), /*require_intact=*/false, &totals);
  EXPECT_GT(totals.lost, 0u);
}

// The file system's model, checked directly: unsynced bytes and entries of
// an unsynced directory are gone; a rename over a file leaves the old file
// until the directory is synced.
TEST(StorePowerLossTest, FileSystemKeepsOnlySyncedBytesAndEntries) {
  TempDir dir;
  auto plfs = std::make_shared<PowerLossFileSystem>(rocksdb::FileSystem::Default());
  const rocksdb::IOOptions io;
  auto write = [&](const std::string& name, const std::string& synced, const std::string& more) {
    std::unique_ptr<rocksdb::FSWritableFile> f;
    ASSERT_TRUE(plfs->NewWritableFile(dir.path() + "/" + name, {}, &f, nullptr).ok());
    ASSERT_TRUE(f->Append(synced, io, nullptr).ok());
    ASSERT_TRUE(f->Sync(io, nullptr).ok());
    ASSERT_TRUE(f->Append(more, io, nullptr).ok());
    ASSERT_TRUE(f->Close(io, nullptr).ok());
  };
  auto image = [&](const std::string& name) -> std::string {
    static int n = 0;
    const std::string out = dir.path() + "-image" + std::to_string(n++);
    EXPECT_TRUE(plfs->TakeDurableImage(dir.path(), out, [] {}));
    std::string contents = "(none)";
    if (fs::exists(out + "/" + name)) {
      std::ifstream in(out + "/" + name);
      std::getline(in, contents);
    }
    fs::remove_all(out);
    return contents;
  };
  std::unique_ptr<rocksdb::FSDirectory> d;
  ASSERT_TRUE(plfs->NewDirectory(dir.path(), io, &d, nullptr).ok());
  write("CURRENT", "old", "-unsynced");
  EXPECT_EQ(image("CURRENT"), "(none)");  // Its entry is not durable yet.
  ASSERT_TRUE(d->Fsync(io, nullptr).ok());
  EXPECT_EQ(image("CURRENT"), "old");  // The synced prefix only.
  write("tmp", "new", "");
  ASSERT_TRUE(plfs->RenameFile(dir.path() + "/tmp", dir.path() + "/CURRENT", io, nullptr).ok());
  EXPECT_EQ(image("CURRENT"), "old");
  ASSERT_TRUE(d->Fsync(io, nullptr).ok());
  EXPECT_EQ(image("CURRENT"), "new");
  EXPECT_EQ(plfs->dir_syncs(), 2);
}

}  // namespace
}  // namespace sessionstore
