// Copyright sessionstore authors.
//
// raw_ingest: the floor for `sessionstore ingest`. Reads a JSON Lines file
// of traces, parses each line with simdjson (session_id, start_time and
// trace_id, the fields a key needs) and writes the line as is with one
// RocksDB Put under sessionstore's trace key, with the engine's own
// `traces` options (LZ4, prefix bloom filter, block cache), in batches of
// 1000 (WAL on, no fsync): no validation, no merging of versions, no
// aggregates, no indexes. Prints lines/s and the process CPU per line, the
// figures `sessionstore ingest` is compared with (bench/README.md), and
// the table bytes its flushes and compactions wrote per input byte (as
// `sessionstore ingest --stats` prints them).
//
// Usage: raw_ingest FILE DIR [MAX_LINES [BACKGROUND_JOBS]]   (DIR is removed
// first; MAX_LINES 0 or absent: every line; BACKGROUND_JOBS:
// Options::background_jobs, default its default, as `sessionstore
// --background-jobs`)

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <simdjson.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "engine/format/keys.h"
#include "engine/io_stats_listener.h"
#include "engine/rocksdb_options.h"

namespace {

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "raw_ingest: %s\n", why.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) Die("usage: raw_ingest FILE DIR [MAX_LINES [BACKGROUND_JOBS]]");
  std::size_t max_lines = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : SIZE_MAX;
  if (max_lines == 0) max_lines = SIZE_MAX;  // 0: every line (to name BACKGROUND_JOBS).
  std::filesystem::remove_all(argv[2]);
  sessionstore::Options options;
  if (argc > 4) options.background_jobs = std::atoi(argv[4]);
  rocksdb::Options o(sessionstore::MakeDBOptions(options),
                     sessionstore::MakeTracesOptions(
                         options, sessionstore::NewBlockCache(options.block_cache_bytes)));
  auto io = std::make_shared<sessionstore::IoStatsListener>();
  o.listeners.push_back(io);
  rocksdb::DB* raw = nullptr;
  rocksdb::Status rs = rocksdb::DB::Open(o, argv[2], &raw);
  if (!rs.ok()) Die(rs.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);

  std::ifstream in(argv[1], std::ios::binary);
  if (!in) Die(std::string("cannot read ") + argv[1]);
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = CpuSeconds();
  simdjson::dom::parser parser;
  rocksdb::WriteBatch wb;
  std::string line;
  std::size_t lines = 0, bytes = 0;
  while (lines < max_lines && std::getline(in, line)) {
    simdjson::dom::element doc;
    if (parser.parse(line).get(doc) != simdjson::SUCCESS)
      Die("bad JSON at line " + std::to_string(lines + 1));
    std::string_view session, trace;
    int64_t start = 0;
    if (doc["session_id"].get(session) != simdjson::SUCCESS) session = {};
    if (doc["trace_id"].get(trace) != simdjson::SUCCESS ||
        doc["start_time"].get(start) != simdjson::SUCCESS) {
      Die("line " + std::to_string(lines + 1) + " lacks trace_id or start_time");
    }
    wb.Put(sessionstore::TraceKey(sessionstore::SessionHash(session), session, start, trace), line);
    ++lines;
    bytes += line.size() + 1;
    if (wb.Count() == 1000) {
      if (!(rs = db->Write(rocksdb::WriteOptions(), &wb)).ok()) Die(rs.ToString());
      wb.Clear();
    }
  }
  if (wb.Count() > 0 && !(rs = db->Write(rocksdb::WriteOptions(), &wb)).ok()) Die(rs.ToString());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = CpuSeconds() - cpu0;
  std::printf(
      "raw_ingest: %zu lines, %.1f MB in %.2f s: %.0f lines/s, %.1f MB/s; CPU %.2f s, %.1f us per "
      "line\n",
      lines, static_cast<double>(bytes) / 1e6, s, static_cast<double>(lines) / s,
      static_cast<double>(bytes) / 1e6 / s, cpu, cpu / static_cast<double>(lines) * 1e6);
  // The jobs finished by now, as `sessionstore ingest --stats` counts
  // them: the close stops a compaction still running.
  const double table = static_cast<double>(io->flushed_bytes() + io->compacted_bytes());
  std::printf("table bytes per input byte %.2f (%.1f MB written: %.1f flushed, %.1f compacted)\n",
              bytes == 0 ? 0.0 : table / static_cast<double>(bytes), table / 1e6,
              static_cast<double>(io->flushed_bytes()) / 1e6,
              static_cast<double>(io->compacted_bytes()) / 1e6);
  return 0;
}
