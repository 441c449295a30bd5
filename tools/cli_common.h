// Copyright sessionstore authors.
//
// What every `sessionstore` command shares: exit codes, error printing,
// the global open flags (--recover, --retention) and the store opener.
//
// Thread safety: the CLI is single-threaded; g_open_flags is set once
// while parsing.

#ifndef SESSIONSTORE_TOOLS_CLI_COMMON_H_
#define SESSIONSTORE_TOOLS_CLI_COMMON_H_

#include <cstdint>
#include <memory>
#include <string>

#include "sessionstore/store.h"

namespace sessionstore::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRejected = 1;  // Some input was rejected, or verify found problems.
inline constexpr int kExitError = 2;     // The command could not run.

// Prints "sessionstore: <status>" to stderr; returns kExitRejected for
// NotFound, else kExitError.
int Fail(const Status& s);

// Global options that change how every command opens the store.
struct OpenFlags {
  bool recover = false;        // --recover: Options::recover_damaged_wal.
  int64_t retention_ns = 0;    // --retention: Options::retention_ns (writable opens).
  bool follow_writer = false;  // --read-only: Options::follow_writer (query commands).
  int background_jobs = 0;     // --background-jobs: Options::background_jobs; 0: its default.
};
extern OpenFlags g_open_flags;

// Store::Open that warns on stderr when replaying the store's write-ahead
// log dropped writes (a torn tail, or --recover past damage).
Status OpenWithWarning(const Options& options, const std::string& dir,
                       std::unique_ptr<Store>* store);

// Opens an existing store (never creates one) with the global flags.
Status OpenStore(const std::string& dir, bool read_only, std::unique_ptr<Store>* store);

// As above, with `block_cache_bytes` of block cache instead of the default
// (Options::block_cache_bytes): a command that reads each block once (a scan
// of the whole store) keeps its memory small with a small cache.
Status OpenStore(const std::string& dir, bool read_only, std::unique_ptr<Store>* store,
                 std::size_t block_cache_bytes);

// Parses a duration: a positive integer with a unit (ms, s, m, h, d), or
// integer nanoseconds. False on anything else, zero, negative or overflow.
bool ParseDuration(const std::string& text, int64_t* ns);

}  // namespace sessionstore::cli

#endif  // SESSIONSTORE_TOOLS_CLI_COMMON_H_
