// Copyright sessionstore authors.

#include "tools/search_command.h"

#include <iostream>
#include <memory>

#include "sessionstore/store.h"
#include "sessionstore/time_format.h"
#include "tools/cli_common.h"
#include "tools/output_json.h"
#include "tools/progress_line.h"
#include "tools/query_args.h"
#include "tools/table_printer.h"

namespace sessionstore::cli {

void AddSearchCommand(CLI::App* app, SearchArgs* a) {
  auto* cmd = app->add_subcommand(
      "search",
      "Traces whose input or output contains TEXT (Unicode simple case folding), newest first");
  cmd->add_option("text", a->text, "Text to find")->required();
  cmd->add_option("--from", a->from, "Window start (RFC 3339 or ns)");
  cmd->add_option("--to", a->to, "Window end, exclusive");
  cmd->add_option("--session", a->session, "Only this session's traces");
  cmd->add_option("--user", a->user, "Only traces of this user");
  cmd->add_option("--limit", a->limit, "Traces per page (1 to 100000)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}))
      ->capture_default_str();
  cmd->add_option("--cursor", a->cursor, "Cursor from the previous page");
  cmd->add_flag("--json", a->json, "Print JSON");
  a->command = cmd;
}

int RunSearchCommand(const std::string& db, const SearchArgs& a) {
  SearchOptions opts;
  if ((!a.from.empty() && !ParseTimeArg(a.from, &opts.from_ns)) ||
      (!a.to.empty() && !ParseTimeArg(a.to, &opts.to_ns))) {
    return Fail(Status::InvalidArgument("--from/--to: expected RFC 3339 or nanoseconds"));
  }
  opts.session_id = a.session;
  opts.user_id = a.user;
  opts.limit = a.limit;
  opts.cursor = a.cursor;
  std::unique_ptr<Store> store;
  Status s = OpenStore(db, true, &store);
  if (!s.ok()) return Fail(s);
  SearchPage page;
  {
    // Without a session or a window a page may read every stored trace.
    const bool long_scan = a.session.empty() && a.from.empty() && a.to.empty();
    ElapsedProgress progress("searching", /*quiet=*/!long_scan);
    s = store->Search(a.text, opts, &page);
  }
  if (!s.ok()) return Fail(s);
  if (a.json) {
    std::string out;
    AppendSearchPageJson(page, &out);
    std::cout << out << "\n";
    return kExitOk;
  }
  TablePrinter t({"start", "session", "trace", "in", "snippet"});
  for (const SearchHit& h : page.hits) {
    t.AddRow({FormatTime(h.start_ns), h.session_id, h.trace_id, h.field, h.snippet});
  }
  t.Print(std::cout);
  if (!page.next_cursor.empty()) std::cout << "\nnext page: --cursor " << page.next_cursor << "\n";
  return kExitOk;
}

}  // namespace sessionstore::cli
