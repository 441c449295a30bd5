// Copyright sessionstore authors.
//
// The JSON the CLI prints for `session --json`, `sessions --json` and
// `timeline --json` (fields listed in README.md). Presentation only: the
// ingest format is sessionstore/json.h. Pure functions: safe from any thread.

#ifndef SESSIONSTORE_TOOLS_OUTPUT_JSON_H_
#define SESSIONSTORE_TOOLS_OUTPUT_JSON_H_

#include <string>
#include <vector>

#include "sessionstore/session.h"
#include "sessionstore/trace.h"

namespace sessionstore {

// Appends the session as one JSON object: ids, counts, usage, cost, first and
// last trace times (RFC 3339), duration_ms, models, tags, ttft_ms_avg (null
// without TTFT data) and the input/output previews (always strings).
void AppendSessionJson(const SessionSummary& session, std::string* out);

// Appends one timeline row as a JSON object: trace_id, name, start and end
// times (end null if unknown), status ("error" if any span failed), span
// count, usage, cost, input and output (null when absent).
void AppendTimelineEntryJson(const Trace& trace, std::string* out);

// Appends a page as {"sessions":[...],"next_cursor":"..."} (`sessions
// --json`, GET /v1/sessions).
void AppendSessionPageJson(const std::vector<SessionSummary>& sessions,
                           const std::string& next_cursor, std::string* out);

// Appends a page as {"traces":[...],"next_cursor":"..."} (`timeline --json`,
// GET /v1/sessions/{id}/traces), each trace as AppendTimelineEntryJson.
void AppendTimelinePageJson(const std::vector<Trace>& traces, const std::string& next_cursor,
                            std::string* out);

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_OUTPUT_JSON_H_
