// Copyright sessionstore authors.
//
// `sessionstore`: the command-line tool, built on the public API only.
// Run `sessionstore --help` for the commands.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "sessionstore/json.h"
#include "sessionstore/store.h"
#include "sessionstore/time_format.h"
#include "tools/jsonl_ingester.h"
#include "tools/output_json.h"
#include "tools/table_printer.h"
#include "tools/workload_generator.h"

namespace ss = sessionstore;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRejected = 1;  // Some input was rejected, or verify found problems.
constexpr int kExitError = 2;     // The command could not run.

int Fail(const ss::Status& s) {
  std::cerr << "sessionstore: " << s.ToString() << "\n";
  return s.IsNotFound() ? kExitRejected : kExitError;
}

// Global options that change how every command opens the store.
struct OpenFlags {
  bool recover = false;  // --recover: Options::recover_damaged_wal.
};
OpenFlags g_open_flags;

// Opens the store; warns on stderr when replaying its write-ahead log
// dropped writes.
ss::Status OpenWithWarning(const ss::Options& options, const std::string& dir,
                           std::unique_ptr<ss::Store>* store) {
  ss::WalRecoveryReport dropped;
  ss::Status s = ss::Store::Open(options, dir, store, &dropped);
  if (s.ok() && dropped.bytes_dropped > 0) {
    std::cerr << "sessionstore: warning: opening " << dir << " dropped " << dropped.records_dropped
              << " write-ahead log record" << (dropped.records_dropped == 1 ? "" : "s") << " ("
              << dropped.bytes_dropped
              << " bytes) that could not be replayed: a write torn by a crash (never "
                 "acknowledged) or, with --recover, every write after the damage\n";
    for (const std::string& line : dropped.details) std::cerr << "  " << line << "\n";
  }
  return s;
}

ss::Status OpenStore(const std::string& dir, bool read_only, std::unique_ptr<ss::Store>* store) {
  ss::Options options;
  options.read_only = read_only;
  options.create_if_missing = false;  // Only ingest creates a store.
  options.recover_damaged_wal = g_open_flags.recover;
  return OpenWithWarning(options, dir, store);
}

// Accepts RFC 3339 or integer nanoseconds.
bool ParseTimeArg(const std::string& text, int64_t* ns) {
  if (text.empty()) return false;
  if (ss::ParseTime(text, ns)) return true;
  try {
    std::size_t used = 0;
    *ns = std::stoll(text, &used);
    return used == text.size();
  } catch (...) {
    return false;
  }
}

// Parses --from/--to into a [from, to) window; false on a bad time.
bool ParseWindow(const std::string& from, const std::string& to, int64_t* from_ns, int64_t* to_ns) {
  return (from.empty() || ParseTimeArg(from, from_ns)) && (to.empty() || ParseTimeArg(to, to_ns));
}

// Prints {"<key>":[item,...],"next_cursor":"..."} on one line.
template <typename T, typename AppendFn>
void PrintJsonPage(const char* key, const std::vector<T>& items, AppendFn append,
                   const std::string& next_cursor) {
  std::string out = "{\"";
  out += key;
  out += "\":[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ",";
    append(items[i], &out);
  }
  out += "],\"next_cursor\":\"" + next_cursor + "\"}";
  std::cout << out << "\n";
}

// ---------------------------------------------------------------- ingest --

struct IngestArgs {
  std::vector<std::string> files;
  std::size_t batch = 1000;
  bool quiet = false;
  bool sync = false;
};

int RunIngest(const std::string& db, const IngestArgs& args) {
  std::unique_ptr<ss::Store> store;
  ss::Options options;
  options.sync = args.sync;
  options.recover_damaged_wal = g_open_flags.recover;
  ss::Status s = OpenWithWarning(options, db, &store);
  if (!s.ok()) return Fail(s);
  std::vector<std::string> files = args.files;
  if (files.empty()) files.push_back("-");
  ss::JsonlIngestOptions ingest_options;
  ingest_options.batch = args.batch;
  ingest_options.progress = !args.quiet;
  ss::JsonlIngester ingester(store.get(), ingest_options);
  for (const std::string& file : files) {
    std::ifstream in_file;
    std::istream* in = &std::cin;
    if (file != "-") {
      in_file.open(file, std::ios::binary);
      if (!in_file) {
        std::cerr << "sessionstore: cannot open " << file << "\n";
        return kExitError;
      }
      in = &in_file;
    }
    if (!ingester.IngestStream(file, in, &s)) return Fail(s);
    if (in->bad()) {
      std::cerr << "sessionstore: read error on " << file << "\n";
      return kExitError;
    }
    if (!(s = ingester.Flush()).ok()) return Fail(s);
  }
  return ingester.Finish() ? kExitOk : kExitRejected;
}

