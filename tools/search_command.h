// Copyright sessionstore authors.
//
// `sessionstore search TEXT [--from T] [--to T] [--session ID] [--user U]
// [--limit N] [--cursor C] [--json]`: traces whose input or output contains
// TEXT (Store::Search: Unicode simple case folding, newest first).
//
// Thread safety: single-threaded, as the CLI.

#ifndef SESSIONSTORE_TOOLS_SEARCH_COMMAND_H_
#define SESSIONSTORE_TOOLS_SEARCH_COMMAND_H_

#include <CLI/CLI.hpp>
#include <cstddef>
#include <string>

namespace sessionstore::cli {

// The parsed arguments of `search`.
struct SearchArgs {
  CLI::App* command = nullptr;  // Set by AddSearchCommand.
  std::string text, from, to, session, user, cursor;
  std::size_t limit = 20;
  bool json = false;
};

// Registers `search` on `app`, binding its arguments to *args, which must
// outlive the parse.
void AddSearchCommand(CLI::App* app, SearchArgs* args);

// Runs `search` on the store in `db`; returns the exit code.
int RunSearchCommand(const std::string& db, const SearchArgs& args);

}  // namespace sessionstore::cli

#endif  // SESSIONSTORE_TOOLS_SEARCH_COMMAND_H_
