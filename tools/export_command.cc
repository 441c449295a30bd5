// Copyright sessionstore authors.

#include "tools/export_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>

#include "sessionstore/json_writer.h"
#include "sessionstore/store.h"
#include "tools/cli_common.h"
#include "tools/query_args.h"
#include "tools/session_exporter.h"

namespace sessionstore::cli {

namespace {

// The block cache of the store export opens. It reads every block once, so
// the default cache (256 MiB) would only fill up: on a 200K-trace store
// peak RSS was 379 MB with it, 120 MB with 8 MiB, 146 MB with 32 MiB, and
// the time within the noise of the machine (README.md, "Export").
constexpr std::size_t kExportBlockCacheBytes = 16u << 20;

// Where the export goes: stdout, or FILE written as FILE.tmp and renamed
// over FILE by Commit, so that FILE is never half-written. The temporary
// file is removed unless committed.
class ExportOutput {
 public:
  ExportOutput() = default;
  ExportOutput(const ExportOutput&) = delete;
  ExportOutput& operator=(const ExportOutput&) = delete;
  ~ExportOutput() {
    if (!path_.empty() && !committed_) std::remove(tmp_.c_str());
  }

  // `path` empty or "-": stdout. IOError if FILE.tmp cannot be created.
  Status Open(const std::string& path) {
    if (path.empty() || path == "-") return Status::OK();
    path_ = path;
    tmp_ = path + ".tmp";
    file_.open(tmp_, std::ios::binary | std::ios::trunc);
    if (!file_) return Status::IOError("cannot write " + tmp_ + ": " + std::strerror(errno));
    return Status::OK();
  }
  bool to_stdout() const { return path_.empty(); }
  // The destination as the summary names it: FILE, or "-" for stdout.
  const std::string& name() const { return path_.empty() ? kStdout : path_; }
  // The file written, as error messages name it.
  std::string written() const { return path_.empty() ? "stdout" : tmp_; }
  std::ostream* stream() { return to_stdout() ? &std::cout : &file_; }

  // Flushes; for a file also syncs it and renames it over FILE.
  Status Commit() {
    if (to_stdout()) {
      std::cout.flush();
      return std::cout ? Status::OK() : Status::IOError("export: writing stdout failed");
    }
    file_.close();
    if (file_.fail()) return Status::IOError("export: writing " + tmp_ + " failed");
    const int fd = ::open(tmp_.c_str(), O_RDONLY);
    const bool synced = fd >= 0 && ::fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    if (!synced)
      return Status::IOError("export: cannot sync " + tmp_ + ": " + std::strerror(errno));
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
      return Status::IOError("export: cannot rename " + tmp_ + " to " + path_ + ": " +
                             std::strerror(errno));
    }
    committed_ = true;
    return Status::OK();
  }

 private:
  inline static const std::string kStdout = "-";
  std::string path_, tmp_;
  std::ofstream file_;
  bool committed_ = false;
};

// The progress line on stderr, rewritten at most about once a second, only
// when stderr is a terminal.
class ExportProgress {
 public:
  ExportProgress() : enabled_(isatty(STDERR_FILENO) != 0) {}

  void Update(const ExportCounts& c) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::seconds(1)) return;
    last_ = now;
    printed_ = true;
    std::fprintf(stderr, "\r%zu sessions, %zu traces exported, %.0f traces/s ", c.sessions,
                 c.traces, c.traces / Seconds());
  }
  // Ends the line, if one was printed.
  void Finish() {
    if (printed_) std::fprintf(stderr, "\n");
    printed_ = false;
  }
  double Seconds() const {
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin_).count();
    return s > 0 ? s : 1e-9;
  }

 private:
  const bool enabled_;
  bool printed_ = false;
  const std::chrono::steady_clock::time_point begin_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = begin_;
};

