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
#include "tools/admin_commands.h"
#include "tools/analytics_command.h"
#include "tools/cli_common.h"
#include "tools/export_command.h"
#include "tools/ingest_command.h"
#include "tools/output_json.h"
#include "tools/query_args.h"
#include "tools/search_command.h"
#include "tools/server/serve_command.h"
#include "tools/session_detail.h"
#include "tools/sessions_command.h"
#include "tools/table_printer.h"
#include "tools/workload_generator.h"

namespace ss = sessionstore;

namespace {

using ss::cli::AddIngestCommand;
using ss::cli::Fail;
using ss::cli::g_open_flags;
using ss::cli::IngestArgs;
using ss::cli::kExitError;
using ss::cli::kExitOk;
using ss::cli::kExitRejected;
using ss::cli::OpenStore;
using ss::cli::RunIngest;

// Parses --from/--to into a [from, to) window; false on a bad time.
bool ParseWindow(const std::string& from, const std::string& to, int64_t* from_ns, int64_t* to_ns) {
  return (from.empty() || ss::ParseTimeArg(from, from_ns)) &&
         (to.empty() || ss::ParseTimeArg(to, to_ns));
}

// ----------------------------------------------------------------- reads --

void PrintSession(const ss::SessionSummary& s, const ss::SessionDetail& d) {
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
  if (d.latency.count > 0) {
    std::cout << "latency      p50 " << ss::FormatDurationNs(*d.latency.p50_ns) << ", p90 "
              << ss::FormatDurationNs(*d.latency.p90_ns) << ", p99 "
              << ss::FormatDurationNs(*d.latency.p99_ns) << " (" << d.latency.count
              << " traces with an end)\n";
  }
  if (d.longest_gap) {
    std::cout << "longest idle " << ss::FormatDurationNs(d.longest_gap->idle_ns) << " from "
              << ss::FormatTime(d.longest_gap->from_ns) << " (after trace "
              << d.longest_gap->after_trace_id << ")\n";
  }
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

void PrintUsage(const std::vector<ss::UsageRow>& usage) {
  ss::TablePrinter t({"start", "trace", "prompt", "completion", "cost", "latency", "cumulative"});
  for (const ss::UsageRow& r : usage) {
    t.AddRow({ss::FormatTime(r.start_ns), r.trace_id, std::to_string(r.prompt_tokens),
              std::to_string(r.completion_tokens), ss::FormatUsd(r.cost_nano_usd),
              r.latency_ns ? ss::FormatDurationNs(*r.latency_ns) : "-",
              ss::FormatUsd(r.cumulative_cost_nano_usd)});
  }
  t.Print(std::cout);
}

// `session ID [--usage] [--json]`: the aggregate plus the detail computed
// from the timeline (one read of every trace of the session).
int RunSession(const std::string& db, const std::string& id, bool json, bool usage) {
  std::unique_ptr<ss::Store> store;
  ss::Status s = OpenStore(db, true, &store);
  if (!s.ok()) return Fail(s);
  ss::SessionSummary summary;
  if (!(s = store->GetSession(id, &summary)).ok()) return Fail(s);
  ss::SessionDetail detail;
  if (!(s = ss::ComputeSessionDetail(store.get(), id, &detail)).ok()) return Fail(s);
  std::string out;
  if (usage && json) {
    ss::AppendUsageJson(id, detail.usage, &out);
  } else if (json) {
    ss::AppendSessionJson(summary, &out, &detail);
  } else if (usage) {
    PrintUsage(detail.usage);
  } else {
    PrintSession(summary, detail);
  }
  if (json) std::cout << out << "\n";
  return kExitOk;
}

struct TimelineArgs {
  std::string from, to, cursor;
  std::string gaps;  // --gaps DURATION; empty: no gap marks.
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
  std::vector<ss::IdleMark> marks;
  if (!a.gaps.empty()) {
    int64_t threshold = 0;
    if (!ss::cli::ParseDuration(a.gaps, &threshold)) {
      return Fail(ss::Status::InvalidArgument("--gaps: not a positive duration: " + a.gaps));
    }
    s = ss::MarkIdleGaps(store.get(), page.traces, a.descending, threshold, &marks);
    if (!s.ok()) return Fail(s);
  }
  if (a.json) {
    std::string out;
    ss::AppendTimelinePageJson(page.traces, page.next_cursor, &out,
                               marks.empty() ? nullptr : &marks);
    std::cout << out << "\n";
    return kExitOk;
  }
  ss::TablePrinter t(
      {"start", "trace", "name", "status", "duration", "tokens", "cost", "input", "output"});
  // A gap row sits between the two traces it separates: above the later
  // trace in start order, below it newest first.
  auto gap_row = [&](std::size_t i) {
    t.AddRow({"-- idle " + ss::FormatDurationNs(*marks[i].idle_before_ns) + " --", "", "", "", "",
              "", "", "", ""});
  };
  for (std::size_t i = 0; i < page.traces.size(); ++i) {
    const ss::Trace& tr = page.traces[i];
    if (!marks.empty() && marks[i].gap && !a.descending) gap_row(i);
    const ss::TraceUsage u = ss::ComputeTraceUsage(tr);
    t.AddRow({ss::FormatTime(tr.start_ns), tr.trace_id, tr.name, u.has_error ? "error" : "ok",
              ss::FormatDurationNs(u.effective_end_ns - u.effective_start_ns),
              std::to_string(u.total_tokens), ss::FormatUsd(u.cost_nano_usd),
              ss::Ellipsize(tr.input.value, 40), ss::Ellipsize(tr.output.value, 40)});
    if (!marks.empty() && marks[i].gap && a.descending) gap_row(i);
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

CLI::App* AddServeCommand(CLI::App* app, ss::ServeArgs* a) {
  auto* cmd = app->add_subcommand(
      "serve", "Serve OTLP/HTTP trace ingestion (POST /v1/traces) and the JSON query API");
  cmd->add_option("--listen", a->listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  cmd->add_option("--token-file", a->token_file,
                  "File holding the bearer token every request must carry (required when not "
                  "on loopback)");
  cmd->add_flag("--insecure", a->insecure, "Allow a non-loopback address without a token");
  cmd->add_option("--backup-dir", a->server.backup_dir,
                  "Directory where POST /v1/admin/backup adds a backup (incremental) of the store");
  cmd->add_option("--tls-cert", a->tls_cert,
                  "PEM certificate chain file: serve HTTPS (with --tls-key)");
  cmd->add_option("--tls-key", a->tls_key, "PEM private key file (unencrypted) of --tls-cert");
  cmd->add_flag("--sync", a->sync, "Fsync every ingest batch");
  cmd->add_option("--threads", a->server.threads, "Worker threads")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--header-timeout", a->server.header_timeout_s,
                  "Seconds a request's headers may take to arrive, however slowly they trickle "
                  "in; then the connection is closed")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  cmd->add_option("--max-body-bytes", a->server.max_body_bytes, "Largest request body as sent")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30))
      ->capture_default_str();
  cmd->add_option("--max-decompressed-bytes", a->server.max_decompressed_bytes,
                  "Largest request body after gzip decompression")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 31))
      ->capture_default_str();
  cmd->add_option("--max-pending-traces", a->server.group_commit.max_pending_traces,
                  "Traces waiting to be written above which POSTs get 503")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}))
      ->capture_default_str();
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

