// Copyright sessionstore authors.
//
// `sessionstore export ID [-o FILE] [--json]`: one session as a JSON
// document {"session":...,"traces":[...]}.
// `sessionstore export --from T --to T [--user U] [-o FILE] [--json]`:
// every trace of the sessions active in the window, as JSON Lines in the
// ingest format (traces without a session are not exported).
// See SessionExporter (tools/session_exporter.h) for the formats and
// README.md, "Command line".
//
// The output goes to stdout, or with -o to FILE.tmp, renamed to FILE once
// complete (FILE is never left half-written). A summary line follows: on
// stdout with -o, else on stderr (stdout carries the export); `--json`
// prints it as a JSON object. A progress line on stderr, updated about once
// a second, when stderr is a terminal.
//
// Thread safety: single-threaded, as the CLI.

#ifndef SESSIONSTORE_TOOLS_EXPORT_COMMAND_H_
#define SESSIONSTORE_TOOLS_EXPORT_COMMAND_H_

#include <CLI/CLI.hpp>
#include <string>

namespace sessionstore::cli {

// The parsed arguments of `export`.
struct ExportArgs {
  CLI::App* command = nullptr;  // Set by AddExportCommand.
  std::string session, from, to, user, output;
  bool json = false;  // The summary line as JSON.
};

// Registers `export` on `app`, binding its arguments to *args, which must
// outlive the parse.
void AddExportCommand(CLI::App* app, ExportArgs* args);

// Runs `export` on the store in `db`; returns the exit code (kExitRejected
// for an unknown session, kExitError for bad arguments or a failed write).
int RunExportCommand(const std::string& db, const ExportArgs& args);

}  // namespace sessionstore::cli

#endif  // SESSIONSTORE_TOOLS_EXPORT_COMMAND_H_
