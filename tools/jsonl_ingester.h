// Copyright sessionstore authors.
//
// JsonlIngester: `sessionstore ingest`'s work. Reads JSON Lines in bounded
// memory (LineReader), parses them into batches, writes each batch with
// Store::Ingest, and reports every rejected line as `file:line: reason`, in
// line order, while the good lines land.
//
// Two threads: the caller's reads and parses the next batch while a writer
// thread of the ingester writes the previous one (parsing is about a
// quarter of an ingest's work on the calling thread; bench/README.md,
// "Parsing beside the write"). Rejected lines, the progress line and the
// totals are printed by the writer, batch after batch, so the report keeps
// line order.
//
// Thread safety: one ingester per thread (its writer thread is internal).

#ifndef SESSIONSTORE_TOOLS_JSONL_INGESTER_H_
#define SESSIONSTORE_TOOLS_JSONL_INGESTER_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <istream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
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
  // A batch is handed to the writer early once its lines hold this many
  // bytes, so memory stays bounded whatever the line sizes (at most three
  // batches live: one parsed, one waiting, one being written)...
  static constexpr std::size_t kMaxBatchBytes = 64u << 20;
  // ... or once this many rejected lines wait for it to be written.
  static constexpr std::size_t kMaxHeldErrors = 10000;

  // `store` is not owned and must outlive the ingester. Starts the writer
  // thread.
  JsonlIngester(Store* store, const JsonlIngestOptions& options);
  // Writes the batches already handed to the writer (not the pending one:
  // that needs Flush), then stops the writer thread.
  ~JsonlIngester();

  JsonlIngester(const JsonlIngester&) = delete;
  JsonlIngester& operator=(const JsonlIngester&) = delete;

  // Ingests every line of `in`, named `file` in messages (which must outlive
  // the ingester's next Flush), handing full batches to the writer. Returns
  // false with *status set when the store failed on an earlier batch (the
  // batches after the failed one are not written); bad lines are only
  // reported.
  bool IngestStream(const std::string& file, std::istream* in, Status* status);
  // Hands the pending batch to the writer and waits until every batch
  // handed over is written and its rejected lines printed. Returns the
  // store's error if a write failed.
  Status Flush();
  // Erases the progress line, prints the totals to stdout; returns whether
  // no line was rejected. Call after Flush.
  bool Finish();
  // Bytes of input read so far (lines and their newlines). Call from the
  // thread that calls IngestStream.
  std::size_t bytes_read() const { return bytes_; }

 private:
  struct LineRef {
    const std::string* file;
    std::size_t line;
  };
  // What one Store::Ingest call writes, and the lines it reports.
  struct Batch {
    std::vector<Trace> traces;
    std::vector<LineRef> refs;                            // Line of each trace.
    std::vector<std::pair<LineRef, std::string>> errors;  // Parse errors, then rejections.
    std::size_t json_bytes = 0;                           // JSON bytes of `traces`.
    std::size_t lines_read = 0;  // Lines read up to this batch's end (progress).
    std::size_t bytes_read = 0;  // Bytes read up to this batch's end (progress).
  };

  double Seconds() const;
  // Parses one line into the pending batch, or records it as rejected.
  void AddLine(const LineRef& ref, const std::string& line, std::size_t length, bool oversize);
  // Waits for the writer's slot, then gives it the pending batch (if it has
  // lines). Returns the writer's error, if any.
  Status Hand();
  // The writer thread: writes each handed batch, then prints its report.
  void WriterLoop();
  Status Write(Batch* batch);
  void PrintErrors(Batch* batch);

  Store* const store_;
  const JsonlIngestOptions options_;
  const std::chrono::steady_clock::time_point begin_ = std::chrono::steady_clock::now();

  // The calling thread's side.
  std::size_t lines_ = 0, bytes_ = 0;
  Batch pending_;

  // Shared with the writer, under mu_.
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Batch> handed_;  // The batch the writer takes next.
  bool writing_ = false;         // The writer holds a batch.
  bool stop_ = false;
  Status failure_;  // The first failed write; later batches are dropped.

  // The writer thread's, read by the caller only after Flush.
  ProgressLine progress_;  // On stderr: lines, lines/s, MB/s.
  IngestResult total_;
  std::size_t rejected_ = 0;

  std::thread writer_;  // Last: started once every member is ready.
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_JSONL_INGESTER_H_