CLI::App* AddTimelineCommand(CLI::App* app, TimelineArgs* a, std::string* id) {
  auto* timeline_cmd = app->add_subcommand("timeline", "List a session's traces in time order");
  timeline_cmd->add_option("id", *id, "Session id")->required();
  timeline_cmd->add_option("--from", a->from, "Window start (RFC 3339 or ns)");
  timeline_cmd->add_option("--to", a->to, "Window end, exclusive");
  timeline_cmd->add_option("--limit", a->limit, "Traces per page (1 to 1000000)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}))
      ->capture_default_str();
  timeline_cmd->add_option("--cursor", a->cursor, "Cursor from the previous page");
  timeline_cmd->add_flag("--desc", a->descending, "Newest first");
  timeline_cmd
      ->add_option("--gaps", a->gaps,
                   "Mark idle gaps longer than DURATION between consecutive traces (90s, 30m, "
                   "2h; alone: 30m)")
      ->expected(0, 1)
      ->default_str("30m");
  timeline_cmd->add_flag("--json", a->json, "Print JSON");
  return timeline_cmd;
}

// The options every command takes (also after the subcommand).
void AddGlobalOptions(CLI::App* app, std::string* db, std::string* retention) {
  app->add_option("--db", *db, "Store directory")->capture_default_str();
  app->add_option("--retention", *retention,
                  "Keep traces this long (30d, 12h, 90m, 45s, or ns); older ones are deleted in "
                  "the background by every command that writes (default: forever)");
  app->add_flag("--read-only", g_open_flags.follow_writer,
                "Query commands: open as a secondary instance, to read a store another process "
                "(serve, an application) is writing; sees what it acknowledged before the open");
  app->add_flag("--recover", g_open_flags.recover,
                "Open a store whose write-ahead log is damaged, dropping every write after "
                "the damage (only after an open failed with Corruption naming a .log)");
  app->add_option("--background-jobs", g_open_flags.background_jobs,
                  "Flush and compaction threads of the store (2 to 256; default 2)")
      ->check(CLI::Range(2, 256));
}

// Says in every subcommand's --help where the global options are: CLI11
// lists only a subcommand's own options there.
void AddGlobalOptionsFooter(CLI::App* app) {
  for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) {
    sub->footer(
        "Global options, accepted before or after the subcommand: --db DIR, --retention "
        "DURATION, --read-only, --recover, --background-jobs N (see sessionstore --help)");
  }
}

}  // namespace

