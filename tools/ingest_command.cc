// Copyright sessionstore authors.

#include "tools/ingest_command.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "sessionstore/store.h"
#include "tools/cli_common.h"
#include "tools/jsonl_ingester.h"
#include "tools/memory_sampler.h"
#include "tools/otlp/otlp_ingest.h"
#include "tools/progress_line.h"

namespace sessionstore::cli {

namespace {

constexpr std::chrono::milliseconds kMemorySamplePeriod{250};

// The input `file` names: stdin for "-", else the file opened into
// *holder. Null, with a message, when it cannot be opened.
std::istream* OpenInput(const std::string& file, std::ifstream* holder) {
  if (file == "-") return &std::cin;
  holder->open(file, std::ios::binary);
  if (!*holder) {
    std::cerr << "sessionstore: cannot open " << file << "\n";
    return nullptr;
  }
  return holder;
}

// A whole file (or stdin for "-") into *body; false with a message if it
// cannot be read or is larger than `limit`.
bool ReadWholeFile(const std::string& file, std::size_t limit, std::string* body) {
  std::ifstream in_file;
  std::istream* in = OpenInput(file, &in_file);
  if (in == nullptr) return false;
  body->clear();
  char buf[1 << 16];
  while (in->read(buf, sizeof(buf)) || in->gcount() > 0) {
    body->append(buf, static_cast<std::size_t>(in->gcount()));
    if (body->size() > limit) {
      std::cerr << "sessionstore: " << file << ": larger than " << limit << " bytes\n";
      return false;
    }
  }
  if (in->bad()) std::cerr << "sessionstore: read error on " << file << "\n";
  return !in->bad();
}

// `ingest --format otlp-json|otlp-proto`: each file is one export request.
int RunOtlpIngest(Store* store, const IngestArgs& args, const std::vector<std::string>& files) {
  constexpr std::size_t kMaxBodyBytes = std::size_t{1} << 30;
  const OtlpEncoding encoding =
      args.format == "otlp-json" ? OtlpEncoding::kJson : OtlpEncoding::kProtobuf;
  std::size_t spans = 0, rejected = 0, traces = 0, bad_files = 0;
  std::string body;
  ProgressLine progress(stderr, args.quiet);
  for (const std::string& file : files) {
    if (progress.Due()) {
      progress.Update(std::to_string(&file - files.data()) + " of " + std::to_string(files.size()) +
                      " files, " + std::to_string(spans) + " spans");
    }
    if (!ReadWholeFile(file, kMaxBodyBytes, &body)) return kExitError;
    OtlpIngestReport report;
    Status s = IngestOtlpBody(store, encoding, body, &report);
    if (s.IsInvalidArgument() || report.rejected_spans > 0) progress.Finish();
    if (s.IsInvalidArgument()) {
      std::cerr << file << ": " << s.message() << "\n";
      ++bad_files;
      continue;
    }
    if (!s.ok()) return Fail(s);
    spans += report.spans;
    rejected += report.rejected_spans;
    traces += report.traces;
    if (report.rejected_spans > 0) {
      std::cerr << file << ": " << report.rejected_spans << " of " << report.spans
                << " spans rejected: " << report.Message() << "\n";
    }
  }
  progress.Finish();
  std::printf(
      "ingested %zu files: %zu spans in %zu trace versions, %zu spans rejected, %zu "
      "files malformed\n",
      files.size(), spans, traces, rejected, bad_files);
  return rejected == 0 && bad_files == 0 ? kExitOk : kExitRejected;
}

// --stats: per family, what the flushes and compactions of this ingest
// wrote and what the compactions cost (StoreStats::families; the final
// flush included, compactions the close cuts off not). False when the
// stats cannot be read (reported). With the bytes of input read
// (`input_bytes`, 0 when unknown), also the table bytes written per input
// byte.
bool PrintBackgroundWork(Store* store, uint64_t input_bytes) {
  StoreStats st;
  const Status s = store->GetStats(&st);
  if (!s.ok()) {
    Fail(s);
    return false;
  }
  std::printf("%-10s %12s %12s %16s\n", "family", "flushed MB", "compacted MB", "compaction CPU s");
  for (const FamilyStats& f : st.families) {
    std::printf("%-10s %12.1f %12.1f %16.1f\n", f.name.c_str(), f.flushed_bytes / 1e6,
                f.compacted_bytes / 1e6, f.compaction_cpu_micros / 1e6);
  }
  std::printf("write amplification %.2f (table bytes written %.1f MB for %.1f MB ingested)\n",
              st.write_amplification, st.table_bytes_written / 1e6, st.ingested_bytes / 1e6);
  if (input_bytes > 0) {
    std::printf("table bytes per input byte %.2f (%.1f MB of input)\n",
                static_cast<double>(st.table_bytes_written) / static_cast<double>(input_bytes),
                input_bytes / 1e6);
  }
  return true;
}

// --stats: the memory figures of the sample with the largest resident
// set (MemorySampler).
void PrintMemoryAtPeak(const MemorySampler& sampler) {
  const MemorySample m = sampler.AtPeak();
  if (sampler.samples() == 0 || m.resident == 0) return;
  const auto mib = [](uint64_t b) { return static_cast<double>(b) / (1 << 20); };
  // The caches' blocks live in the pools' slabs, except blocks over 64 KiB
  // (large index blocks) and those past the pools' bound, which come from
  // malloc: whichever is larger is the closer count of what they hold.
  const uint64_t cache = std::max(m.block_cache, m.block_pools);
  const uint64_t counted =
      m.memtables + cache + m.pending_deltas + m.held_deltas + m.summary_cache + m.session_indexes;
  std::printf(
      "memory at the peak resident set (%llu samples): %.1f MiB resident; memtables %.1f, "
      "block caches %.1f in use (their pools %.1f mapped), pending session deltas %.1f, "
      "held %.1f, summary cache %.1f, session indexes %.1f; the rest %.1f (batches being "
      "parsed and written, a catch-up round, the held deltas' keys and nodes, the writer's "
      "first-trace table, RocksDB's own, the allocator's free pages)\n",
      static_cast<unsigned long long>(sampler.samples()), mib(m.resident), mib(m.memtables),
      mib(m.block_cache), mib(m.block_pools), mib(m.pending_deltas), mib(m.held_deltas),
      mib(m.summary_cache), mib(m.session_indexes),
      m.resident > counted ? mib(m.resident - counted) : 0.0);
}

// Flushes the store's memtables before it closes, so that the next command
// (each is a process that opens the store) replays no write-ahead log: after
// a 1M-line ingest the live log held 150-180 MB, and replaying it took a
// query command 0.25-0.5 s of its 0.45-1.2 s (bench/README.md, "The floor
// again, the write-back's memory, the first calls"). The traces are
// durable before it either way; a failure is reported as such.
bool FlushForNextOpen(Store* store) {
  const Status s = store->Flush();
  if (s.ok()) return true;
  std::cerr << "sessionstore: every acknowledged trace is in the write-ahead log, but "
               "flushing it to tables failed: "
            << s.ToString() << "\n";
  return false;
}

}  // namespace

CLI::App* AddIngestCommand(CLI::App* app, IngestArgs* a) {
  auto* ingest_cmd = app->add_subcommand(
      "ingest", "Ingest JSON Lines traces (or OTLP export requests) from files or stdin");
  ingest_cmd->add_option("files", a->files, "Input files ('-' or none: stdin)");
  ingest_cmd
      ->add_option("--format", a->format,
                   "jsonl: JSON Lines; otlp-json, otlp-proto: each file one OTLP "
                   "ExportTraceServiceRequest body")
      ->check(CLI::IsMember({"jsonl", "otlp-json", "otlp-proto"}))
      ->capture_default_str();
  ingest_cmd->add_option("--batch", a->batch, "Traces per write batch")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  ingest_cmd
      ->add_option("--index-pending-mib", a->index_pending_mib,
                   "Session deltas (MiB) gathered in memory before the indexer folds them "
                   "into the aggregates (default 32): more rewrites each session's aggregate "
                   "less often, for more memory; raise --index-interval-ms with it "
                   "(Options::index_pending_bytes)")
      ->check(CLI::Range(1, 65536));
  ingest_cmd
      ->add_option("--index-interval-ms", a->index_interval_ms,
                   "Longest wait (ms) before the indexer folds gathered deltas (default 1000)")
      ->check(CLI::Range(1, 3600000));
  ingest_cmd
      ->add_option("--index-hold-mib", a->index_hold_mib,
                   "Session deltas (MiB) the indexer holds in memory, one per session, "
                   "before it writes the aggregates (default 64; 0 writes every round): more "
                   "writes each session's aggregate less often, for three to five times this "
                   "in memory (Options::index_hold_bytes)")
      ->check(CLI::Range(int64_t{0}, int64_t{65536}));
  ingest_cmd->add_flag("--quiet", a->quiet, "No progress line");
  ingest_cmd->add_flag("--sync", a->sync, "Fsync every batch");
  ingest_cmd->add_flag("--stats", a->stats,
                       "At the end, print per column family the MB RocksDB's flushes and "
                       "compactions wrote during the ingest and the compactions' CPU seconds, "
                       "and what the memory held when the resident set peaked (sampled every "
                       "250 ms)");
  return ingest_cmd;
}

int RunIngest(const std::string& db, const IngestArgs& args) {
  std::unique_ptr<Store> store;
  Options options;
  options.sync = args.sync;
  options.retention_ns = g_open_flags.retention_ns;
  options.recover_damaged_wal = g_open_flags.recover;
  if (g_open_flags.background_jobs > 0) options.background_jobs = g_open_flags.background_jobs;
  if (args.index_pending_mib > 0) options.index_pending_bytes = args.index_pending_mib << 20;
  if (args.index_interval_ms > 0) options.index_interval_ms = args.index_interval_ms;
  if (args.index_hold_mib >= 0) {
    options.index_hold_bytes = static_cast<std::size_t>(args.index_hold_mib) << 20;
  }
  Status s = OpenWithWarning(options, db, &store);
  if (!s.ok()) return Fail(s);
  std::vector<std::string> files = args.files;
  if (files.empty()) files.push_back("-");
  std::unique_ptr<MemorySampler> sampler;
  if (args.stats) sampler = std::make_unique<MemorySampler>(store.get(), kMemorySamplePeriod);
  // The end of an ingest: the memory sampled up to here (the final flush
  // empties the memtables), the flush, then the figures, which count it.
  const auto finish = [&](uint64_t input_bytes) {
    if (sampler) sampler->Stop();
    if (!FlushForNextOpen(store.get())) return false;
    if (!args.stats) return true;
    if (!PrintBackgroundWork(store.get(), input_bytes)) return false;
    PrintMemoryAtPeak(*sampler);
    return true;
  };
  if (args.format != "jsonl") {
    const int code = RunOtlpIngest(store.get(), args, files);
    if (code != kExitError && !finish(0)) return kExitError;
    return code;
  }
  JsonlIngestOptions ingest_options;
  ingest_options.batch = args.batch;
  ingest_options.progress = !args.quiet;
  JsonlIngester ingester(store.get(), ingest_options);
  for (const std::string& file : files) {
    std::ifstream in_file;
    std::istream* in = OpenInput(file, &in_file);
    if (in == nullptr) return kExitError;
    if (!ingester.IngestStream(file, in, &s)) return Fail(s);
    if (in->bad()) {
      std::cerr << "sessionstore: read error on " << file << "\n";
      return kExitError;
    }
    if (!(s = ingester.Flush()).ok()) return Fail(s);
  }
  const bool all_landed = ingester.Finish();
  if (!finish(ingester.bytes_read())) return kExitError;
  return all_landed ? kExitOk : kExitRejected;
}

}  // namespace sessionstore::cli
