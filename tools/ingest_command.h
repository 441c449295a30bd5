// Copyright sessionstore authors.
//
// `sessionstore ingest [FILE...] [--format jsonl|otlp-json|otlp-proto]
// [--batch N] [--quiet] [--sync]`: JSON Lines traces (JsonlIngester) or OTLP
// export request bodies from files or stdin, with a progress line on a
// terminal.
//
// Thread safety: single-threaded, as the CLI.

#ifndef SESSIONSTORE_TOOLS_INGEST_COMMAND_H_
#define SESSIONSTORE_TOOLS_INGEST_COMMAND_H_

#include <CLI/CLI.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tools/jsonl_ingester.h"

namespace sessionstore::cli {

// The parsed arguments of `ingest`.
struct IngestArgs {
  std::vector<std::string> files;
  std::string format = "jsonl";  // jsonl, otlp-json or otlp-proto.
  std::size_t batch = JsonlIngestOptions().batch;
  bool quiet = false;
  bool sync = false;
  bool stats = false;  // Print the flushes' and compactions' work at the end.
  // Options::index_pending_bytes in MiB and Options::index_interval_ms;
  // 0: the option's default.
  std::size_t index_pending_mib = 0;
  uint32_t index_interval_ms = 0;
  // Options::index_hold_bytes in MiB; -1: the option's default.
  int64_t index_hold_mib = -1;
};

// Registers `ingest` on `app`, binding its arguments to *args, which must
// outlive the parse. Returns the subcommand.
CLI::App* AddIngestCommand(CLI::App* app, IngestArgs* args);

// Runs `ingest` into the store in `db` (created if missing), with the
// global open flags; returns the exit code (kExitRejected when some input
// was rejected).
int RunIngest(const std::string& db, const IngestArgs& args);

}  // namespace sessionstore::cli

#endif  // SESSIONSTORE_TOOLS_INGEST_COMMAND_H_