// ----------------------------------------------------------------- reads --

void PrintSession(const ss::SessionSummary& s) {
  std::cout << "session      " << s.session_id << "\n"
            << "name         " << s.session_name << "\n"
            << "user         " << s.user_id << "\n"
            << "traces       " << s.trace_count << " (" << s.error_count << " with errors, "
            << s.span_count << " spans)\n"
            << "tokens       " << s.total_tokens << " (" << s.prompt_tokens << " prompt, "
            << s.completion_tokens << " completion)\n"
            << "cost         " << ss::FormatUsd(s.cost_nano_usd) << "\n"
            << "first trace  " << ss::FormatTime(s.first_trace_at_ns) << "\n"
            << "last trace   " << ss::FormatTime(s.last_trace_at_ns) << "\n"
            << "duration     " << ss::FormatDurationNs(s.duration_ns) << "\n";
  if (s.ttft_count > 0) {
    std::cout << "ttft avg     " << ss::FormatDurationNs(static_cast<int64_t>(s.ttft_avg_ns()))
              << "\n";
  }
  std::cout << "first input  " << ss::Ellipsize(s.first_input.value, 100) << "\n"
            << "last output  " << ss::Ellipsize(s.last_output.value, 100) << "\n\n";
  ss::TablePrinter models({"model", "calls", "prompt", "completion", "cost"});
  for (const auto& [name, m] : s.models) {
    models.AddRow({name.empty() ? "(none)" : name, std::to_string(m.calls),
                   std::to_string(m.prompt_tokens), std::to_string(m.completion_tokens),
                   ss::FormatUsd(m.cost_nano_usd)});
  }
  models.Print(std::cout);
  if (!s.tags.empty()) {
    std::cout << "\ntags        ";
    for (const auto& [tag, n] : s.tags) std::cout << " " << tag << "=" << n;
    std::cout << "\n";
  }
}

int RunSession(const std::string& db, const std::string& id, bool json) {
  std::unique_ptr<ss::Store> store;
  ss::Status s = OpenStore(db, true, &store);
  if (!s.ok()) return Fail(s);
  ss::SessionSummary summary;
  if (!(s = store->GetSession(id, &summary)).ok()) return Fail(s);
  if (json) {
    std::string out;
    ss::AppendSessionJson(summary, &out);
    std::cout << out << "\n";
  } else {
    PrintSession(summary);
  }
  return kExitOk;
}

struct TimelineArgs {
  std::string from, to, cursor;
  std::size_t limit = 100;
  bool descending = false;
  bool json = false;
};

int RunTimeline(const std::string& db, const std::string& id, const TimelineArgs& a) {
  ss::TimelineOptions opts;
  if (!ParseWindow(a.from, a.to, &opts.from_ns, &opts.to_ns)) {
    return Fail(ss::Status::InvalidArgument("--from/--to: expected RFC 3339 or nanoseconds"));
  }
  opts.limit = a.limit;
  opts.descending = a.descending;
  opts.cursor = a.cursor;
  std::unique_ptr<ss::Store> store;
  ss::Status s = OpenStore(db, true, &store);
  if (!s.ok()) return Fail(s);
  ss::TimelinePage page;
  if (!(s = store->Timeline(id, opts, &page)).ok()) return Fail(s);
  if (a.json) {
    PrintJsonPage("traces", page.traces, ss::AppendTimelineEntryJson, page.next_cursor);
    return kExitOk;
  }
  ss::TablePrinter t(
      {"start", "trace", "name", "status", "duration", "tokens", "cost", "input", "output"});
  for (const ss::Trace& tr : page.traces) {
    const ss::TraceUsage u = ss::ComputeTraceUsage(tr);
    t.AddRow({ss::FormatTime(tr.start_ns), tr.trace_id, tr.name, u.has_error ? "error" : "ok",
              ss::FormatDurationNs(u.effective_end_ns - u.effective_start_ns),
              std::to_string(u.total_tokens), ss::FormatUsd(u.cost_nano_usd),
              ss::Ellipsize(tr.input.value, 40), ss::Ellipsize(tr.output.value, 40)});
  }
  t.Print(std::cout);
  if (!page.next_cursor.empty()) std::cout << "\nnext page: --cursor " << page.next_cursor << "\n";
  return kExitOk;
}

