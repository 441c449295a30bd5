// Copyright sessionstore authors.

#include "tools/sessions_command.h"

#include <iostream>
#include <memory>
#include <vector>

#include "sessionstore/store.h"
#include "sessionstore/time_format.h"
#include "tools/cli_common.h"
#include "tools/output_json.h"
#include "tools/table_printer.h"

namespace sessionstore::cli {

namespace {

void AddFilterOptions(CLI::App* cmd, SessionFilterArgs* f) {
  cmd->add_option("--search", f->search,
                  "Session id or name contains TEXT (case-insensitive, Unicode simple folding)");
  cmd->add_option("--tag", f->tags, "A trace of the session carries this tag (repeatable: all)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--model", f->model, "A call to this model");
  cmd->add_flag("--errors", f->errors, "Only sessions with an error trace");
  cmd->add_option("--min-cost", f->min_cost, "Cost at least USD");
  cmd->add_option("--max-cost", f->max_cost, "Cost at most USD");
  cmd->add_option("--min-tokens", f->min_tokens, "Total tokens at least");
  cmd->add_option("--max-tokens", f->max_tokens, "Total tokens at most");
  cmd->add_option("--min-traces", f->min_traces, "Traces at least");
  cmd->add_option("--max-traces", f->max_traces, "Traces at most");
  cmd->add_option("--min-duration", f->min_duration, "Duration at least (90s, 5m, 2h or ms)");
  cmd->add_option("--max-duration", f->max_duration, "Duration at most (90s, 5m, 2h or ms)");
}

}  // namespace

void AddSessionsCommand(CLI::App* app, SessionsArgs* a) {
  auto* cmd = app->add_subcommand("sessions", "List sessions (default: newest activity first)");
  a->command = cmd;
  cmd->add_option("--from", a->from, "Window start (RFC 3339 or ns)");
  cmd->add_option("--to", a->to, "Window end, exclusive");
  cmd->add_option("--user", a->user, "Only this user's sessions");
  AddFilterOptions(cmd, &a->filters);
  std::vector<std::string> order_names;
  for (const auto& o : SessionOrderNames()) order_names.push_back(o.first);
  cmd->add_option("--order", a->order, "Sort key, largest first")
      ->check(CLI::IsMember(order_names))
      ->capture_default_str();
  cmd->add_flag("--asc", a->ascending, "Smallest first");
  cmd->add_option("--limit", a->limit, "Sessions per page (1 to 100000)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}))
      ->capture_default_str();
  cmd->add_option("--cursor", a->cursor, "Cursor from the previous page");
  cmd->add_flag("--json", a->json, "Print JSON");
}

int RunSessionsCommand(const std::string& db, const SessionsArgs& a) {
  ListSessionsOptions opts;
  if ((!a.from.empty() && !ParseTimeArg(a.from, &opts.from_ns)) ||
      (!a.to.empty() && !ParseTimeArg(a.to, &opts.to_ns))) {
    return Fail(Status::InvalidArgument("--from/--to: expected RFC 3339 or nanoseconds"));
  }
  Status s = ApplySessionFilters(a.filters, "--", &opts);
  if (!s.ok()) return Fail(s);
  opts.user_id = a.user;
  ParseSessionOrder(a.order, &opts.order);  // Checked by CLI11.
  opts.descending = !a.ascending;
  opts.limit = a.limit;
  opts.cursor = a.cursor;
  std::unique_ptr<Store> store;
  if (!(s = OpenStore(db, true, &store)).ok()) return Fail(s);
  SessionPage page;
  if (!(s = store->ListSessions(opts, &page)).ok()) return Fail(s);
  if (a.json) {
    std::string out;
    AppendSessionPageJson(page.sessions, page.next_cursor, &out);
    std::cout << out << "\n";
    return kExitOk;
  }
  TablePrinter t({"last activity", "session", "user", "traces", "errors", "tokens", "cost",
                  "duration", "last output"});
  for (const SessionSummary& x : page.sessions) {
    t.AddRow({FormatTime(x.last_trace_at_ns), x.session_id, x.user_id,
              std::to_string(x.trace_count), std::to_string(x.error_count),
              std::to_string(x.total_tokens), FormatUsd(x.cost_nano_usd),
              FormatDurationNs(x.duration_ns), Ellipsize(x.last_output.value, 40)});
  }
  t.Print(std::cout);
  if (!page.next_cursor.empty()) std::cout << "\nnext page: --cursor " << page.next_cursor << "\n";
  return kExitOk;
}

}  // namespace sessionstore::cli
