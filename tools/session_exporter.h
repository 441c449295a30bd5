// Copyright sessionstore authors.
//
// SessionExporter: `sessionstore export`'s work, on the public API only.
// It writes sessions in the ingest format (sessionstore/json.h), so that
// ingesting an export into an empty store gives back the same sessions:
//
// - One session (ExportSession): one JSON document
//     {"session":<the object `session ID --json` prints>,"traces":[
//     <trace>,
//     <trace>
//     ]}
//   with each trace on its own line, in start order.
// - A window (ExportWindow): JSON Lines, one trace per line, of every
//   session active in the window (ListSessions: first trace before its end,
//   last trace at or after its start), each session whole (its traces
//   outside the window too, or its aggregate would not come back), session
//   after session by last activity, oldest first, each in start order.
//   Traces without a session are not exported.
//
// Memory: at most one page of sessions and one page of traces at a time
// (ExportOptions), whatever the size of the store; ExportSession also holds
// the session's detail (`session --json`: one small row per trace).
//
// Thread safety: one exporter per thread; the Store may be shared.

#ifndef SESSIONSTORE_TOOLS_SESSION_EXPORTER_H_
#define SESSIONSTORE_TOOLS_SESSION_EXPORTER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

#include "sessionstore/store.h"

namespace sessionstore {

// What an export has written so far.
struct ExportCounts {
  std::size_t sessions = 0;  // Sessions started (their traces may still be coming).
  std::size_t traces = 0;
  uint64_t bytes = 0;  // Bytes written to the output.
};

struct ExportOptions {
  // Sessions per ListSessions page. Default: 100.
  std::size_t sessions_per_page = 100;
  // Traces per Timeline page: the most traces held at once. Default: 256.
  std::size_t traces_per_page = 256;
  // What write errors call the output. Default: "the output".
  std::string output_name = "the output";
  // Called after every page of traces is written, with the running counts.
  // Default: none.
  std::function<void(const ExportCounts&)> on_progress;
};

// The sessions ExportWindow writes: those active in [from_ns, to_ns),
// optionally only one user's (ListSessionsOptions::user_id).
struct ExportWindowSpec {
  int64_t from_ns = kMinTime;
  int64_t to_ns = kMaxTime;
  std::string user_id;  // Empty: every user's.
};

// Appends the JSON object `sessionstore session ID --json` prints: the
// aggregate (GetSession) and its detail (ComputeSessionDetail, one read of
// the timeline). NotFound if the session has no trace; else errors as
// Store::Timeline.
Status AppendSessionDetailJson(Store* store, std::string_view session_id, std::string* out);

class SessionExporter {
 public:
  // `store` and `out` are not owned and must outlive the exporter.
  SessionExporter(Store* store, std::ostream* out, ExportOptions options = ExportOptions());

  // Writes one session's document (see above). NotFound, with nothing
  // written, if the session has no trace; IOError if `out` fails; else
  // errors as Store::Timeline.
  Status ExportSession(std::string_view session_id);

  // Writes the window's sessions as JSON Lines (see above); an empty window
  // writes nothing. InvalidArgument if from_ns >= to_ns; IOError if `out`
  // fails; else errors as Store::ListSessions and Store::Timeline.
  Status ExportWindow(const ExportWindowSpec& window);

  // Returns what has been written so far (also after an error).
  const ExportCounts& counts() const { return counts_; }

 private:
  // How WriteTraces lays out the traces: one per line (JSON Lines), or the
  // members of a JSON array, each on its own line.
  enum class Layout { kLines, kArray };
  // Writes every trace of the session in start order, in the ingest format,
  // one Timeline page at a time.
  Status WriteTraces(std::string_view session_id, Layout layout);
  // Writes `text` to the output; IOError if the stream fails.
  Status Write(std::string_view text);

  Store* const store_;
  std::ostream* const out_;
  const ExportOptions options_;
  ExportCounts counts_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_SESSION_EXPORTER_H_