int RunTrace(const std::string& db, const std::string& id, bool json) {
  std::unique_ptr<ss::Store> store;
  ss::Status s = OpenStore(db, true, &store);
  if (!s.ok()) return Fail(s);
  ss::Trace t;
  if (!(s = store->GetTrace(id, &t)).ok()) return Fail(s);
  if (json) {
    std::string out;
    ss::AppendTraceJson(t, &out);
    std::cout << out << "\n";
    return kExitOk;
  }
  const ss::TraceUsage u = ss::ComputeTraceUsage(t);
  std::cout << "trace    " << t.trace_id << "\nsession  " << t.session_id << "\nname     " << t.name
            << "\nuser     " << t.user_id << "\nstart    " << ss::FormatTime(t.start_ns)
            << "\nstatus   " << (u.has_error ? "error" : "ok") << "\ntokens   " << u.total_tokens
            << "\ncost     " << ss::FormatUsd(u.cost_nano_usd) << "\ninput    "
            << ss::Ellipsize(t.input.value, 100) << "\noutput   "
            << ss::Ellipsize(t.output.value, 100) << "\n\n";
  ss::TablePrinter spans({"span", "parent", "kind", "name", "model", "tokens", "cost", "status"});
  for (const ss::Span& sp : t.spans) {
    spans.AddRow({sp.span_id, sp.parent_span_id, std::string(ss::SpanKindName(sp.kind)), sp.name,
                  sp.model, std::to_string(sp.prompt_tokens + sp.completion_tokens),
                  ss::FormatUsd(sp.cost_nano_usd),
                  sp.status == ss::TraceStatus::kError ? "error" : "ok"});
  }
  spans.Print(std::cout);
  return kExitOk;
}

struct SessionsArgs {
  std::string from, to, user, cursor;
  std::string order = "last";
  bool ascending = false;
  std::size_t limit = 20;
  bool json = false;
};

// The --order names, in SessionOrder's order.
const std::vector<std::pair<std::string, ss::SessionOrder>> kOrderNames = {
    {"last", ss::SessionOrder::kLastActivity}, {"first", ss::SessionOrder::kFirstActivity},
    {"cost", ss::SessionOrder::kCost},         {"tokens", ss::SessionOrder::kTotalTokens},
    {"traces", ss::SessionOrder::kTraceCount}, {"duration", ss::SessionOrder::kDuration}};

int RunSessions(const std::string& db, const SessionsArgs& a) {
  ss::ListSessionsOptions opts;
  if (!ParseWindow(a.from, a.to, &opts.from_ns, &opts.to_ns)) {
    return Fail(ss::Status::InvalidArgument("--from/--to: expected RFC 3339 or nanoseconds"));
  }
  opts.user_id = a.user;
  for (const auto& [name, order] : kOrderNames) {
    if (name == a.order) opts.order = order;
  }
  opts.descending = !a.ascending;
  opts.limit = a.limit;
  opts.cursor = a.cursor;
  std::unique_ptr<ss::Store> store;
  ss::Status s = OpenStore(db, true, &store);
  if (!s.ok()) return Fail(s);
  ss::SessionPage page;
  if (!(s = store->ListSessions(opts, &page)).ok()) return Fail(s);
  if (a.json) {
    PrintJsonPage("sessions", page.sessions, ss::AppendSessionJson, page.next_cursor);
    return kExitOk;
  }
  ss::TablePrinter t({"last activity", "session", "user", "traces", "errors", "tokens", "cost",
                      "duration", "last output"});
  for (const ss::SessionSummary& x : page.sessions) {
    t.AddRow({ss::FormatTime(x.last_trace_at_ns), x.session_id, x.user_id,
              std::to_string(x.trace_count), std::to_string(x.error_count),
              std::to_string(x.total_tokens), ss::FormatUsd(x.cost_nano_usd),
              ss::FormatDurationNs(x.duration_ns), ss::Ellipsize(x.last_output.value, 40)});
  }
  t.Print(std::cout);
  if (!page.next_cursor.empty()) std::cout << "\nnext page: --cursor " << page.next_cursor << "\n";
  return kExitOk;
}

