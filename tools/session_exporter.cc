// Copyright sessionstore authors.

#include "tools/session_exporter.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include "sessionstore/json.h"
#include "tools/output_json.h"
#include "tools/session_detail.h"

namespace sessionstore {

namespace {

// Text is handed to the stream once this much has gathered (or at the end
// of a page), so a page of large traces is not copied twice.
constexpr std::size_t kWriteChunkBytes = 1u << 20;

}  // namespace

Status AppendSessionDetailJson(Store* store, std::string_view session_id, std::string* out) {
  // The same three steps as `session ID --json` (tools/sessionstore_main.cc,
  // RunSession); tests/cli/export_test.sh compares the two outputs.
  SessionSummary summary;
  Status s = store->GetSession(session_id, &summary);
  if (!s.ok()) return s;
  SessionDetail detail;
  if (!(s = ComputeSessionDetail(store, session_id, &detail)).ok()) return s;
  AppendSessionJson(summary, out, &detail);
  return Status::OK();
}

SessionExporter::SessionExporter(Store* store, std::ostream* out, ExportOptions options)
    : store_(store), out_(out), options_(std::move(options)) {}

Status SessionExporter::ExportSession(std::string_view session_id) {
  std::string head = "{\"session\":";
  Status s = AppendSessionDetailJson(store_, session_id, &head);
  if (!s.ok()) return s;
  head += ",\"traces\":[";
  ++counts_.sessions;
  if (!(s = Write(head)).ok() || !(s = WriteTraces(session_id, Layout::kArray)).ok()) return s;
  return Write("\n]}\n");
}

Status SessionExporter::ExportWindow(const ExportWindowSpec& window) {
  if (window.from_ns >= window.to_ns) {
    return Status::InvalidArgument("export window: --from must be before --to");
  }
  ListSessionsOptions list;
  list.from_ns = window.from_ns;
  list.to_ns = window.to_ns;
  list.user_id = window.user_id;
  // Last activity streams from the session table's order; oldest first.
  list.order = SessionOrder::kLastActivity;
  list.descending = false;
  list.limit = options_.sessions_per_page;
  SessionPage page;
  do {
    Status s = store_->ListSessions(list, &page);
    if (!s.ok()) return s;
    for (const SessionSummary& session : page.sessions) {
      ++counts_.sessions;
      if (!(s = WriteTraces(session.session_id, Layout::kLines)).ok()) return s;
    }
    list.cursor = std::move(page.next_cursor);
  } while (!list.cursor.empty());
  return Status::OK();
}

Status SessionExporter::WriteTraces(std::string_view session_id, Layout layout) {
  TimelineOptions opts;
  opts.limit = options_.traces_per_page;
  TimelinePage page;
  std::string text;
  bool first = true;
  do {
    Status s = store_->Timeline(session_id, opts, &page);
    if (!s.ok()) return s;
    for (const Trace& trace : page.traces) {
      if (layout == Layout::kArray) text += first ? "\n" : ",\n";
      first = false;
      AppendTraceJson(trace, &text);
      if (layout == Layout::kLines) text.push_back('\n');
      ++counts_.traces;
      if (text.size() >= kWriteChunkBytes) {
        if (!(s = Write(text)).ok()) return s;
        text.clear();
      }
    }
    if (!(s = Write(text)).ok()) return s;
    text.clear();
    if (options_.on_progress) options_.on_progress(counts_);
    opts.cursor = std::move(page.next_cursor);
  } while (!opts.cursor.empty());
  return Status::OK();
}

Status SessionExporter::Write(std::string_view text) {
  if (text.empty()) return Status::OK();
  errno = 0;
  out_->write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!*out_) {
    const int error = errno;
    return Status::IOError("export: writing " + options_.output_name + " failed" +
                           (error != 0 ? std::string(": ") + std::strerror(error) : ""));
  }
  counts_.bytes += text.size();
  return Status::OK();
}

}  // namespace sessionstore
