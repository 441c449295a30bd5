// Copyright sessionstore authors.
//
// `sessionstore sessions [--from T] [--to T] [--user U] [--search TEXT]
// [--tag T]... [--model M] [--errors] [--min-/--max-cost USD]
// [--min-/--max-tokens N] [--min-/--max-traces N] [--min-/--max-duration D]
// [--order KEY] [--asc] [--limit N] [--cursor C] [--json]`: one page of
// Store::ListSessions, every filter combined with AND.
//
// Thread safety: single-threaded, as the CLI.

#ifndef SESSIONSTORE_TOOLS_SESSIONS_COMMAND_H_
#define SESSIONSTORE_TOOLS_SESSIONS_COMMAND_H_

#include <CLI/CLI.hpp>
#include <cstddef>
#include <string>

#include "tools/query_args.h"

namespace sessionstore::cli {

// The parsed arguments of `sessions`.
struct SessionsArgs {
  CLI::App* command = nullptr;  // Set by AddSessionsCommand.
  std::string from, to, user, cursor;
  SessionFilterArgs filters;
  std::string order = "last";
  bool ascending = false;
  std::size_t limit = 20;
  bool json = false;
};

// Registers `sessions` on `app`, binding its arguments to *args, which must
// outlive the parse.
void AddSessionsCommand(CLI::App* app, SessionsArgs* args);

// Runs `sessions` on the store in `db`; returns the exit code.
int RunSessionsCommand(const std::string& db, const SessionsArgs& args);

}  // namespace sessionstore::cli

#endif  // SESSIONSTORE_TOOLS_SESSIONS_COMMAND_H_