int RunCompact(const std::string& db) {
  std::unique_ptr<ss::Store> store;
  ss::Status s = OpenStore(db, false, &store);
  if (!s.ok()) return Fail(s);
  ss::StoreStats before, after;
  if (!(s = store->Flush()).ok() || !(s = store->GetStats(&before)).ok()) return Fail(s);
  if (!(s = store->Compact()).ok() || !(s = store->GetStats(&after)).ok()) return Fail(s);
  std::printf("compacted: %.1f MB on disk before, %.1f MB after\n", before.disk_bytes / 1e6,
              after.disk_bytes / 1e6);
  return kExitOk;
}

int RunStats(const std::string& db, bool json) {
  std::unique_ptr<ss::Store> store;
  ss::Status s = OpenStore(db, true, &store);
  if (!s.ok()) return Fail(s);
  ss::StoreStats st;
  if (!(s = store->GetStats(&st)).ok()) return Fail(s);
  if (json) {
    std::printf(
        "{\"traces\":%lld,\"sessions\":%lld,\"disk_bytes\":%llu,\"memtable_bytes\":%llu,"
        "\"wal_records_dropped\":%llu,\"wal_bytes_dropped\":%llu}\n",
        static_cast<long long>(st.traces), static_cast<long long>(st.sessions),
        static_cast<unsigned long long>(st.disk_bytes),
        static_cast<unsigned long long>(st.memtable_bytes),
        static_cast<unsigned long long>(st.wal_records_dropped),
        static_cast<unsigned long long>(st.wal_bytes_dropped));
  } else {
    std::printf(
        "traces (estimate)    %lld\nsessions (estimate)  %lld\ndisk                %.1f MB\n"
        "memtables            %.1f MB\nlog dropped at open  %llu records, %llu bytes\n",
        static_cast<long long>(st.traces), static_cast<long long>(st.sessions), st.disk_bytes / 1e6,
        st.memtable_bytes / 1e6, static_cast<unsigned long long>(st.wal_records_dropped),
        static_cast<unsigned long long>(st.wal_bytes_dropped));
  }
  return kExitOk;
}

int RunVerify(const std::string& db) {
  std::unique_ptr<ss::Store> store;
  ss::Status s = OpenStore(db, true, &store);
  if (!s.ok()) return Fail(s);
  ss::VerifyReport report;
  if (!(s = store->Verify(&report)).ok()) return Fail(s);
  for (const std::string& m : report.mismatches) std::cout << m << "\n";
  std::cout << "verified " << report.sessions_checked << " sessions, " << report.traces_checked
            << " traces: " << report.mismatches.size() << " problems\n";
  return report.mismatches.empty() ? kExitOk : kExitRejected;
}

int RunGenerate(const ss::WorkloadOptions& opts, const std::string& output) {
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (!output.empty() && output != "-") {
    file.open(output, std::ios::binary | std::ios::trunc);
    if (!file) {
      std::cerr << "sessionstore: cannot write " << output << "\n";
      return kExitError;
    }
    out = &file;
  }
  ss::WorkloadGenerator gen(opts);
  ss::Trace t;
  std::string line;
  while (gen.Next(&t)) {
    line.clear();
    ss::AppendTraceJson(t, &line);
    line.push_back('\n');
    out->write(line.data(), static_cast<std::streamsize>(line.size()));
  }
  out->flush();
  if (!*out) {
    std::cerr << "sessionstore: write failed\n";
    return kExitError;
  }
  return kExitOk;
}