// Parses --retention into g_open_flags and refuses --read-only for a
// command that writes; false (with the message printed) on either error.
bool CheckGlobalFlags(const std::string& retention, bool writes) {
  if (!retention.empty() && !ss::cli::ParseDuration(retention, &g_open_flags.retention_ns)) {
    std::cerr << "sessionstore: --retention: not a positive duration (30d, 12h, 90m, 45s, 500ms "
                 "or ns): "
              << retention << "\n";
    return false;
  }
  if (g_open_flags.follow_writer && writes) {
    std::cerr << "sessionstore: --read-only: this command writes to the store\n";
    return false;
  }
  return true;
}

int Main(int argc, char** argv) {
  CLI::App app{"sessionstore: an embedded store of LLM-observability sessions"};
  app.require_subcommand(1);
  app.fallthrough();  // Global options also after the subcommand: `ingest f.jsonl --db d`.
  std::string db = "./sessionstore-data";
  std::string retention;
  AddGlobalOptions(&app, &db, &retention);

  IngestArgs ingest;
  auto* ingest_cmd = AddIngestCommand(&app, &ingest);

  std::string id;
  bool json = false;
  bool usage = false;
  auto* session_cmd = app.add_subcommand(
      "session", "Show one session's aggregate, latency percentiles and longest idle gap");
  session_cmd->add_option("id", id, "Session id")->required();
  session_cmd->add_flag("--json", json, "Print JSON");
  session_cmd->add_flag("--usage", usage, "Usage over time: one row per trace, in start order");

  TimelineArgs tl;
  auto* timeline_cmd = AddTimelineCommand(&app, &tl, &id);

  auto* trace_cmd = app.add_subcommand("trace", "Show one trace with its spans");
  trace_cmd->add_option("id", id, "Trace id")->required();
  trace_cmd->add_flag("--json", json, "Print JSON (ingest format)");

  ss::cli::SessionsArgs sl;
  ss::cli::AddSessionsCommand(&app, &sl);

  ss::cli::SearchArgs search;
  ss::cli::AddSearchCommand(&app, &search);
  ss::cli::ExportArgs export_args;
  ss::cli::AddExportCommand(&app, &export_args);

  ss::cli::AnalyticsArgs analytics;
  ss::cli::AddAnalyticsCommand(&app, &analytics);

  ss::cli::AdminCommands admin;
  ss::cli::AddAdminCommands(&app, &admin);

  ss::WorkloadOptions gen;
  std::string output;
  auto* gen_cmd = AddGenerateCommand(&app, &gen, &output);

  ss::ServeArgs serve;
  auto* serve_cmd = AddServeCommand(&app, &serve);

  AddGlobalOptionsFooter(&app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // Prints help or the error.
    return code == 0 ? kExitOk : kExitError;
  }

  if (!CheckGlobalFlags(retention, *ingest_cmd || *serve_cmd || *admin.compact || *admin.del)) {
    return kExitError;
  }
  if (*ingest_cmd) return RunIngest(db, ingest);
  if (*session_cmd) return RunSession(db, id, json, usage);
  if (*timeline_cmd) return RunTimeline(db, id, tl);
  if (*trace_cmd) return RunTrace(db, id, json);
  if (*sl.command) return ss::cli::RunSessionsCommand(db, sl);
  if (*search.command) return ss::cli::RunSearchCommand(db, search);
  if (*export_args.command) return ss::cli::RunExportCommand(db, export_args);
  if (*analytics.command) return ss::cli::RunAnalyticsCommand(db, analytics);
  if (admin.Chosen()) return ss::cli::RunAdminCommand(db, admin);
  if (*gen_cmd) return RunGenerate(gen, output);
  if (*serve_cmd) {
    serve.recover = g_open_flags.recover;
    serve.retention_ns = g_open_flags.retention_ns;
    serve.background_jobs = g_open_flags.background_jobs;
    return ss::RunServe(db, serve);
  }
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
