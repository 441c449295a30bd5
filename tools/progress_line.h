// Copyright sessionstore authors.
//
// Progress for the CLI's long-running commands: one status line on a
// terminal, redrawn in place ("\r") at most once per interval and erased
// when the command is done. Nothing is drawn when the stream is not a
// terminal (a pipe, a file, a CI log) or the user asked for quiet, so
// scripts never see it.
//
//   ProgressLine    the line itself, updated by the command as it counts
//                   (ingest: lines, lines/s, MB/s).
//   ElapsedProgress for a single blocking call that reports no counts
//                   (verify, compact, delete, backup, restore, search):
//                   "<what>: 12s", redrawn by its own thread.

#ifndef SESSIONSTORE_TOOLS_PROGRESS_LINE_H_
#define SESSIONSTORE_TOOLS_PROGRESS_LINE_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace sessionstore {

// Thread safety: not thread-safe; one thread calls every method.
class ProgressLine {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // Draws on `out` (not owned; must outlive the line) only if `out` is a
  // terminal and not `quiet`. `clock`: the time source (empty:
  // steady_clock::now). The first draw comes one `interval` after
  // construction, so a command that ends sooner draws nothing.
  ProgressLine(std::FILE* out, bool quiet, Clock clock = nullptr,
               std::chrono::milliseconds interval = std::chrono::seconds(1));
  // Erases the line (Finish).
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // Whether this line draws at all (a terminal, not quiet).
  bool enabled() const { return enabled_; }
  // Seconds since construction, by the clock.
  double ElapsedSeconds() const;
  // True when Update would draw now: enabled, and one interval has passed
  // since construction or the last draw. Lets a caller skip formatting.
  bool Due() const;
  // Redraws the line as `text` (one line: no line breaks) if Due(), padding
  // over the rest of a longer previous text; returns whether it drew.
  bool Update(std::string_view text);
  // Erases the drawn line, if any, leaving the cursor at the start of the
  // line for what the command prints next. Idempotent.
  void Finish();

  // "7s", "3m04s", "2h05m": a whole elapsed time, for progress text.
  static std::string FormatElapsed(double seconds);

 private:
  std::chrono::steady_clock::time_point Now() const;

  std::FILE* const out_;
  const bool enabled_;
  const Clock clock_;
  const std::chrono::milliseconds interval_;
  const std::chrono::steady_clock::time_point begin_;
  std::chrono::steady_clock::time_point last_draw_;
  std::size_t drawn_width_ = 0;  // Bytes of the text on screen; 0: nothing.
};

// Thread safety: construct and destroy on one thread; the drawing thread is
// internal.
class ElapsedProgress {
 public:
  // Draws "<what>: <elapsed>" on `out` (as ProgressLine: a terminal only,
  // not `quiet`) once per `interval` from a thread of its own, started only
  // when the line is enabled. `out` must outlive this.
  explicit ElapsedProgress(std::string what, bool quiet = false, std::FILE* out = stderr,
                           std::chrono::milliseconds interval = std::chrono::seconds(1));
  // Stops the thread and erases the line.
  ~ElapsedProgress();
  ElapsedProgress(const ElapsedProgress&) = delete;
  ElapsedProgress& operator=(const ElapsedProgress&) = delete;

 private:
  void Loop();

  const std::string what_;
  const std::chrono::milliseconds interval_;
  ProgressLine line_;  // Used by thread_ only, until it is joined.
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // Guarded by mu_.
  std::thread thread_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_PROGRESS_LINE_H_
