// Copyright sessionstore authors.
//
// `sessionstore analytics [--from T] [--to T] [--user U] [--tag T]...
// [--goal-tag TAG] [--by day|hour] [--json]`: Store::Analytics over the
// sessions active in a window: session count, error-session and completion
// rates, and traces, duration, cost and tokens per session (mean, p50, p90,
// p99); with --by, the same per bucket of first activity. A table (one row
// for the window, or one per bucket and a total row), or JSON.
//
// Thread safety: single-threaded, as the CLI.

#ifndef SESSIONSTORE_TOOLS_ANALYTICS_COMMAND_H_
#define SESSIONSTORE_TOOLS_ANALYTICS_COMMAND_H_

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace sessionstore::cli {

// The parsed arguments of `analytics`.
struct AnalyticsArgs {
  CLI::App* command = nullptr;  // Set by AddAnalyticsCommand.
  std::string from, to, user;
  std::vector<std::string> tags;
  std::string goal_tag = "conversion";
  std::string by;  // "", "day" or "hour".
  bool json = false;
};

// Registers `analytics` on `app`, binding its arguments to *args, which
// must outlive the parse.
void AddAnalyticsCommand(CLI::App* app, AnalyticsArgs* args);

// Runs `analytics` on the store in `db`; returns the exit code.
int RunAnalyticsCommand(const std::string& db, const AnalyticsArgs& args);

}  // namespace sessionstore::cli

#endif  // SESSIONSTORE_TOOLS_ANALYTICS_COMMAND_H_
