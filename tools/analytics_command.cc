// Copyright sessionstore authors.

#include "tools/analytics_command.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include "sessionstore/store.h"
#include "sessionstore/time_format.h"
#include "tools/cli_common.h"
#include "tools/output_json.h"
#include "tools/query_args.h"
#include "tools/table_printer.h"

namespace sessionstore::cli {

namespace {

std::string Fixed(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

// "n (r%)": a count of sessions and its share.
std::string CountAndRate(int64_t n, double rate) {
  return std::to_string(n) + " (" + Fixed(rate * 100, 1) + "%)";
}

// "mean / p50 / p90 / p99", each value printed by `format`.
template <typename Format>
std::string Quantiles(const Distribution& d, std::string mean, Format format) {
  return mean + " / " + format(d.p50) + " / " + format(d.p90) + " / " + format(d.p99);
}

std::vector<std::string> StatsRow(const std::string& label, const SessionStats& s) {
  auto count = [](int64_t v) { return std::to_string(v); };
  return {label,
          std::to_string(s.session_count),
          CountAndRate(s.error_sessions, s.error_session_rate),
          CountAndRate(s.goal_sessions, s.completion_rate),
          Quantiles(s.traces, Fixed(s.traces.mean, 1), count),
          Quantiles(s.duration_ns, FormatDurationNs(std::llround(s.duration_ns.mean)),
                    FormatDurationNs),
          Quantiles(s.cost_nano_usd, FormatUsd(std::llround(s.cost_nano_usd.mean)), FormatUsd),
          Quantiles(s.total_tokens, Fixed(s.total_tokens.mean, 1), count)};
}

void PrintTable(const AnalyticsReport& report, bool by_bucket) {
  TablePrinter t({by_bucket ? "first activity" : "sessions of", "sessions", "with errors",
                  "completed", "traces mean / p50 / p90 / p99", "duration mean / p50 / p90 / p99",
                  "cost mean / p50 / p90 / p99", "tokens mean / p50 / p90 / p99"});
  for (const auto& [start, stats] : report.buckets) t.AddRow(StatsRow(FormatTime(start), stats));
  t.AddRow(StatsRow(by_bucket ? "total" : "window", report.overall));
  t.Print(std::cout);
}

}  // namespace

void AddAnalyticsCommand(CLI::App* app, AnalyticsArgs* a) {
  auto* cmd = app->add_subcommand(
      "analytics",
      "Session count, error and completion rates, and traces, duration, cost and tokens per "
      "session (mean, p50, p90, p99) of the sessions active in a window");
  a->command = cmd;
  cmd->add_option("--from", a->from, "Window start (RFC 3339 or ns)");
  cmd->add_option("--to", a->to, "Window end, exclusive");
  cmd->add_option("--user", a->user, "Only this user's sessions");
  cmd->add_option("--tag", a->tags, "A trace of the session carries this tag (repeatable: all)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--goal-tag", a->goal_tag,
                  "A session is completed when one of its traces carries this tag")
      ->capture_default_str();
  cmd->add_option("--by", a->by, "Also per bucket of first activity (UTC)")
      ->check(CLI::IsMember({"day", "hour"}));
  cmd->add_flag("--json", a->json, "Print JSON");
}

int RunAnalyticsCommand(const std::string& db, const AnalyticsArgs& a) {
  AnalyticsOptions opts;
  if ((!a.from.empty() && !ParseTimeArg(a.from, &opts.from_ns)) ||
      (!a.to.empty() && !ParseTimeArg(a.to, &opts.to_ns))) {
    return Fail(Status::InvalidArgument("--from/--to: expected RFC 3339 or nanoseconds"));
  }
  if (!a.by.empty()) ParseBucketName(a.by, &opts.bucket_ns);  // Checked by CLI11.
  opts.user_id = a.user;
  opts.tags = a.tags;
  opts.goal_tag = a.goal_tag;
  std::unique_ptr<Store> store;
  Status s = OpenStore(db, true, &store);
  if (!s.ok()) return Fail(s);
  AnalyticsReport report;
  if (!(s = store->Analytics(opts, &report)).ok()) return Fail(s);
  if (a.json) {
    std::string out;
    AppendAnalyticsJson(report, &out);
    std::cout << out << "\n";
    return kExitOk;
  }
  PrintTable(report, opts.bucket_ns > 0);
  return kExitOk;
}

}  // namespace sessionstore::cli
