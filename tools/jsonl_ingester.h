// Copyright sessionstore authors.
//
// JsonlIngester: `sessionstore ingest`'s work. Reads JSON Lines in bounded
// memory (LineReader), parses them into batches, writes each batch with
// Store::Ingest, and reports every rejected line as `file:line: reason`, in
// line order, while the good lines land.
//
// Thread safety: one ingester per thread.

#ifndef SESSIONSTORE_TOOLS_JSONL_INGESTER_H_
#define SESSIONSTORE_TOOLS_JSONL_INGESTER_H_

#include <chrono>
#include <cstddef>
#include <istream>
#include <string>
#include <utility>
#include <vector>

#include "sessionstore/store.h"
#include "tools/progress_line.h"

namespace sessionstore {

struct JsonlIngestOptions {
  // Traces per Store::Ingest call. Default: 10000 (no caller waits on each
  // batch of a file; against 1000, fewer merge operands and
  // index updates per trace: bench/README.md, "Ingest batches").
  std::size_t batch = 10000;
  // Show a progress line on stderr (only when it is a terminal). Default: true.
  bool progress = true;
};

class JsonlIngester {
 public:
  // A line longer than a stored trace may be is skipped as it is read.
  static constexpr std::size_t kMaxLineBytes = kMaxTraceBytes;
  // A batch is written early once its lines hold this many bytes, so memory
  // stays bounded whatever the line sizes...
  static constexpr std::size_t kMaxBatchBytes = 64u << 20;
  // ... or once this many rejected lines wait for it to be written.
  static constexpr std::size_t kMaxHeldErrors = 10000;

  // `store` is not owned and must outlive the ingester.
  JsonlIngester(Store* store, const JsonlIngestOptions& options);

  // Ingests every line of `in`, named `file` in messages (which must outlive
  // the ingester's next Flush), writing full batches. Returns false with
  // *status set when the store fails; bad lines are only reported.
  bool IngestStream(const std::string& file, std::istream* in, Status* status);
  // Writes the pending batch and prints its rejected lines.
  Status Flush();
  // Erases the progress line, prints the totals to stdout; returns whether
  // no line was rejected.
  bool Finish();

 private:
  struct LineRef {
    const std::string* file;
    std::size_t line;
  };

  double Seconds() const;
  // Parses one line into the batch, or rejects it.
  void AddLine(const LineRef& ref, const std::string& line, std::size_t length, bool oversize);
  // A rejected line. Reported in line order: while a batch is pending,
  // parse errors wait for its ingest rejections.
  void Reject(const LineRef& ref, const Status& why);
  void PrintErrors();

  Store* const store_;
  const JsonlIngestOptions options_;
  ProgressLine progress_;  // On stderr: lines, lines/s, MB/s.
  const std::chrono::steady_clock::time_point begin_ = std::chrono::steady_clock::now();
  std::size_t lines_ = 0, bytes_ = 0, rejected_ = 0;
  IngestResult total_;
  std::vector<Trace> batch_;
  std::vector<LineRef> refs_;
  std::size_t batch_bytes_ = 0;                          // JSON bytes of the traces in batch_.
  std::vector<std::pair<LineRef, std::string>> errors_;  // Not yet printed.
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_JSONL_INGESTER_H_