CLI::App* AddSessionsCommand(CLI::App* app, SessionsArgs* sl) {
  auto* cmd = app->add_subcommand("sessions", "List sessions (default: newest activity first)");
  cmd->add_option("--from", sl->from, "Window start (RFC 3339 or ns)");
  cmd->add_option("--to", sl->to, "Window end, exclusive");
  cmd->add_option("--user", sl->user, "Only this user's sessions");
  std::vector<std::string> order_names;
  for (const auto& o : kOrderNames) order_names.push_back(o.first);
  cmd->add_option("--order", sl->order, "Sort key, largest first")
      ->check(CLI::IsMember(order_names))
      ->capture_default_str();
  cmd->add_flag("--asc", sl->ascending, "Smallest first");
  cmd->add_option("--limit", sl->limit, "Sessions per page (1 to 100000)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}))
      ->capture_default_str();
  cmd->add_option("--cursor", sl->cursor, "Cursor from the previous page");
  cmd->add_flag("--json", sl->json, "Print JSON");
  return cmd;
}

CLI::App* AddGenerateCommand(CLI::App* app, ss::WorkloadOptions* gen, std::string* output) {
  auto* cmd = app->add_subcommand("generate", "Write a seeded synthetic workload (JSON Lines)");
  cmd->add_option("--traces", gen->traces, "Distinct traces")->capture_default_str();
  cmd->add_option("--sessions", gen->sessions, "Sessions")->capture_default_str();
  cmd->add_option("--users", gen->users, "Users")->capture_default_str();
  cmd->add_option("--seed", gen->seed, "Random seed")->capture_default_str();
  cmd->add_option("--payload-bytes", gen->mean_payload_bytes, "Mean input/output size")
      ->capture_default_str();
  cmd->add_option("-o,--output", *output, "Output file (default stdout)");
  return cmd;
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"sessionstore: an embedded store of LLM-observability sessions"};
  app.require_subcommand(1);
  app.fallthrough();  // Global options also after the subcommand: `ingest f.jsonl --db d`.
  std::string db = "./sessionstore-data";
  app.add_option("--db", db, "Store directory")->capture_default_str();
  app.add_flag("--recover", g_open_flags.recover,
               "Open a store whose write-ahead log is damaged, dropping every write after "
               "the damage (only after an open failed with Corruption naming a .log)");

  IngestArgs ingest;
  auto* ingest_cmd = app.add_subcommand("ingest", "Ingest JSON Lines traces from files or stdin");
  ingest_cmd->add_option("files", ingest.files, "Input files ('-' or none: stdin)");
  ingest_cmd->add_option("--batch", ingest.batch, "Traces per write batch")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  ingest_cmd->add_flag("--quiet", ingest.quiet, "No progress line");
  ingest_cmd->add_flag("--sync", ingest.sync, "Fsync every batch");

  std::string id;
  bool json = false;
  auto* session_cmd = app.add_subcommand("session", "Show one session's aggregate");
  session_cmd->add_option("id", id, "Session id")->required();
  session_cmd->add_flag("--json", json, "Print JSON");

  TimelineArgs tl;
  auto* timeline_cmd = app.add_subcommand("timeline", "List a session's traces in time order");
  timeline_cmd->add_option("id", id, "Session id")->required();
  timeline_cmd->add_option("--from", tl.from, "Window start (RFC 3339 or ns)");
  timeline_cmd->add_option("--to", tl.to, "Window end, exclusive");
  timeline_cmd->add_option("--limit", tl.limit, "Traces per page (1 to 1000000)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}))
      ->capture_default_str();
  timeline_cmd->add_option("--cursor", tl.cursor, "Cursor from the previous page");
  timeline_cmd->add_flag("--desc", tl.descending, "Newest first");
  timeline_cmd->add_flag("--json", tl.json, "Print JSON");

  auto* trace_cmd = app.add_subcommand("trace", "Show one trace with its spans");
  trace_cmd->add_option("id", id, "Trace id")->required();
  trace_cmd->add_flag("--json", json, "Print JSON (ingest format)");

  SessionsArgs sl;
  auto* sessions_cmd = AddSessionsCommand(&app, &sl);

  auto* compact_cmd =
      app.add_subcommand("compact", "Compact every column family; print disk bytes before/after");
  auto* stats_cmd = app.add_subcommand("stats", "Store size and counters");
  stats_cmd->add_flag("--json", json, "Print JSON");

  auto* verify_cmd =
      app.add_subcommand("verify", "Recompute every aggregate from the traces; list mismatches");

  ss::WorkloadOptions gen;
  std::string output;
  auto* gen_cmd = AddGenerateCommand(&app, &gen, &output);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // Prints help or the error.
    return code == 0 ? kExitOk : kExitError;
  }

  if (*ingest_cmd) return RunIngest(db, ingest);
  if (*session_cmd) return RunSession(db, id, json);
  if (*timeline_cmd) return RunTimeline(db, id, tl);
  if (*trace_cmd) return RunTrace(db, id, json);
  if (*sessions_cmd) return RunSessions(db, sl);
  if (*stats_cmd) return RunStats(db, json);
  if (*compact_cmd) return RunCompact(db);
  if (*verify_cmd) return RunVerify(db);
  if (*gen_cmd) return RunGenerate(gen, output);
  return kExitError;
}

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {  // bad_alloc on a huge line, ...
    std::cerr << "sessionstore: " << e.what() << "\n";
    return kExitError;
  }
}
