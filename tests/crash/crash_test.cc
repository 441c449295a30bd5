// Copyright sessionstore authors.
//
// sessionstore_crashtest: crash testing in the manner of RocksDB's
// db_crashtest. `write` ingests a seeded workload and records, after each
// Ingest returns, how many trace versions have been acknowledged; it is
// meant to be killed (SIGKILL) at a random moment, and resumes from the
// record when run again (re-sending the batch that was in flight, which
// upserts change nothing). `check` opens the store read-only, as a reader
// right after the crash would, and fails unless every acknowledged trace is
// there, every acknowledged session is listed, and Verify finds every
// aggregate and index entry equal to its recomputation. Driven by
// tests/crash/crash_test.sh.
//
// `--chunk-bytes C` makes the writer's catch-up rounds write their
// aggregates in chunks of C bytes (InternalOptions::
// TEST_index_write_chunk_bytes, format 9's round records), rounds run
// every 20 ms, and the session deltas are written back once 256 KiB are
// held, so that a kill often falls between two chunks of a round.
//
//   sessionstore_crashtest write DB ACKS [--seed S] [--batch N] [--payload-bytes B] [--sync]
//                                        [--chunk-bytes C]
//   sessionstore_crashtest check DB ACKS [--seed S] [--payload-bytes B]

#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/store_impl.h"
#include "sessionstore/store.h"
#include "tools/workload_generator.h"

namespace ss = sessionstore;

namespace {

struct Args {
  std::string db, acks;
  uint64_t seed = 7;
  std::size_t batch = 200;
  std::size_t payload_bytes = 100;
  bool sync = false;
  std::size_t chunk_bytes = 0;  // 0: the engine's chunks and catch-up timing.
};

ss::WorkloadGenerator MakeWorkload(const Args& a) {
  ss::WorkloadOptions o;
  o.seed = a.seed;
  o.traces = 50'000'000;  // More than any run sends.
  o.sessions = 200'000;
  o.mean_payload_bytes = a.payload_bytes;
  return ss::WorkloadGenerator(o);
}

// Trace versions acknowledged so far: the last number in the record.
std::size_t Acknowledged(const std::string& path) {
  std::ifstream in(path);
  std::size_t n = 0, last = 0;
  while (in >> n) last = n;
  return last;
}

int Write(const Args& a) {
  ss::Options options;
  options.sync = a.sync;
  ss::InternalOptions internal;
  if (a.chunk_bytes != 0) {
    internal.TEST_index_write_chunk_bytes = a.chunk_bytes;
    options.index_interval_ms = 20;
    options.index_hold_bytes = 256 << 10;
  }
  std::unique_ptr<ss::Store> store;
  ss::Status s = ss::StoreImpl::Open(options, a.db, internal, &store);
  if (!s.ok()) {
    std::cerr << "crashtest write: " << s.ToString() << "\n";
    return 2;
  }
  const int fd = open(a.acks.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return 2;
  ss::WorkloadGenerator gen = MakeWorkload(a);
  std::size_t acked = Acknowledged(a.acks);
  ss::Trace t;
  for (std::size_t i = 0; i < acked && gen.Next(&t); ++i) {
  }
  // Open and the workload's resume point reached: the driver times its
  // kill from here (regenerating what was sent takes seconds on a large run).
  std::printf("ready\n");
  std::fflush(stdout);
  std::vector<ss::Trace> batch;
  for (;;) {
    batch.clear();
    while (batch.size() < a.batch && gen.Next(&t)) batch.push_back(t);
    if (batch.empty()) return 0;
    ss::IngestResult r;
    if (!(s = store->Ingest(batch, &r)).ok()) {
      std::cerr << "crashtest write: " << s.ToString() << "\n";
      return 2;
    }
    acked += batch.size();
    // After Ingest returned: the record never claims more than the store
    // acknowledged. (The kernel keeps it across a SIGKILL of this process.)
    const std::string line = std::to_string(acked) + "\n";
    if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return 2;
    if (a.sync) fsync(fd);
  }
}

int Check(const Args& a) {
  const std::size_t acked = Acknowledged(a.acks);
  ss::WorkloadGenerator gen = MakeWorkload(a);
  std::set<std::string> traces, sessions;
  ss::Trace t;
  for (std::size_t i = 0; i < acked && gen.Next(&t); ++i) {
    traces.insert(t.trace_id);
    if (!t.session_id.empty()) sessions.insert(t.session_id);
  }
  ss::Options options;
  options.read_only = true;
  options.create_if_missing = false;
  std::unique_ptr<ss::Store> store;
  ss::WalRecoveryReport dropped;
  ss::Status s = ss::Store::Open(options, a.db, &store, &dropped);
  if (!s.ok()) {
    std::cerr << "crashtest check: " << s.ToString() << "\n";
    return 1;
  }
  std::size_t lost = 0;
  for (const std::string& id : traces) {
    ss::Trace stored;
    if (!store->GetTrace(id, &stored).ok() && ++lost <= 5) std::cerr << "lost trace " << id << "\n";
  }
  std::set<std::string> listed;
  ss::ListSessionsOptions lo;
  lo.limit = 1000;
  ss::SessionPage page;
  do {
    if (!(s = store->ListSessions(lo, &page)).ok()) {
      std::cerr << "crashtest check: " << s.ToString() << "\n";
      return 1;
    }
    for (const ss::SessionSummary& x : page.sessions) listed.insert(x.session_id);
    lo.cursor = page.next_cursor;
  } while (!lo.cursor.empty());
  std::size_t unlisted = 0;
  for (const std::string& id : sessions) {
    if (listed.count(id) == 0 && ++unlisted <= 5) std::cerr << "unlisted session " << id << "\n";
  }
  ss::VerifyReport report;
  if (!(s = store->Verify(&report)).ok()) {
    std::cerr << "crashtest check: " << s.ToString() << "\n";
    return 1;
  }
  for (std::size_t i = 0; i < report.mismatches.size() && i < 5; ++i) {
    std::cerr << report.mismatches[i] << "\n";
  }
  std::printf(
      "%zu acknowledged versions: %zu traces, %zu sessions; %zu lost, %zu unlisted, %zu "
      "verify problems; log records dropped at open: %llu (%llu bytes)\n",
      acked, traces.size(), sessions.size(), lost, unlisted, report.mismatches.size(),
      static_cast<unsigned long long>(dropped.records_dropped),
      static_cast<unsigned long long>(dropped.bytes_dropped));
  return lost == 0 && unlisted == 0 && report.mismatches.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sessionstore crash test: write until killed, then check"};
  app.require_subcommand(1);
  Args a;
  for (CLI::App* cmd : {app.add_subcommand("write", "Ingest until killed, recording acks"),
                        app.add_subcommand("check", "Check every acknowledged trace")}) {
    cmd->add_option("db", a.db, "Store directory")->required();
    cmd->add_option("acks", a.acks, "File of acknowledged counts")->required();
    cmd->add_option("--seed", a.seed, "Workload seed")->capture_default_str();
    cmd->add_option("--payload-bytes", a.payload_bytes, "Mean payload size")->capture_default_str();
  }
  app.get_subcommand("write")->add_option("--batch", a.batch, "Traces per Ingest");
  app.get_subcommand("write")->add_flag("--sync", a.sync, "Options::sync and fsync the acks");
  app.get_subcommand("write")
      ->add_option("--chunk-bytes", a.chunk_bytes,
                   "Catch-up rounds written in chunks of this many bytes (small holds, "
                   "rounds every 20 ms)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30));
  CLI11_PARSE(app, argc, argv);
  return app.got_subcommand("write") ? Write(a) : Check(a);
}