// The summary line, as text or JSON.
std::string Summary(const ExportCounts& c, double seconds, const std::string& output, bool json) {
  if (json) {
    std::string out;
    {
      JsonObjectWriter w(&out);
      w.Int("sessions", static_cast<int64_t>(c.sessions));
      w.Int("traces", static_cast<int64_t>(c.traces));
      w.Int("bytes", static_cast<int64_t>(c.bytes));
      char secs[32];
      std::snprintf(secs, sizeof(secs), "%.3f", seconds);
      w.Raw("seconds", secs);
      w.String("output", output);
    }
    return out + "\n";
  }
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "exported %zu sessions, %zu traces (%.1f MB) in %.2fs: %.0f traces/s, to ",
                c.sessions, c.traces, c.bytes / 1e6, seconds, c.traces / seconds);
  return buf + (output == "-" ? std::string("stdout") : output) + "\n";
}

// Checks the arguments and fills *window for a window export; an
// InvalidArgument status names what is wrong.
Status CheckArgs(const ExportArgs& a, ExportWindowSpec* window) {
  const bool windowed = !a.from.empty() || !a.to.empty() || !a.user.empty();
  if (!a.session.empty()) {
    if (windowed) {
      return Status::InvalidArgument("export: a session ID takes no --from, --to or --user");
    }
    return Status::OK();
  }
  if (a.from.empty() || a.to.empty()) {
    return Status::InvalidArgument("export: give a session ID, or a window: --from T --to T");
  }
  if (!ParseTimeArg(a.from, &window->from_ns) || !ParseTimeArg(a.to, &window->to_ns)) {
    return Status::InvalidArgument("--from/--to: expected RFC 3339 or nanoseconds");
  }
  if (window->from_ns >= window->to_ns) {
    return Status::InvalidArgument("export: --from must be before --to");
  }
  window->user_id = a.user;
  return Status::OK();
}

}  // namespace

void AddExportCommand(CLI::App* app, ExportArgs* a) {
  auto* cmd = app->add_subcommand(
      "export",
      "Export sessions in the ingest format: one session (ID) as a JSON document "
      "{\"session\":...,\"traces\":[...]}, or every trace of the sessions active in a window "
      "(--from/--to) as JSON Lines, each session whole; traces without a session are not "
      "exported");
  cmd->add_option("id", a->session, "Session id (or give --from and --to)");
  cmd->add_option("--from", a->from, "Window start (RFC 3339 or ns)");
  cmd->add_option("--to", a->to, "Window end, exclusive");
  cmd->add_option("--user", a->user, "With a window: only this user's sessions");
  cmd->add_option("-o,--output", a->output,
                  "Output file, written as FILE.tmp and renamed when complete (default stdout)");
  cmd->add_flag("--json", a->json, "Print the summary line as JSON (the export is JSON anyway)");
  a->command = cmd;
}

int RunExportCommand(const std::string& db, const ExportArgs& a) {
  ExportWindowSpec window;
  Status s = CheckArgs(a, &window);
  if (!s.ok()) return Fail(s);
  std::unique_ptr<Store> store;
  if (!(s = OpenStore(db, true, &store, kExportBlockCacheBytes)).ok()) return Fail(s);
  ExportOutput output;
  if (!(s = output.Open(a.output)).ok()) return Fail(s);
  ExportProgress progress;
  ExportOptions options;
  options.output_name = output.written();
  options.on_progress = [&progress](const ExportCounts& c) { progress.Update(c); };
  SessionExporter exporter(store.get(), output.stream(), options);
  s = a.session.empty() ? exporter.ExportWindow(window) : exporter.ExportSession(a.session);
  progress.Finish();
  if (s.ok()) s = output.Commit();
  if (!s.ok()) return Fail(s);
  const std::string summary = Summary(exporter.counts(), progress.Seconds(), output.name(), a.json);
  std::fputs(summary.c_str(), output.to_stdout() ? stderr : stdout);
  return kExitOk;
}

}  // namespace sessionstore::cli
